"""Read with an extractive question-answering model (`QA_READER=extractive`, `QA_READER_MODEL=<id or path>`).

Any transformers `AutoModelForQuestionAnswering` (e.g. a SQuAD2 reader) reads the question with each retrieved
passage. The answer is the best-scoring span over all passages, cited by the record sentence that contains it
(`Citation.span_start/span_end` mark the span). SQuAD2-style abstention: the model's no-answer score is the
start+end logit of the first ([CLS]) token; `answerability = sigmoid(best span score - no-answer score)`, so the
default threshold 0.5 means "abstain unless some span beats no-answer" (`abstain_threshold` overrides it).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass

import numpy as np

from .errors import ModelLoadError
from .index import CorpusIndex
from .schema import Citation, Passage

MAX_ANSWER_TOKENS = 30
MAX_SEQUENCE = 384
STRIDE = 96
DEFAULT_THRESHOLD = 0.5  # sigmoid(0): a span must score above the model's no-answer option


@dataclass(frozen=True)
class Span:
    passage: Passage
    start: int  # document offsets of the answer span
    end: int
    score: float  # start logit + end logit
    null_score: float  # the no-answer score of the window the span was read in

    @property
    def margin(self) -> float:
        return self.score - self.null_score


@dataclass(frozen=True)
class ExtractiveReading:
    span: Span | None  # the best span over all passages, None when no passage had one
    answerability: float  # sigmoid(span score - no-answer score)


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, context: np.ndarray,
              max_tokens: int = MAX_ANSWER_TOKENS) -> tuple[float, int, int] | None:
    """(score, first token, last token) of the best span of context tokens no longer than max_tokens, or None."""
    idx = np.flatnonzero(context)
    if not len(idx):
        return None
    s, e = start_logits[idx], end_logits[idx]
    # pairs (i, j) of context positions with i <= j < i + max_tokens, scored s[i] + e[j]
    scores = s[:, None] + e[None, :]
    i, j = np.indices(scores.shape)
    valid = (j >= i) & (idx[j] - idx[i] < max_tokens)
    scores = np.where(valid, scores, -np.inf)
    flat = int(np.argmax(scores))
    a, b = divmod(flat, scores.shape[1])
    return float(scores[a, b]), int(idx[a]), int(idx[b])


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


class ExtractiveReader:
    def __init__(self, model: str):
        self.model_name = model
        path = os.path.expanduser(model)
        if os.path.isdir(path):
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from transformers import AutoModelForQuestionAnswering, AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(path)
            self._model = AutoModelForQuestionAnswering.from_pretrained(path)
        except Exception as exc:
            raise ModelLoadError(
                f"Could not load question-answering model '{model}' (QA_READER_MODEL): {exc}. Give a local folder "
                "saved with save_pretrained (config.json, weights, tokenizer) or the id of a model in your Hugging "
                "Face cache, e.g. a SQuAD2 reader; or set QA_READER=sentence.") from exc
        if not getattr(self._tokenizer, "is_fast", True):
            raise ModelLoadError(f"'{model}' has no fast tokenizer (tokenizer.json); extractive reading needs "
                                 "character offsets. Save the model with a fast tokenizer.")
        self._model.eval()
        self._lock = threading.Lock()

    def read(self, question: str, passages: list[Passage], index: CorpusIndex) -> ExtractiveReading:
        if not passages:
            return ExtractiveReading(None, 0.0)
        import torch

        contexts = [index.documents[p.chunk.doc_id].text[p.chunk.start:p.chunk.end] for p in passages]
        limit = min(MAX_SEQUENCE, getattr(self._tokenizer, "model_max_length", MAX_SEQUENCE) or MAX_SEQUENCE)
        enc = self._tokenizer([question] * len(contexts), contexts, truncation="only_second", max_length=limit,
                              stride=min(STRIDE, limit // 4), return_overflowing_tokens=True,
                              return_offsets_mapping=True, padding=True, return_tensors="pt")
        offsets = enc.pop("offset_mapping").numpy()
        sample_of = enc.pop("overflow_to_sample_mapping").numpy()
        inputs = {k: v for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        with self._lock, torch.inference_mode():
            out = self._model(**inputs)
        starts, ends = out.start_logits.float().numpy(), out.end_logits.float().numpy()
        best: Span | None = None
        for f in range(len(sample_of)):
            context = np.array([sid == 1 for sid in enc.sequence_ids(f)], dtype=bool)
            found = best_span(starts[f], ends[f], context)
            if found is None:
                continue
            score, a, b = found
            null = float(starts[f, 0] + ends[f, 0])
            p = passages[int(sample_of[f])]
            start, end = p.chunk.start + int(offsets[f, a, 0]), p.chunk.start + int(offsets[f, b, 1])
            span = Span(p, start, end, score, null)
            if best is None or span.margin > best.margin:
                best = span
        if best is None:
            return ExtractiveReading(None, 0.0)
        return ExtractiveReading(best, _sigmoid(best.margin))


def cite_span(span: Span, index: CorpusIndex) -> Citation:
    """The record sentence that contains the span (its start), with the span (clipped to the sentence) marked."""
    doc = index.documents[span.passage.chunk.doc_id]
    sentences = [index.sentences[sid] for sid in span.passage.chunk.sentence_ids]
    sentence = next((s for s in sentences if s.start <= span.start < s.end), None)
    if sentence is None:  # the span starts in whitespace between sentences: take the next sentence
        sentence = min((s for s in sentences if s.start >= span.start), key=lambda s: s.start, default=sentences[-1])
    start = min(max(span.start, sentence.start), sentence.end)
    end = max(min(span.end, sentence.end), start)
    text = doc.text[start:end]
    # trim whitespace and trailing punctuation the tokenizer's offsets may include
    while end > start and (text[-1].isspace() or text[-1] in ".,;:"):
        end, text = end - 1, text[:-1]
    while start < end and text[0].isspace():
        start, text = start + 1, text[1:]
    if start == end:
        start, end, text = sentence.start, sentence.end, doc.text[sentence.start:sentence.end]
    return Citation(number=1, doc_id=doc.doc_id, title=doc.title, start=sentence.start, end=sentence.end,
                    quote=doc.text[sentence.start:sentence.end], paragraph=sentence.paragraph, page=sentence.page,
                    page_end=sentence.page_end, text=sentence.text, section=doc.section_of(sentence.paragraph),
                    score=round(span.margin, 4), span_start=start, span_end=end, span_text=text)


_readers: dict[str, ExtractiveReader] = {}
_lock = threading.Lock()


def get_reader(model: str) -> ExtractiveReader:
    with _lock:
        if model not in _readers:
            _readers[model] = ExtractiveReader(model)
        return _readers[model]
