"""Index: documents -> sentences and chunks -> embeddings -> FAISS + BM25, stored under `index/`.

Layout: `index/CURRENT` names the live version folder `index/v-<id>/`, which holds `manifest.json` (format,
model, settings, per-document hashes, per-file checksums), `documents.json`, `chunks.json`, the vectors, the
FAISS index and two BM25 indexes (chunks and sentences). A build writes a new folder, fsyncs it and then
replaces CURRENT atomically, under a file lock: a crash at any moment leaves the previous version loadable.
Unchanged documents (same bytes, same settings) reuse their stored embeddings, so adding one document embeds
only that document.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import chunk_sentences, chunk_text, search_text
from .documents import doc_id_for, list_corpus_files, load_document
from .errors import EmptyCorpusError, IndexCorruptError, QAError, UnreadableDocumentError
from .ocr import NEEDS_OCR, ocr_available
from .schema import Chunk, Document, Sentence
from .settings import Settings
from .text import TOKENIZER_VERSION, term_lists

log = logging.getLogger(__name__)

# 3: no per-sentence word-piece vectors (the trained reader reads the text itself). 4: sentences keep their reading
# text, last page and offset anchors (layout recovery), and a chunk's text is its sentences' reading text. 5: each
# document keeps the section of each paragraph (heading or docket entry), and a docket entry is one paragraph.
# 6: chunk vectors are read back from the FAISS index instead of a second copy, sentence vectors are stored in
# float16 (finer than the bf16 they are computed in on a bf16 CPU; from fp32 vectors a cosine moves by under
# 5e-5): 2.7 kB a sentence on the seed record instead of 4.4. 7: a document
# keeps the roles of its caption lines, and a caption line is embedded and indexed after its role. 8: a chunk's vector is
# the length-weighted mean of its sentences' vectors (`passage_vector`), not the model's over the chunk's text.
# 9: a counsel line's role names the side by the caption's party ("... for the appellant, Celestin:", "... for the
# government:" when the United States is the appellee), and "Per Curiam." is an opinion's byline. 10: an opinion's
# disposition ("We affirm.") is embedded and indexed after its role too (`qa.structure.disposition_roles`). 11: the
# trial judge's and the panel's roles tell them apart ("The district court judge who presided over the trial:", "The
# panel of appeals judges who heard and decided the appeal:"). 12: the court's heading and the court appealed from
# have roles too (`COURT`, `LOWER_COURT`). 13: so do the parties' name and role lines (`PARTY`).
FORMAT_VERSION = 13
MANIFEST_CHECKSUM = "manifest.sha256"
HNSW_MIN_VECTORS = 50_000  # below this an exact flat index is faster to build and fast enough to search


@dataclass
class CorpusIndex:
    manifest: dict
    documents: dict[str, Document]
    sentences: list[Sentence]
    chunks: list[Chunk]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    faiss_index: object
    chunk_bm25: object
    sentence_bm25: object
    sentence_chunk: np.ndarray = field(default=None)  # first chunk that holds each sentence
    path: Path | None = None
    # With QA_STORE=milvus: the chunks stay in Milvus (qa.store_milvus.MilvusChunks) and retrieval asks it; the
    # FAISS index and chunk BM25 are None, and `chunks` is empty in an app process that loaded the record.
    store: object = None

    @property
    def location(self) -> str:
        """Where the index is kept, for messages: its folder, or the Milvus server and collection."""
        return self.store.describe() if self.store is not None else str(self.path)

    def __post_init__(self):
        if self.sentence_chunk is None:
            first = np.full(len(self.sentences), -1, dtype=np.int64)
            for chunk in reversed(self.chunks):
                first[list(chunk.sentence_ids)] = chunk.chunk_id
            self.sentence_chunk = first

    @property
    def problems(self) -> list[str]:
        return self.manifest.get("problems", [])


# ---------------------------------------------------------------------------------------------- corpus state

def corpus_signature(corpus_dir: Path) -> dict[str, tuple[int, int]]:
    """Cheap change detection: (size, mtime_ns) of each corpus file."""
    sig = {}
    for path in list_corpus_files(corpus_dir):
        st = path.stat()
        sig[doc_id_for(path, corpus_dir)] = (st.st_size, st.st_mtime_ns)
    return sig


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    return {doc_id_for(p, corpus_dir): file_sha256(p) for p in list_corpus_files(corpus_dir)}


def is_stale(index: CorpusIndex, settings: Settings, corpus_dir: Path) -> str | None:
    """Why the index no longer matches the corpus and settings, or None when it does."""
    m = index.manifest
    if m.get("format_version") != FORMAT_VERSION:
        return "index format changed"
    if m.get("settings") != settings.index_settings():
        return "index settings changed"
    if m.get("tokenizer") != TOKENIZER_VERSION:
        return "tokeniser changed"
    hashes = corpus_hashes(corpus_dir)
    indexed = {d: info["sha256"] for d, info in m["documents"].items()}
    indexed.update({d: info["sha256"] for d, info in m.get("skipped", {}).items()})
    if hashes != indexed:
        added, removed = set(hashes) - set(indexed), set(indexed) - set(hashes)
        changed = {d for d in set(hashes) & set(indexed) if hashes[d] != indexed[d]}
        return f"corpus changed ({len(added)} added, {len(removed)} removed, {len(changed)} modified)"
    # A scan skipped for want of OCR is read once OCR is installed, without waiting for the corpus to change.
    if any(NEEDS_OCR in info["error"] for info in m.get("skipped", {}).values()) and ocr_available():
        return "OCR is installed now: reading the scanned documents"
    return None


# ---------------------------------------------------------------------------------------------- build

def build_index(settings: Settings, embedder, previous: CorpusIndex | None = None,
                progress: bool = False, parsed: dict[str, Document] | None = None) -> CorpusIndex:
    """Read the corpus, embed what changed, and atomically publish a new index version. `parsed`: documents just
    read by the caller, by doc_id, used while the file still has the bytes they were read from (an upload is
    checked by reading it, and a scan's OCR, minutes long, should not run twice)."""
    corpus_dir, index_dir = Path(settings.corpus_dir), Path(settings.index_dir)
    if settings.store == "milvus":  # one index job writes (README, "Past one machine"); Milvus holds the record
        return _build_locked(settings, embedder, previous, progress, corpus_dir, index_dir, parsed)
    index_dir.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(index_dir / ".lock"), timeout=600):
        return _build_locked(settings, embedder, previous, progress, corpus_dir, index_dir, parsed)


def _build_locked(settings, embedder, previous, progress, corpus_dir, index_dir, parsed=None) -> CorpusIndex:
    started = time.perf_counter()
    files = list_corpus_files(corpus_dir)
    reusable = previous if previous is not None and previous.manifest.get("settings") == settings.index_settings() \
        and previous.manifest.get("format_version") == FORMAT_VERSION else None  # embeddings survive a tokeniser change

    now = _utc_now()
    # When each document was (last) read: kept from the previous version while its bytes are unchanged.
    previous_times = {d: info["indexed_at"] for part in ("documents", "skipped")
                      for d, info in (previous.manifest.get(part, {}).items() if previous is not None else ())}
    documents, problems, skipped, indexed_at = [], [], {}, {}
    reused_vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    stages: dict[str, float] = {}  # seconds per build stage, kept in the manifest (python -m bench court)
    for path in _progress_bar(files, progress, "reading"):
        doc_id = doc_id_for(path, corpus_dir)
        sha = file_sha256(path)
        old = reusable.documents.get(doc_id) if reusable else None
        if old is not None and old.sha256 == sha:
            documents.append(old)
            reused_vectors[doc_id] = _doc_vectors(reusable, doc_id)
            indexed_at[doc_id] = previous_times[doc_id]
            continue
        doc = (parsed or {}).get(doc_id)
        try:
            if doc is None or doc.sha256 != sha:
                doc = load_document(path, corpus_dir, settings.max_document_bytes)
        except UnreadableDocumentError as exc:
            log.warning("skipping %s", exc)
            problems.append(str(exc))
            old_skip = previous.manifest.get("skipped", {}).get(doc_id) if previous is not None else None
            checked = old_skip["indexed_at"] if old_skip and old_skip["sha256"] == sha else now
            skipped[doc_id] = {"sha256": sha, "error": str(exc), "indexed_at": checked}
            continue
        documents.append(doc)
        indexed_at[doc_id] = now
    if not documents:
        detail = f" Problems: {'; '.join(problems)}" if problems else ""
        raise EmptyCorpusError(
            f"No readable documents in {corpus_dir} (supported: .txt .md .html .pdf).{detail}")

    stages["ingest_seconds"] = time.perf_counter() - started
    t = time.perf_counter()
    sentences: list[Sentence] = []
    chunks: list[Chunk] = []
    doc_ranges = {}
    for doc in documents:
        s0, c0 = len(sentences), len(chunks)
        chunks.extend(chunk_sentences(doc, s0, c0, settings.chunk_words, settings.chunk_overlap_sentences))
        sentences.extend(doc.sentences)
        doc_ranges[doc.doc_id] = (s0, len(sentences), c0, len(chunks))
    stages["chunk_seconds"] = time.perf_counter() - t

    dim = embedder.dimension
    chunk_vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    sentence_vectors = np.zeros((len(sentences), dim), dtype=np.float32)
    todo_chunks, todo_sentences = [], []
    for doc in documents:
        s0, s1, c0, c1 = doc_ranges[doc.doc_id]
        if doc.doc_id in reused_vectors:
            chunk_vectors[c0:c1], sentence_vectors[s0:s1] = reused_vectors[doc.doc_id]
        else:
            todo_chunks.extend(range(c0, c1))
            todo_sentences.extend(range(s0, s1))
    by_id = {doc.doc_id: doc for doc in documents}
    sentence_texts = [search_text(by_id[s.doc_id], [s]) for s in sentences]
    chunk_texts = [search_text(by_id[c.doc_id], [sentences[i] for i in c.sentence_ids]) for c in chunks]
    embed_started = time.perf_counter()
    if todo_sentences:
        sentence_vectors[todo_sentences] = embedder.encode([sentence_texts[i] for i in todo_sentences],
                                                           show_progress=progress)
    stages["embed_sentences_seconds"] = time.perf_counter() - embed_started
    t = time.perf_counter()
    for i in todo_chunks:
        chunk_vectors[i] = passage_vector(sentence_vectors, chunks[i].sentence_ids, sentences)
    stages["chunk_vectors_seconds"] = time.perf_counter() - t
    embed_seconds = time.perf_counter() - embed_started

    milvus = settings.store == "milvus"  # Milvus indexes the chunks itself: no FAISS index, no chunk BM25 here
    t = time.perf_counter()
    faiss_index = None if milvus else make_faiss_index(chunk_vectors)
    stages["faiss_seconds"] = time.perf_counter() - t
    t = time.perf_counter()
    chunk_bm25 = None if milvus else build_bm25(chunk_texts)
    sentence_bm25 = build_bm25(sentence_texts)
    stages["bm25_seconds"] = time.perf_counter() - t
    manifest = {
        "format_version": FORMAT_VERSION,
        "created": now,
        "settings": settings.index_settings(),
        "tokenizer": TOKENIZER_VERSION,
        "model": embedder.model_name,
        "dimension": dim,
        "faiss_type": "milvus" if milvus else type(faiss_index).__name__,
        "counts": {"documents": len(documents), "sentences": len(sentences), "chunks": len(chunks)},
        "documents": {d.doc_id: {"sha256": d.sha256, "title": d.title, "chars": len(d.text),
                                 "sentences": len(d.sentences), "range": doc_ranges[d.doc_id],
                                 "indexed_at": indexed_at[d.doc_id]} for d in documents},
        "skipped": skipped,
        "problems": problems,
        "build": {"seconds": None, "embedded_chunks": len(todo_chunks), "embedded_sentences": len(todo_sentences),
                  "embed_seconds": round(embed_seconds, 3)},
    }
    index = CorpusIndex(manifest, {d.doc_id: d for d in documents}, sentences, chunks, chunk_vectors,
                        sentence_vectors, faiss_index, chunk_bm25, sentence_bm25)
    manifest["build"].update({k: round(v, 3) for k, v in stages.items()})
    manifest["build"]["seconds"] = round(time.perf_counter() - started, 3)  # writing the files comes after
    if milvus:
        from . import store_milvus

        store_milvus.publish(index, settings, previous=previous)
        index = store_milvus.load_version(settings)  # served as app processes serve it: from Milvus
    else:
        index.path = _publish(index, index_dir)
    log.info("indexed %d documents, %d chunks in %.2fs", len(documents), len(chunks), manifest["build"]["seconds"])
    return index


def passage_vector(sentence_vectors: np.ndarray, sentence_ids, sentences: list[Sentence]) -> np.ndarray:
    """A passage's vector: the mean of its sentences' vectors, weighted by their length, made unit length. Not a pass
    of the model over the passage's own text: MiniLM, trained on sentence pairs, blurs a 120-word passage. On
    FairytaleQA's val split (nothing trains or measures on it) the answering sentence was among the retrieved
    passages' for 90.4% of questions against 88.9% with passages embedded whole, and the reader's best sentence
    stated the answer for 58.4% against 56.9%; and the build embeds each text once (session 13)."""
    ids = list(sentence_ids)
    vector = np.array([len(sentences[i].text) for i in ids], dtype=np.float32) @ sentence_vectors[ids]
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _progress_bar(items: list, show: bool, what: str):
    """`items`, with a progress bar on stderr when `show` (the CLI's `index`) and there is more than one: reading a
    long record (layout, sentence splitting) takes a while before embedding's own bar starts."""
    if not show or len(items) < 2:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=what, unit="file")


def _utc_now() -> str:
    """ISO 8601 UTC with milliseconds, e.g. 2025-01-31T12:00:00.123Z."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _doc_vectors(index: CorpusIndex, doc_id: str) -> tuple[np.ndarray, np.ndarray]:
    s0, s1, c0, c1 = index.manifest["documents"][doc_id]["range"]
    return index.chunk_vectors[c0:c1], index.sentence_vectors[s0:s1]


def hnsw_ef_search(n: int) -> int:
    # Recall@10 against exact search (python -m bench scale): 0.990 at 100k vectors with efSearch 128, but 0.895
    # at 1M, where 256 gives 0.927 for 0.3 ms more per query.
    return 128 if n < 500_000 else 256


def make_faiss_index(vectors: np.ndarray):
    """Exact inner-product search for small corpora, HNSW beyond HNSW_MIN_VECTORS (see README, Scale)."""
    import faiss

    n, dim = vectors.shape
    if n >= HNSW_MIN_VECTORS:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = hnsw_ef_search(n)
    else:
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


def build_bm25(texts: list[str]):
    import bm25s

    # bm25s sets its own logger to DEBUG, so "Building index from tokens" went out through any handler an
    # application set up: every index build printed it in our CLI.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    retriever = bm25s.BM25()
    # An empty token list would make bm25s drop the row and shift every id after it.
    retriever.index([t or [""] for t in term_lists(texts)], show_progress=False)
    return retriever


# ---------------------------------------------------------------------------------------------- write

def _publish(index: CorpusIndex, index_dir: Path) -> Path:
    import faiss

    tmp = index_dir / f".tmp-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        _write_json(tmp / "documents.json", [_document_record(d) for d in index.documents.values()])
        _write_json(tmp / "chunks.json", [[c.doc_id, c.start, c.end, list(c.sentence_ids)] for c in index.chunks])
        np.save(tmp / "sentence_vectors.npy", index.sentence_vectors.astype(np.float16))
        faiss.write_index(index.faiss_index, str(tmp / "chunks.faiss"))
        index.chunk_bm25.save(str(tmp / "chunk_bm25"), show_progress=False)
        index.sentence_bm25.save(str(tmp / "sentence_bm25"), show_progress=False)
        index.manifest["files"] = {p.relative_to(tmp).as_posix(): file_sha256(p)
                                   for p in sorted(tmp.rglob("*")) if p.is_file()}
        _write_json(tmp / "manifest.json", index.manifest)
        # The manifest holds the other files' checksums; this one holds the manifest's, so an edit that leaves
        # it valid JSON (a flipped digit in a range or a checksum) is caught too.
        (tmp / MANIFEST_CHECKSUM).write_text(file_sha256(tmp / "manifest.json") + "\n", encoding="ascii")
        for p in tmp.rglob("*"):
            if p.is_file():
                _fsync(p)
        version = index_dir / f"v-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        os.rename(tmp, version)
        _fsync_dir(index_dir)
        _atomic_write_text(index_dir / "CURRENT", version.name + "\n")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in index_dir.glob("v-*"):
        if old != version:
            shutil.rmtree(old, ignore_errors=True)
    for stray in index_dir.glob(".tmp-*"):  # left by a build that was killed
        shutil.rmtree(stray, ignore_errors=True)
    return version


def _document_record(doc: Document) -> dict:
    return {"doc_id": doc.doc_id, "title": doc.title, "text": doc.text, "sha256": doc.sha256,
            "paragraphs": doc.paragraphs, "pages": doc.pages, "sections": doc.sections,
            "roles": {str(i): role for i, role in doc.roles.items()},
            "sentences": [_sentence_record(doc.text, s) for s in doc.sentences]}


def _sentence_record(text: str, s: Sentence) -> list:
    """[start, end, paragraph, page, page_end, reading text or None when it is the slice, anchors]."""
    same = s.text == text[s.start:s.end]
    return [s.start, s.end, s.paragraph, s.page, s.page_end, None if same else s.text, [list(a) for a in s.anchors]]


def _sentence_from_record(doc_id: str, text: str, i: int, rec: list) -> Sentence:
    start, end, paragraph, page, page_end, reading, anchors = rec
    return Sentence(doc_id, i, start, end, paragraph, page, text[start:end] if reading is None else reading,
                    page_end, tuple((c, o) for c, o in anchors))


def _document_from_record(rec: dict) -> Document:
    """A Document from its `_document_record` (documents.json, or the Milvus store's record collection)."""
    text, doc_id = rec["text"], rec["doc_id"]
    return Document(doc_id, rec["title"], text, rec["sha256"],
                    [_sentence_from_record(doc_id, text, i, r) for i, r in enumerate(rec["sentences"])],
                    [tuple(p) for p in rec["paragraphs"]], [tuple(p) for p in rec["pages"]] if rec["pages"] else None,
                    # a record of format 6 (Milvus keeps it until the next build) has no roles; it is then stale
                    list(rec["sections"]), {int(i): role for i, role in rec.get("roles", {}).items()})


def _write_json(path: Path, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # some filesystems refuse fsync on directories; the rename is still atomic
        pass


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------- read

class IndexFormatError(Exception):
    """The stored index is sound but in another format version: rebuilt, not reported as damage."""


def load_index(index_dir: Path) -> CorpusIndex | None:
    """The published index, None when there is none yet; IndexCorruptError when it fails its checksums."""
    index_dir = Path(index_dir)
    current = index_dir / "CURRENT"
    if not current.exists():
        return None
    version = index_dir / current.read_text(encoding="utf-8").strip()
    try:
        return _load_version(version)
    except (IndexCorruptError, IndexFormatError):
        raise
    except Exception as exc:  # json, numpy, faiss and bm25s each fail in their own way on damaged files
        raise IndexCorruptError(f"Index at {version} cannot be read ({type(exc).__name__}: {exc}).") from exc


def _load_version(version: Path) -> CorpusIndex:
    import bm25s
    import faiss

    if not version.is_dir() or version.name.startswith(".") or version.parent.resolve() != version.resolve().parent:
        raise IndexCorruptError(f"Index version {version.name} named by CURRENT is missing.")
    manifest_bytes = (version / "manifest.json").read_bytes()
    checksum = version / MANIFEST_CHECKSUM
    if checksum.read_text(encoding="ascii").strip() != hashlib.sha256(manifest_bytes).hexdigest():
        raise IndexCorruptError(f"Index manifest {version / 'manifest.json'} fails its checksum.")
    manifest = json.loads(manifest_bytes.decode("utf-8"))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(f"index format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}")
    for name, digest in manifest.get("files", {}).items():
        path = version / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IndexCorruptError(f"Index file {path} is missing or fails its checksum.")
    if not manifest.get("files"):
        raise IndexCorruptError(f"Index manifest {version / 'manifest.json'} lists no files.")
    documents = {}
    sentences: list[Sentence] = []
    for rec in json.loads((version / "documents.json").read_text(encoding="utf-8")):
        documents[rec["doc_id"]] = doc = _document_from_record(rec)
        sentences.extend(doc.sentences)
    chunks = [Chunk(i, d, s, e, tuple(ids), chunk_text(sentences[k] for k in ids))
              for i, (d, s, e, ids) in enumerate(json.loads((version / "chunks.json").read_text(encoding="utf-8")))]
    sentence_vectors = np.load(version / "sentence_vectors.npy").astype(np.float32)
    faiss_index = faiss.read_index(str(version / "chunks.faiss"))
    chunk_vectors = faiss_index.reconstruct_n(0, faiss_index.ntotal) if faiss_index.ntotal else \
        np.zeros((0, faiss_index.d), dtype=np.float32)
    chunk_bm25 = bm25s.BM25.load(str(version / "chunk_bm25"), show_progress=False, verbosity=0)
    sentence_bm25 = bm25s.BM25.load(str(version / "sentence_bm25"), show_progress=False, verbosity=0)
    if faiss_index.ntotal != len(chunks) or len(chunk_vectors) != len(chunks) or len(sentence_vectors) != len(sentences):
        raise IndexCorruptError(f"Index at {version} is inconsistent (vector and chunk counts differ).")
    return CorpusIndex(manifest, documents, sentences, chunks, chunk_vectors, sentence_vectors, faiss_index,
                       chunk_bm25, sentence_bm25, path=version)


def open_index(settings: Settings, embedder, progress: bool = False,
               parsed: dict[str, Document] | None = None) -> CorpusIndex:
    """The index for settings.corpus_dir: loaded, refreshed if stale, rebuilt if missing or corrupt. `parsed`: see
    `build_index`."""
    if settings.store == "milvus":
        return _open_milvus(settings, embedder, progress, parsed)
    try:
        index = load_index(settings.index_dir)
    except IndexFormatError as exc:
        log.info("index was written by another version of case-qa (%s); rebuilding", exc)
        index = None
    except IndexCorruptError as exc:
        log.warning("%s Rebuilding from the corpus.", exc)
        index = None
    if index is not None:
        reason = is_stale(index, settings, Path(settings.corpus_dir))
        if reason is None:
            return index
        log.info("index is stale: %s; updating", reason)
    try:
        return build_index(settings, embedder, previous=index, progress=progress, parsed=parsed)
    except QAError:
        raise
    except OSError as exc:
        raise IndexCorruptError(f"Could not write the index to {settings.index_dir}: {exc}") from exc


def _open_milvus(settings: Settings, embedder, progress: bool, parsed) -> CorpusIndex:
    """The index job's view of a Milvus-stored record (`python -m qa index`, adding or removing a document): the
    live version, published anew when the corpus or the settings changed. App processes only read it
    (`serve_index`)."""
    from . import store_milvus

    index = store_milvus.load_version(settings)
    if index is not None and index.manifest.get("store", {}).get("format") == store_milvus.STORE_FORMAT:
        reason = is_stale(index, settings, Path(settings.corpus_dir))
        if reason is None:
            return index
        log.info("the record in Milvus is stale: %s; publishing a new version", reason)
    return build_index(settings, embedder, previous=index, progress=progress, parsed=parsed)


def serve_index(settings: Settings, embedder) -> CorpusIndex:
    """What an app process serves. FAISS: `open_index`. Milvus: the live version as the index job published it,
    whatever the local corpus folder holds; only when nothing was ever published is the record built here."""
    if settings.store != "milvus":
        return open_index(settings, embedder)
    from . import store_milvus

    index = store_milvus.load_version(settings)
    if index is not None:
        return index
    if not list_corpus_files(Path(settings.corpus_dir)):
        raise EmptyCorpusError(f"Nothing is published in Milvus under '{store_milvus.collection_name(settings)}' at "
                               f"{store_milvus.milvus_uri(settings)}: run the index job (python -m qa index) with the "
                               "same QA_MILVUS_URI and QA_MILVUS_COLLECTION.")
    return _open_milvus(settings, embedder, False, None)
