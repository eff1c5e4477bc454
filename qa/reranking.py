"""Rerank (optional): a sentence-transformers CrossEncoder reads the question with each retrieved passage and
reorders them. Retrieval fetches more candidates than `top_k` when a reranker is set; the reranker keeps `top_k`."""

from __future__ import annotations

import dataclasses
import os
import threading

from .errors import ModelLoadError
from .schema import Passage

# Candidates retrieved per passage kept, when a reranker is configured.
CANDIDATES_PER_PASSAGE = 3


class Reranker:
    def __init__(self, model: str):
        self.model_name = model
        if os.path.isdir(os.path.expanduser(model)):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(os.path.expanduser(model), device="cpu")
        except Exception as exc:  # OSError, ValueError, hub errors ...
            raise ModelLoadError(
                f"Could not load reranker model '{model}' (QA_RERANKER_MODEL): {exc}. Give a local folder with a "
                "sentence-transformers CrossEncoder, or the id of one in your Hugging Face cache; unset it to "
                "keep retrieval's order.") from exc
        self._lock = threading.Lock()

    def scores(self, question: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        with self._lock:
            values = self._model.predict([(question, t) for t in texts], show_progress_bar=False,
                                         convert_to_numpy=True)
        return [float(v) for v in values.reshape(len(texts), -1)[:, 0]]

    def rerank(self, question: str, passages: list[Passage], top_k: int) -> list[Passage]:
        """The passages ordered by the cross-encoder (ties keep retrieval order), the best top_k, ranks renumbered."""
        scores = self.scores(question, [p.chunk.text for p in passages])
        order = sorted(range(len(passages)), key=lambda i: (-scores[i], i))[:top_k]
        return [dataclasses.replace(passages[i], rank=rank, rerank_score=scores[i]) for rank, i in enumerate(order)]


_rerankers: dict[str, Reranker] = {}
_lock = threading.Lock()


def get_reranker(model: str) -> Reranker:
    with _lock:
        if model not in _rerankers:
            _rerankers[model] = Reranker(model)
        return _rerankers[model]
