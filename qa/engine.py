"""The pipeline in one place: question -> follow-up resolution -> retrieve -> read -> cite -> `Answer`."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from .conversation import resolve_followup
from .documents import SUPPORTED_SUFFIXES, parse_document
from .embedding import get_embedder
from .errors import (DocumentExistsError, DocumentNameError, DocumentTooLargeError, EmptyQuestionError,
                     LastDocumentError, QAError, QuestionTooLongError, StoreUnavailableError,
                     UnknownDocumentError, UnsupportedDocumentError)
from .index import CorpusIndex, corpus_signature, open_index, serve_index
from .questions import analyse_question, expand_abbreviations
from .readers import Query, answer_events
from .reranking import CANDIDATES_PER_PASSAGE, get_reranker
from .retrieval import retrieve
from .schema import Answer, Delta, Document
from .settings import Settings
from .text import terms

log = logging.getLogger(__name__)

QUERY_SETTINGS = {"top_k", "fusion_depth", "rrf_k", "max_answer_sentences", "abstain_threshold", "max_question_chars",
                  "reader", "reader_candidates", "reader_second_look"}
# The reader's shortlist picks its candidates from at least this many sentences, however short the passages: five
# passages of prose hold ~25 sentences, but five docket entries or caption lines hold five, which would leave the
# shortlist nothing to choose from.
SENTENCES_TO_SHORTLIST = 24
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # controls and lone surrogates
_SAFE_NAME = re.compile(r"^[\w][\w .()\-]*$", re.UNICODE)


class Engine:
    """Question answering over one corpus directory. Thread-safe: questions may be asked concurrently
    while the index refreshes; each question sees one whole index version."""

    def __init__(self, corpus_dir: str | Path | None = None, index_dir: str | Path | None = None,
                 settings: Settings | None = None, **overrides):
        settings = settings or Settings.from_env()
        paths = {k: Path(v) for k, v in (("corpus_dir", corpus_dir), ("index_dir", index_dir)) if v is not None}
        self.settings = settings.replace(**paths, **overrides)
        self._index: CorpusIndex | None = None
        self._signature: dict | None = None
        self._checked_at = 0.0
        self._lock = threading.RLock()

    # ------------------------------------------------------------------------------------------ index

    @property
    def embedder(self):
        return get_embedder(self.settings.embedding_model, self.settings.embedding_precision)

    @property
    def index(self) -> CorpusIndex:
        if self._index is None:
            if self.settings.store == "milvus":
                self._serve_live_version()
            else:
                self.refresh()
        else:
            self._refresh_if_corpus_changed()
        return self._index

    def _serve_live_version(self) -> CorpusIndex:
        """QA_STORE=milvus: serve the version the index job published (qa.index.serve_index)."""
        with self._lock:
            self._index = serve_index(self.settings, self.embedder)
            self._checked_at = time.monotonic()
            return self._index

    def refresh(self, progress: bool = False, parsed: dict[str, Document] | None = None) -> CorpusIndex:
        """Load the index, updating it from the corpus if documents or settings changed (`parsed`: documents just
        read, by doc_id, that the update need not read again)."""
        with self._lock:
            signature = corpus_signature(self.settings.corpus_dir)
            self._index = open_index(self.settings, self.embedder, progress=progress, parsed=parsed)
            self._signature, self._checked_at = signature, time.monotonic()
            return self._index

    def _refresh_if_corpus_changed(self) -> None:
        # Users drop files into corpus/ while the app runs; a stat per file, at most once a second, notices.
        # With Milvus, the index job publishes new versions: one look at the alias, at most once a second.
        if time.monotonic() - self._checked_at < 1.0:
            return
        self._checked_at = time.monotonic()
        if self.settings.store == "milvus":
            from .store_milvus import live_state

            store = self._index.store
            if live_state(self.settings) != (store.version.chunks, store.generation):
                self._serve_live_version()
        elif corpus_signature(self.settings.corpus_dir) != self._signature:
            self.refresh()

    # ------------------------------------------------------------------------------------------ asking

    def ask(self, question: str, history: list | None = None, **overrides) -> Answer:
        return _final(answer_events(self._retrieve(question, history, overrides), stream=False))

    def ask_stream(self, question: str, history: list | None = None, **overrides) -> Iterator[Delta | Answer]:
        """Like `ask`, as events: with the generative reader, `Delta`s of raw generated text as they arrive, then
        the verified `Answer` (which replaces the raw text); with the other readers, just the `Answer`."""
        yield from answer_events(self._retrieve(question, history, overrides), stream=True)

    def _retrieve(self, question, history, overrides) -> Query:
        """Validate, resolve the follow-up, embed, retrieve (and rerank, when a reranker is set)."""
        started = time.perf_counter()
        unknown = set(overrides) - QUERY_SETTINGS
        if unknown:
            raise QAError(f"Per-question settings are {sorted(QUERY_SETTINGS)}; "
                          f"{sorted(unknown)} need an Engine built with them.")
        settings = self.settings.replace(**overrides) if overrides else self.settings
        question = self._validate(question, settings)
        timings = {}
        index = self.index
        timings["index"] = _ms(started)

        t = time.perf_counter()
        vocabulary = index.sentence_bm25.vocab_dict
        resolved = expand_abbreviations(resolve_followup(question, history),
                                        lambda text: all(t in vocabulary for t in terms(text)))
        info = analyse_question(resolved)
        query_vector = self.embedder.encode_query(resolved)
        timings["embed"] = _ms(t)

        t = time.perf_counter()
        depth = settings.top_k * CANDIDATES_PER_PASSAGE if settings.reranker_model else settings.top_k
        min_sentences = 0 if settings.reranker_model else max(SENTENCES_TO_SHORTLIST, 3 * settings.reader_candidates)
        try:
            passages = retrieve(index, query_vector, terms(resolved), depth, max(settings.fusion_depth, depth),
                                settings.rrf_k, min_sentences)
        except StoreUnavailableError:
            # The version this question started on was dropped by a newer build (Milvus keeps the live version and
            # the one before it): the question is asked again, whole, on the live version.
            if index.store is None or self._serve_live_version().store.version == index.store.version:
                raise
            index = self._index
            passages = retrieve(index, query_vector, terms(resolved), depth, max(settings.fusion_depth, depth),
                                settings.rrf_k, min_sentences)
        timings["retrieve"] = _ms(t)
        if settings.reranker_model:
            t = time.perf_counter()
            passages = get_reranker(settings.reranker_model).rerank(resolved, passages, settings.top_k)
            timings["rerank"] = _ms(t)
        return Query(question, resolved, info, passages, index, settings, self.embedder, timings, started,
                     query_vector)

    @staticmethod
    def _validate(question, settings: Settings) -> str:
        if not isinstance(question, str):
            raise EmptyQuestionError(f"The question must be text, not {type(question).__name__}.")
        question = " ".join(_CONTROL.sub(" ", question).split())
        if not question:
            raise EmptyQuestionError("The question is empty: type what you want to know about the record.")
        if len(question) > settings.max_question_chars:
            raise QuestionTooLongError(f"The question is {len(question):,} characters; the limit is "
                                       f"{settings.max_question_chars:,}. Ask about one thing at a time.")
        return question

    # ------------------------------------------------------------------------------------------ the record

    def documents(self) -> list[dict]:
        """The documents in the record, as indexed, and any files that could not be read."""
        manifest = self.index.manifest
        # Each document's own indexing time, kept while its bytes are unchanged.
        docs = [{"doc_id": d, "title": info["title"], "chars": info["chars"], "sentences": info["sentences"],
                 "indexed_at": info["indexed_at"], "status": "indexed"}
                for d, info in manifest["documents"].items()]
        docs += [{"doc_id": d, "title": "", "chars": 0, "sentences": 0,
                  "indexed_at": info["indexed_at"], "status": info["error"]}
                 for d, info in manifest.get("skipped", {}).items()]
        return docs

    def document_text(self, doc_id: str) -> str:
        try:
            return self.index.documents[doc_id].text
        except KeyError:
            raise UnknownDocumentError(f"No document '{doc_id}' in the record.") from None

    def document_paragraphs(self, doc_id: str) -> list[tuple[int, int]]:
        """The (start, end) spans of the document's paragraphs as ingest recovered them (a double-spaced paragraph
        is one span, not one per printed line)."""
        try:
            return self.index.documents[doc_id].paragraphs
        except KeyError:
            raise UnknownDocumentError(f"No document '{doc_id}' in the record.") from None

    def document_unread_spans(self, doc_id: str) -> list[tuple[int, int]]:
        """The (start, end) spans inside the document's paragraphs that no sentence reads: page markers, running
        headers and footnote numbers caught inside a paragraph (see `Document.unread_spans`)."""
        try:
            return self.index.documents[doc_id].unread_spans()
        except KeyError:
            raise UnknownDocumentError(f"No document '{doc_id}' in the record.") from None

    def add_document(self, filename: str, data: bytes, overwrite: bool = False) -> str:
        """Check a new document (name, size, readable content), write it atomically into the corpus and index
        it. Returns its doc_id. Nothing is written when the document is rejected."""
        name = check_upload_name(filename)
        if len(data) > self.settings.max_document_bytes:
            raise DocumentTooLargeError(f"{name}: {len(data):,} bytes is over the "
                                        f"{self.settings.max_document_bytes:,}-byte document limit.")
        document = parse_document(data, name, Path(name).suffix)  # raises UnreadableDocumentError with the reason
        corpus = Path(self.settings.corpus_dir)
        corpus.mkdir(parents=True, exist_ok=True)
        target = corpus / name
        exists = DocumentExistsError(f"{name} is already in the record; remove it first or replace it.")
        with self._lock:
            if target.exists() and not overwrite:
                raise exists
            # Hidden temp name (never listed as a document), then one atomic step: a reader sees no file or the
            # whole file. Without overwrite, link() refuses an existing name even if another process made it.
            tmp = corpus / f".upload-{uuid.uuid4().hex}"
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                if overwrite:
                    os.replace(tmp, target)
                else:
                    try:
                        os.link(tmp, target)
                    except FileExistsError:
                        raise exists from None
                    except OSError:  # a filesystem without hard links: the check above under the lock
                        os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            self.refresh(parsed={name: document})
        return name

    def remove_document(self, doc_id: str) -> None:
        """Delete a document from the corpus and re-index. Refuses, before deleting anything, to remove the last
        readable document: an empty record cannot answer, and the file would be gone for nothing."""
        corpus = Path(self.settings.corpus_dir).resolve()
        path = (corpus / str(doc_id)).resolve()
        if corpus not in path.parents or not path.is_file():
            raise UnknownDocumentError(f"No document '{doc_id}' in the record.")
        with self._lock:
            others = [d["doc_id"] for d in self.documents() if d["status"] == "indexed" and d["doc_id"] != doc_id]
            if not others:
                raise LastDocumentError(f"{doc_id} is the only readable document in the record: add another "
                                        "before removing it.")
            path.unlink()
            self.refresh()


def check_upload_name(filename: str) -> str:
    name = str(filename or "").strip()
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise DocumentNameError(f"'{filename}' is not a plain file name: path parts are not allowed.")
    if name.startswith(".") or not _SAFE_NAME.match(name) or len(name) > 200:
        raise DocumentNameError(f"'{filename}' is not an acceptable file name: use letters, digits, spaces, '.', '-', '_'.")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocumentError(f"'{filename}': unsupported type. Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}.")
    return name


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


def _final(events) -> Answer:
    answer = None
    for event in events:
        answer = event
    return answer
