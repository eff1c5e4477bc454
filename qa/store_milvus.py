"""Milvus as the index store (QA_STORE=milvus): the same record as `index/`, kept in Milvus, so that app processes
on several machines serve one record and hold no index files.

One version of the record is three collections:
- `<name>__<version>`: one row per chunk: its dense vector, its reading text, the BM25 sparse vector that Milvus's
  BM25 function makes from the chunk's terms, and its document id, offsets, paragraph, page and sentence ids;
- `<name>__<version>__sentences`: one row per sentence: its dense vector (the reader's shortlist);
- `<name>__<version>__record`: the manifest (documents, hashes, settings) and each document's text, paragraphs,
  pages, sections and sentences, as the JSON that `index/documents.json` holds, in pieces Milvus can store.
The alias `<name>` names the live version. A full build writes a new version and then moves the alias, in one step,
so a reader sees the old record or the new one, never a mix; an app process resolves the alias once per version and
searches that version by its own name, so a question started on one version ends on it. Adding, changing or
removing documents inserts and deletes their rows, per doc_id, in the live version: every row carries the manifest
generation that added it, and a reader searches only the rows of the generation it loaded (see `_update`).

Retrieval is one hybrid request: dense (inner product) and BM25 over the chunks, fused by Milvus's RRFRanker. The
BM25 function reads the chunk's terms as qa.text.terms makes them (stemmed, stop words out), joined by spaces:
Milvus's analyzers stem and drop stop words their own way, and the same terms are what make the ranking, and so the
answers and citations, the same as the FAISS store's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import QAError, StoreAuthError, StoreUnavailableError
from .schema import Chunk, Passage
from .settings import Settings
from .text import first_distinct

log = logging.getLogger(__name__)

STORE_FORMAT = 1  # of the collections' layout; a version written in another layout is rebuilt
PIECE_CHARS = 15_000  # a VARCHAR holds 65,535 bytes; 15,000 characters are at most 60,000 bytes of UTF-8
BATCH_ROWS = 2_000  # rows per insert request, well under Milvus's 64 MB gRPC message at 384 dimensions
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")


# ---------------------------------------------------------------------------------------------- connection

def milvus_uri(settings: Settings) -> str:
    """QA_MILVUS_URI, or a Milvus Lite file beside where index/ would be."""
    return settings.milvus_uri or str(Path(settings.index_dir) / "milvus.db")


def collection_name(settings: Settings) -> str:
    """The alias the record is served under: QA_MILVUS_COLLECTION, or one derived from the corpus folder's name
    and path (two records on one server do not collide; replicas on other machines set it explicitly)."""
    if settings.milvus_collection:
        if not _NAME.match(settings.milvus_collection):
            raise QAError(f"milvus_collection '{settings.milvus_collection}' is not a Milvus name: letters, digits "
                          "and '_', starting with a letter or '_'.")
        return settings.milvus_collection
    corpus = Path(settings.corpus_dir).expanduser().resolve()
    slug = re.sub(r"[^A-Za-z0-9_]", "_", corpus.name)[:40] or "record"
    return f"qa_{slug}_{hashlib.sha1(str(corpus).encode()).hexdigest()[:8]}"


_clients: dict[tuple[str, str | None], object] = {}
_clients_lock = threading.Lock()


def connect(settings: Settings):
    """One MilvusClient per (uri, token) per process. StoreAuthError when the server refuses the token,
    StoreUnavailableError when it cannot be reached; neither message carries the token."""
    uri = milvus_uri(settings)
    key = (uri, settings.milvus_token)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise StoreUnavailableError("QA_STORE=milvus needs pymilvus and milvus-lite: "
                                        "pip install 'case-qa[milvus]'.") from exc
        if "://" not in uri:
            Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            client = MilvusClient(uri=uri, token=settings.milvus_token or "", timeout=10)
            client.list_aliases()  # a request that needs the token: the handshake alone does not check it
        except Exception as exc:  # noqa: BLE001 - pymilvus and grpc raise several kinds; each becomes a QAError
            raise store_error(exc, uri, "connect") from None
        _clients[key] = client
        return client


def forget_client(settings: Settings) -> None:
    """Drop the cached client, so the next request connects again (after the server came back)."""
    with _clients_lock:
        client = _clients.pop((milvus_uri(settings), settings.milvus_token), None)
    if client is not None:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - closing a broken channel may fail; nothing to do about it
            pass


def store_error(exc: Exception, uri: str, what: str) -> QAError:
    """A pymilvus or grpc failure as a QAError that says what to check. The token never appears: pymilvus does not
    put it in its messages, and we build ours from the uri and the failure's own words only."""
    text = str(getattr(exc, "message", "") or exc)
    code = getattr(exc, "code", None)
    grpc_code = getattr(exc, "code", lambda: None)() if callable(getattr(exc, "code", None)) else None
    cause = exc.__cause__
    cause_code = cause.code() if cause is not None and callable(getattr(cause, "code", None)) else None
    unauthenticated = any(str(c).endswith("UNAUTHENTICATED") for c in (grpc_code, cause_code)) \
        or code in (1800, 65535) and "auth" in text.lower() or "auth check fail" in text.lower() \
        or "unauthenticated" in text.lower()
    if unauthenticated:
        return StoreAuthError(f"Milvus at {uri} refused the credentials while trying to {what}: check "
                              "QA_MILVUS_TOKEN (user:password or an API key).")
    if "Fail connecting" in text or str(grpc_code).endswith("UNAVAILABLE") or str(cause_code).endswith("UNAVAILABLE"):
        return StoreUnavailableError(f"Milvus at {uri} is not reachable (trying to {what}): is the server running, "
                                     "and is QA_MILVUS_URI right?")
    return StoreUnavailableError(f"Milvus at {uri} failed to {what}: {text[:300]}")


# ---------------------------------------------------------------------------------------------- names

@dataclass(frozen=True)
class Version:
    """The three collections of one published version of the record."""

    chunks: str

    @property
    def sentences(self) -> str:
        return f"{self.chunks}__sentences"

    @property
    def record(self) -> str:
        return f"{self.chunks}__record"

    @property
    def collections(self) -> tuple[str, str, str]:
        return self.chunks, self.sentences, self.record


def new_version(alias: str) -> Version:
    return Version(f"{alias}__v{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:8]}")


def live_version(client, alias: str) -> Version | None:
    """The version the alias names; None when nothing was published under it yet."""
    if alias not in client.list_aliases().get("aliases", []):
        return None
    return Version(client.describe_alias(alias)["collection_name"])


# ---------------------------------------------------------------------------------------------- write

def bm25_text(terms: list[str]) -> str:
    """Our terms as text that Milvus's standard analyzer (\\w+, lower case) splits back into exactly these terms:
    an apostrophe inside a term ("o'brien") becomes '_', which \\w keeps and our tokeniser never produces."""
    return " ".join(t.replace("'", "_") for t in terms)


def _chunk_schema(client, dim: int):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)  # stored chunk id
    schema.add_field("generation", DataType.INT64)  # the manifest generation that added it
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("paragraph", DataType.INT64)
    schema.add_field("page", DataType.INT64)  # -1: a text without pages
    schema.add_field("sentence_ids", DataType.JSON)  # stored sentence ids
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("terms", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(Function(name="chunk_bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                 output_field_names=["sparse"]))
    return schema


def _dense_index(params, n: int) -> None:
    # The FAISS store's rule (qa.index.make_faiss_index): exact below HNSW_MIN_VECTORS, HNSW M=32 beyond it.
    from .index import HNSW_MIN_VECTORS

    if n >= HNSW_MIN_VECTORS:
        params.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 80})
    else:
        params.add_index("vector", index_type="FLAT", metric_type="IP")


def _create_collections(client, version: Version, dim: int, n_chunks: int, n_sentences: int) -> None:
    from pymilvus import DataType

    params = client.prepare_index_params()
    _dense_index(params, n_chunks)
    # bm25s's k1 and b (qa.index.build_bm25), so that BM25 ranks chunks as the FAISS store's BM25 does.
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params={"bm25_k1": 1.5, "bm25_b": 0.75})
    _create(client, version.chunks, _chunk_schema(client, dim), params)

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)  # stored sentence id
    schema.add_field("generation", DataType.INT64)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    _dense_index(params, n_sentences)
    _create(client, version.sentences, schema, params)

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("generation", DataType.INT64)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)  # "manifest" or "document"
    schema.add_field("key", DataType.VARCHAR, max_length=1024)  # the doc_id of a document
    schema.add_field("part", DataType.INT64)
    schema.add_field("payload", DataType.VARCHAR, max_length=65535)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field in every collection
    params = client.prepare_index_params()
    params.add_index("unused", index_type="FLAT", metric_type="L2")
    _create(client, version.record, schema, params)


def _create(client, name: str, schema, params) -> None:
    """A collection with its indexes, loaded. The index is created without waiting on it (`sync=False`): the wait
    asks the server for a timestamp, which Milvus Lite's server does not implement (it logs an error each time);
    loading waits for the index anyway. Strong consistency: a search right after a write sees it."""
    client.create_collection(name, schema=schema, consistency_level="Strong")
    client.create_index(name, params, sync=False)
    client.load_collection(name)


def _insert(client, collection: str, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            client.insert(collection, batch)
            batch = []
    if batch:
        client.insert(collection, batch)


def _pieces(text: str) -> list[str]:
    return [text[i:i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]


def _quoted(values) -> str:
    """A list literal for a Milvus filter (Milvus Lite has no filter templates); JSON's quoting is Milvus's."""
    return json.dumps(sorted(values), ensure_ascii=False)


@dataclass
class _Writer:
    """Rows of one write, with the ids and generation they get."""

    client: object
    version: Version
    generation: int
    next_chunk: int
    next_sentence: int
    next_record: int

    def documents(self, index, doc_ids: list[str], stored: dict[str, list[int]]) -> None:
        """Insert the chunks, sentences and document records of `doc_ids` (from `index`, a CorpusIndex just
        built), at fresh stored ids; `stored` gets each one's stored (s0, s1, c0, c1)."""
        from .chunking import search_text
        from .index import _document_record
        from .text import term_lists

        g = self.generation
        for doc_id in doc_ids:
            s0, s1, c0, c1 = index.manifest["documents"][doc_id]["range"]
            S0, C0 = self.next_sentence, self.next_chunk
            stored[doc_id] = [S0, S0 + (s1 - s0), C0, C0 + (c1 - c0)]
            self.next_sentence, self.next_chunk = S0 + (s1 - s0), C0 + (c1 - c0)
            chunks = index.chunks[c0:c1]
            doc = index.documents[doc_id]
            texts = [search_text(doc, [index.sentences[i] for i in c.sentence_ids]) for c in chunks]
            vectors = np.asarray(index.chunk_vectors[c0:c1], dtype=np.float32)
            _insert(self.client, self.version.chunks, ({
                "id": C0 + i, "generation": g, "doc_id": doc_id, "start": c.start, "end": c.end,
                "paragraph": index.sentences[c.sentence_ids[0]].paragraph,
                "page": -1 if index.sentences[c.sentence_ids[0]].page is None else index.sentences[c.sentence_ids[0]].page,
                "sentence_ids": [S0 + (sid - s0) for sid in c.sentence_ids], "text": c.text, "terms": bm25_text(t),
                "vector": v.tolist()} for i, (c, t, v) in enumerate(zip(chunks, term_lists(texts),
                                                                         vectors))))
            vectors = np.asarray(index.sentence_vectors[s0:s1], dtype=np.float32)
            _insert(self.client, self.version.sentences, ({"id": S0 + i, "generation": g, "doc_id": doc_id,
                                                           "vector": v.tolist()} for i, v in enumerate(vectors)))
            self.record("document", doc_id, json.dumps(_document_record(index.documents[doc_id]), ensure_ascii=False))

    def record(self, kind: str, key: str, text: str) -> None:
        rows = []
        for part, piece in enumerate(_pieces(text)):
            rows.append({"id": self.next_record, "generation": self.generation, "kind": kind, "key": key,
                         "part": part, "payload": piece, "unused": [0.0, 0.0]})
            self.next_record += 1
        _insert(self.client, self.version.record, rows)

    def manifest(self, index, stored: dict[str, list[int]], dead: dict[str, int]) -> dict:
        """The manifest as kept in Milvus: document ranges in stored ids, the rows that are dead but not yet deleted
        (doc_id: generation below which its rows are dead), and the store's own counters."""
        manifest = json.loads(json.dumps(index.manifest))
        for doc_id, info in manifest["documents"].items():
            info["range"] = stored[doc_id]
        manifest["store"] = {"format": STORE_FORMAT, "version": self.version.chunks, "generation": self.generation,
                             "dead": dead,
                             "next_chunk": self.next_chunk, "next_sentence": self.next_sentence,
                             "next_record": self.next_record + len(_pieces(json.dumps(manifest))) + 10}
        self.record("manifest", "", json.dumps(manifest, ensure_ascii=False))
        return manifest


def publish(index, settings: Settings, previous=None) -> tuple[Version, int]:
    """Write `index` (a CorpusIndex just built) to Milvus; return the version and generation that serve it.

    With `previous` (the live record, loaded from Milvus with the same settings) only the documents that were added,
    changed or removed are written or deleted, per doc_id, in the live version (`_update`). Otherwise the whole
    record goes into a new version and the alias moves to it, in one step; the versions before the one it replaced
    are dropped (that one stays, so questions that started on it can finish)."""
    client, alias, uri = connect(settings), collection_name(settings), milvus_uri(settings)
    live = live_version(client, alias) if previous is not None and previous.store is not None else None
    if live is not None and live == previous.store.version \
            and previous.manifest.get("settings") == index.manifest.get("settings"):
        try:
            return _update(client, index, previous)
        except QAError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise store_error(exc, uri, f"update collection {live.chunks}") from None
    version = new_version(alias)
    try:
        _create_collections(client, version, int(index.manifest["dimension"]), len(index.chunks),
                            len(index.sentences))
        writer, stored = _Writer(client, version, 1, 0, 0, 0), {}
        writer.documents(index, list(index.documents), stored)
        manifest = writer.manifest(index, stored, {})
        for name in version.collections:
            client.flush(name)
        replaced = live_version(client, alias)
        if replaced is None:
            client.create_alias(version.chunks, alias)
        else:
            client.alter_alias(version.chunks, alias)  # the switch: one step, readers see old or new
    except Exception as exc:  # noqa: BLE001
        _drop(client, version)
        raise exc if isinstance(exc, QAError) else store_error(exc, uri, f"write collection {version.chunks}") from None
    keep = {version.chunks, replaced.chunks if replaced else None}
    for name in client.list_collections():
        if name.startswith(f"{alias}__v") and not name.endswith(("__sentences", "__record")) and name not in keep:
            _drop(client, Version(name))
    index.manifest["store"] = manifest["store"]
    log.info("published %s (%d chunks) under alias %s", version.chunks, len(index.chunks), alias)
    return version, 1


def _update(client, index, previous) -> tuple[Version, int]:
    """Per-document changes in the live version, ordered so that no reader sees a mix or a half: (1) rows the
    previous update marked dead are deleted (no reader of that generation searches them, and older readers have
    moved on: they look once a second); (2) the new documents' rows go in at generation g+1, which readers of
    generation g filter out; (3) the manifest of generation g+1 goes in, marking the rows of removed and changed
    documents dead, and readers move to it: they filter those rows out; (4) the old manifest is deleted. A reader
    never sees two copies of a document nor misses one."""
    old, new = previous.manifest["documents"], index.manifest["documents"]
    store = previous.manifest["store"]
    gone = [d for d in old if d not in new or old[d]["sha256"] != new[d]["sha256"]]
    added = [d for d in new if d not in old or old[d]["sha256"] != new[d]["sha256"]]
    version, g = previous.store.version, store["generation"] + 1
    for doc_id, below in store.get("dead", {}).items():
        where = f"doc_id == {json.dumps(doc_id, ensure_ascii=False)} and generation < {below}"
        client.delete(version.chunks, filter=where)
        client.delete(version.sentences, filter=where)
        client.delete(version.record, filter=f'kind == "document" and key == {json.dumps(doc_id, ensure_ascii=False)}'
                                             f" and generation < {below}")
    writer = _Writer(client, version, g, store["next_chunk"], store["next_sentence"], store["next_record"])
    stored = {d: list(previous.store.stored[d]) for d in new if d not in added}
    writer.documents(index, added, stored)
    manifest = writer.manifest(index, stored, {d: g for d in gone})
    client.delete(version.record, filter=f'kind == "manifest" and generation < {g}')
    for name in version.collections:
        client.flush(name)
    index.manifest["store"] = manifest["store"]
    log.info("updated %s to generation %d: %d documents added or changed, %d removed", version.chunks, g,
             len(added), len(gone))
    return version, g


def _drop(client, version: Version) -> None:
    for name in version.collections:
        try:
            client.drop_collection(name)
        except Exception:  # noqa: BLE001 - a half-made version may lack some collections
            pass


# ---------------------------------------------------------------------------------------------- read

class ChunkVectors:
    """The served record's chunk vectors, read from Milvus when asked for by local position: a rebuild reuses an
    unchanged document's vectors (`vectors[c0:c1]`, one document's chunks); an app process never needs them all."""

    def __init__(self, client, collection: str, n: int, dim: int, segments: list[tuple[int, int, int]]):
        # (local c0, local c1, stored c0) of each document: its chunks are contiguous in both numberings
        self.client, self.collection, self.n, self.dim, self.segments = client, collection, n, dim, segments

    def __len__(self) -> int:
        return self.n

    def _stored(self, local: int) -> int:
        for c0, c1, stored in self.segments:
            if c0 <= local < c1:
                return stored + local - c0
        raise IndexError(local)

    def __getitem__(self, key):
        if not isinstance(key, slice):
            key = slice(int(key), int(key) + 1)
            return self[key][0]
        start, stop, _ = key.indices(self.n)
        out = np.zeros((max(0, stop - start), self.dim), dtype=np.float32)
        if stop > start:
            first, last = self._stored(start), self._stored(stop - 1)
            if last - first != stop - 1 - start:
                raise IndexError("a slice of chunk vectors must lie within one document")
            rows = self.client.query(self.collection, filter=f"id >= {first} and id <= {last}",
                                     output_fields=["vector"], limit=last - first + 1)
            for r in rows:
                out[r["id"] - first] = r["vector"]
        return out


@dataclass
class MilvusChunks:
    """What retrieval asks of a Milvus-stored index: the fused chunk ranking of one question, from one version and
    generation of the record."""

    client: object
    uri: str
    version: Version
    generation: int
    n_chunks: int
    # per document: its stored (s0, s1, c0, c1) and the local position of its first sentence
    stored: dict[str, list[int]]
    local_s0: dict[str, int]
    dead: dict[str, int]  # doc_id: generation below which its rows are dead (removed or replaced, not yet deleted)

    @property
    def served(self) -> str:
        """The filter for this record's rows: none that a later generation added, none that it marked dead."""
        where = f"generation <= {self.generation}"
        for below in sorted(set(self.dead.values())):
            docs = _quoted(d for d, b in self.dead.items() if b == below)
            where += f" and not (doc_id in {docs} and generation < {below})"
        return where

    def describe(self) -> str:
        return f"Milvus {self.uri}, collection {self.version.chunks} (generation {self.generation})"

    def retrieve(self, query_vector: np.ndarray, query_terms: list[str], top_k: int, depth: int,
                 rrf_k: int, min_sentences: int = 0) -> list[Passage]:
        from pymilvus import AnnSearchRequest, RRFRanker

        from .index import HNSW_MIN_VECTORS, hnsw_ef_search
        from .retrieval import passages_to_keep

        depth = min(depth, self.n_chunks)
        if depth == 0:
            return []
        dense_params = {"metric_type": "IP"}
        if self.n_chunks >= HNSW_MIN_VECTORS:
            dense_params["params"] = {"ef": max(hnsw_ef_search(self.n_chunks), depth)}
        served = self.served
        requests = [AnnSearchRequest([query_vector.tolist()], "vector", dense_params, depth, expr=served)]
        text = bm25_text(query_terms)
        if text:
            requests.append(AnnSearchRequest([text], "sparse", {"metric_type": "BM25"}, depth, expr=served))
        try:
            # Every fused hit (at most 2 * depth), not just top_k: Milvus orders equal RRF scores as they came,
            # qa.retrieval by chunk id, and the cut at top_k must fall where the FAISS store's falls.
            hits = self.client.hybrid_search(self.version.chunks, requests, RRFRanker(rrf_k), limit=2 * depth,
                                             output_fields=["doc_id", "start", "end", "sentence_ids", "text",
                                                            "vector"])[0]
        except Exception as exc:  # noqa: BLE001
            raise store_error(exc, self.uri, "search") from None
        hits = first_distinct(sorted((h for h in hits if h["entity"]["doc_id"] in self.stored),
                                     key=lambda h: (-h["distance"], h["id"])),
                              lambda h: h["entity"]["text"])
        hits = hits[:passages_to_keep([len(h["entity"]["sentence_ids"]) for h in hits], top_k, min_sentences)]
        passages = []
        for rank, hit in enumerate(hits):
            e = hit["entity"]
            shift = self.local_s0[e["doc_id"]] - self.stored[e["doc_id"]][0]
            chunk = Chunk(int(hit["id"]), e["doc_id"], int(e["start"]), int(e["end"]),
                          tuple(int(i) + shift for i in e["sentence_ids"]), e["text"])
            dense = float(np.asarray(e["vector"], dtype=np.float32) @ query_vector)
            # The hybrid request returns the fused score only: the BM25 score of a chunk is not known here.
            passages.append(Passage(chunk, float(hit["distance"]), rank, dense, None))
        return passages


def _manifest(client, version: Version) -> dict:
    """The newest manifest in the version's record collection (during an update there are two for a moment)."""
    rows = client.query(version.record, filter='kind == "manifest"', output_fields=["generation", "part", "payload"],
                        limit=16_384)
    if not rows:
        raise StoreUnavailableError(f"Collection {version.record} holds no manifest: the version is incomplete.")
    g = max(r["generation"] for r in rows)
    return json.loads("".join(r["payload"] for r in sorted((r for r in rows if r["generation"] == g),
                                                           key=lambda r: r["part"])))


def load_version(settings: Settings, version: Version | None = None):
    """The live version (or `version`) as a CorpusIndex whose chunks stay in Milvus: documents, sentences and
    sentence vectors are read into memory (the reader and citations use them), the sentence BM25 is built here.
    None when nothing was published under the alias."""
    from .chunking import search_text
    from .index import CorpusIndex, _document_from_record, build_bm25

    client, uri = connect(settings), milvus_uri(settings)
    try:
        version = version or live_version(client, collection_name(settings))
        if version is None:
            return None
        for name in version.collections:
            client.load_collection(name)
        manifest = _manifest(client, version)
        g, store = manifest["store"]["generation"], manifest["store"]
        pieces: dict[str, dict[int, tuple[int, str]]] = {}
        for row in _rows(client, version.record, store["next_record"], ["generation", "kind", "key", "part", "payload"],
                         f'kind == "document" and generation <= {g}'):
            parts = pieces.setdefault(row["key"], {})
            if row["part"] not in parts or parts[row["part"]][0] < row["generation"]:
                parts[row["part"]] = (row["generation"], row["payload"])
        stored = {d: info["range"] for d, info in manifest["documents"].items()}
        order = sorted(stored, key=lambda d: stored[d][0])
        documents = {d: _document_from_record(json.loads("".join(p for _, (_, p) in sorted(pieces[d].items()))))
                     for d in order}
        sentences, local_s0, segments, c = [], {}, [], 0
        for d in order:
            local_s0[d] = len(sentences)
            sentences.extend(documents[d].sentences)
            s0, s1, c0, c1 = stored[d]
            segments.append((c, c + c1 - c0, c0))
            manifest["documents"][d]["range"] = [local_s0[d], len(sentences), c, c + c1 - c0]  # local, as FAISS's
            c += c1 - c0
        dim = int(manifest["dimension"])
        sentence_vectors = np.zeros((len(sentences), dim), dtype=np.float32)
        shift = {d: local_s0[d] - stored[d][0] for d in order}
        for row in _rows(client, version.sentences, store["next_sentence"], ["doc_id", "vector"],
                         f"generation <= {g}"):
            d = row["doc_id"]
            if d in shift and stored[d][0] <= row["id"] < stored[d][1]:  # not a dead copy of a changed document
                sentence_vectors[row["id"] + shift[d]] = row["vector"]
    except QAError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise store_error(exc, uri, f"read collection {version.chunks if version else ''}") from None
    n_chunks = c
    chunks_store = MilvusChunks(client, uri, version, g, n_chunks, stored, local_s0, store.get("dead", {}))
    sentence_bm25 = build_bm25([search_text(documents[s.doc_id], [s]) for s in sentences])
    return CorpusIndex(manifest, documents, sentences, [],
                       ChunkVectors(client, version.chunks, n_chunks, dim, segments), sentence_vectors, None, None,
                       sentence_bm25, sentence_chunk=np.zeros(0, dtype=np.int64), store=chunks_store)


def _rows(client, collection: str, end: int, fields: list[str], where: str, batch: int = 1000):
    """Every row with id below `end` that matches `where`, by id range: a query returns at most 16,384 rows, and
    Milvus Lite's server has no timestamp service for query_iterator."""
    for start in range(0, end, batch):
        yield from client.query(collection, filter=f"id >= {start} and id < {start + batch} and ({where})",
                                output_fields=["id", *fields], limit=batch)


def live_state(settings: Settings) -> tuple[str | None, int]:
    """The version the alias names now and its newest generation: an app process compares them with what it
    serves (once a second) and reloads when either moved."""
    client = connect(settings)
    try:
        version = live_version(client, collection_name(settings))
        if version is None:
            return None, 0
        rows = client.query(version.record, filter='kind == "manifest" and part == 0', output_fields=["generation"],
                            limit=100)
    except Exception as exc:  # noqa: BLE001
        raise store_error(exc, milvus_uri(settings), "read the alias") from None
    return version.chunks, max((r["generation"] for r in rows), default=0)
