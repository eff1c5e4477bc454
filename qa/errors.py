"""Errors a person can act on. Everything the library raises on bad input is a `QAError`."""


class QAError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class EmptyQuestionError(QAError):
    pass


class QuestionTooLongError(QAError):
    pass


class EmptyCorpusError(QAError):
    pass


class UnreadableDocumentError(QAError):
    pass


class DocumentTooLargeError(UnreadableDocumentError):
    pass


class UnsupportedDocumentError(UnreadableDocumentError):
    pass


class OCRUnavailableError(UnreadableDocumentError):
    """A PDF has pages without a text layer (a scan) and OCR is not installed: its message says "scanned: install
    OCR to read it" and names scripts/install-ocr.sh."""


class OCRLimitError(UnreadableDocumentError):
    """A scanned PDF is over OCR's page or time limit per document (qa.ocr.MAX_OCR_PAGES, OCR_SECONDS_PER_DOCUMENT)."""


class IndexCorruptError(QAError):
    pass


class ModelLoadError(QAError):
    pass


class UnknownDocumentError(QAError):
    pass


class GenerationError(QAError):
    """The configured LLM could not produce an answer: unreachable, too slow, or it answered with something that
    is not a chat completion. The message names the server and the setting to check."""


class DocumentExistsError(QAError):
    pass


class DocumentNameError(QAError):
    """An upload's file name has path parts, is hidden, or has characters or a type we do not accept."""


class LastDocumentError(QAError):
    """Removing this document would leave the record with nothing to answer from."""


class StoreUnavailableError(QAError):
    """The index store (Milvus, QA_STORE=milvus) cannot be reached or failed a request: the message names the
    server (QA_MILVUS_URI), never the token."""


class StoreAuthError(StoreUnavailableError):
    """Milvus refused the credentials: QA_MILVUS_TOKEN is wrong, expired, or lacks the privilege."""
