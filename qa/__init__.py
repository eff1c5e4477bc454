"""case-qa: cited question answering over a case record, offline.

    >>> from qa import ask
    >>> a = ask("Why were the charges against Baldwin dismissed?")
    >>> a.text, a.citations[0].quote
"""

from __future__ import annotations

import threading

from .engine import Engine
from .errors import (DocumentExistsError, DocumentNameError, DocumentTooLargeError, EmptyCorpusError,
                     EmptyQuestionError, GenerationError, IndexCorruptError, LastDocumentError, ModelLoadError,
                     OCRLimitError, OCRUnavailableError, QAError, QuestionTooLongError, UnknownDocumentError,
                     UnreadableDocumentError, UnsupportedDocumentError)
from .schema import Answer, Citation, Delta, Passage, source_label
from .settings import Settings

__all__ = ["ask", "ask_stream", "document_text", "Delta", "GenerationError", "default_engine", "Engine", "Answer", "Citation", "Passage", "Settings",
           "source_label",
           "QAError", "EmptyQuestionError", "QuestionTooLongError", "EmptyCorpusError", "UnreadableDocumentError",
           "UnsupportedDocumentError", "DocumentTooLargeError", "IndexCorruptError", "ModelLoadError",
           "UnknownDocumentError", "DocumentExistsError", "DocumentNameError", "LastDocumentError",
           "OCRUnavailableError", "OCRLimitError"]

_engines: dict[tuple, Engine] = {}
_engines_lock = threading.Lock()


def default_engine(**index_settings) -> Engine:
    """The engine over `corpus/` (or QA_CORPUS_DIR), created on first use and shared."""
    settings = Settings.from_env(**index_settings)
    key = tuple(sorted((k, str(v)) for k, v in vars(settings).items()))
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Engine(settings=settings)
        return _engines[key]


def ask(question: str, history: list | None = None, **overrides) -> Answer:
    """Answer a question from the default record, with citations, or abstain when the record does not say."""
    from .engine import QUERY_SETTINGS

    query = {k: v for k, v in overrides.items() if k in QUERY_SETTINGS}
    engine = default_engine(**{k: v for k, v in overrides.items() if k not in QUERY_SETTINGS})
    return engine.ask(question, history=history, **query)


def ask_stream(question: str, history: list | None = None, **overrides):
    """`ask` as events: `Delta`s of generated text while an LLM answers (QA_READER=generative), then the verified
    `Answer`. With the other readers it yields just the `Answer`."""
    from .engine import QUERY_SETTINGS

    query = {k: v for k, v in overrides.items() if k in QUERY_SETTINGS}
    engine = default_engine(**{k: v for k, v in overrides.items() if k not in QUERY_SETTINGS})
    yield from engine.ask_stream(question, history=history, **query)


def document_text(doc_id: str) -> str:
    """The text of a document of the default record, as citations' offsets index it."""
    return default_engine().document_text(doc_id)
