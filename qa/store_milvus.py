"""Milvus as the index store (QA_STORE=milvus): the same record as `index/`, kept in Milvus, so that app processes
on several machines serve one record and hold no index files.

One published version of the record is three collections, written once and never changed:
- `<name>__<version>`: one row per chunk: its dense vector, its reading text, the BM25 sparse vector that Milvus's
  BM25 function makes from the chunk's terms, and its document id, offsets, paragraph, page and sentence ids;
- `<name>__<version>__sentences`: one row per sentence: its dense vector (the reader's shortlist);
- `<name>__<version>__record`: the manifest (documents, hashes, settings) and each document's text, paragraphs,
  pages, sections and sentences, as the JSON that `index/documents.json` holds, in pieces Milvus can store.
The alias `<name>` names the live version. A build writes a new version and then moves the alias, in one step, so a
reader sees the old record or the new one, never a mix; an app process resolves the alias once per version and
searches that version by its own name, so a question started on one version ends on it.

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
    schema.add_field("id", DataType.INT64, is_primary=True)  # Chunk.chunk_id
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("start", DataType.INT64)
    schema.add_field("end", DataType.INT64)
    schema.add_field("paragraph", DataType.INT64)
    schema.add_field("page", DataType.INT64)  # -1: a text without pages
    schema.add_field("sentence_ids", DataType.JSON)
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
    client.create_collection(version.chunks, schema=_chunk_schema(client, dim), index_params=params,
                             consistency_level="Strong")

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)  # the corpus-wide sentence id
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    params = client.prepare_index_params()
    _dense_index(params, n_sentences)
    client.create_collection(version.sentences, schema=schema, index_params=params, consistency_level="Strong")

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)  # "manifest" or "document"
    schema.add_field("key", DataType.VARCHAR, max_length=1024)  # the doc_id of a document
    schema.add_field("part", DataType.INT64)
    schema.add_field("payload", DataType.VARCHAR, max_length=65535)
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field in every collection
    params = client.prepare_index_params()
    params.add_index("unused", index_type="FLAT", metric_type="L2")
    client.create_collection(version.record, schema=schema, index_params=params, consistency_level="Strong")


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


def publish(index, settings: Settings, progress: bool = False) -> Version:
    """Write `index` (a CorpusIndex just built) as a new version, move the alias to it, and drop the versions
    before the one it replaced (that one stays, so questions that started on it can finish)."""
    from .index import _document_record
    from .text import term_lists

    client, alias, uri = connect(settings), collection_name(settings), milvus_uri(settings)
    version = new_version(alias)
    try:
        dim = int(index.manifest["dimension"])
        _create_collections(client, version, dim, len(index.chunks), len(index.sentences))
        terms = term_lists([c.text for c in index.chunks])
        first = {c.chunk_id: index.sentences[c.sentence_ids[0]] for c in index.chunks}
        _insert(client, version.chunks, ({
            "id": c.chunk_id, "doc_id": c.doc_id, "start": c.start, "end": c.end,
            "paragraph": first[c.chunk_id].paragraph,
            "page": -1 if first[c.chunk_id].page is None else first[c.chunk_id].page,
            "sentence_ids": list(c.sentence_ids), "text": c.text, "terms": bm25_text(t),
            "vector": index.chunk_vectors[c.chunk_id].tolist()} for c, t in zip(index.chunks, terms)))
        vectors = np.asarray(index.sentence_vectors[0:len(index.sentences)], dtype=np.float32)
        _insert(client, version.sentences, ({"id": i, "vector": v.tolist()} for i, v in enumerate(vectors)))
        manifest = dict(index.manifest, store={"format": STORE_FORMAT, "version": version.chunks})
        records = [("manifest", "", json.dumps(manifest, ensure_ascii=False))]
        records += [("document", d.doc_id, json.dumps(_document_record(d), ensure_ascii=False))
                    for d in index.documents.values()]
        rows, row_id = [], 0
        for kind, key, text in records:
            for part, piece in enumerate(_pieces(text)):
                rows.append({"id": row_id, "kind": kind, "key": key, "part": part, "payload": piece,
                             "unused": [0.0, 0.0]})
                row_id += 1
        _insert(client, version.record, rows)
        for name in version.collections:
            client.flush(name)
        previous = live_version(client, alias)
        if previous is None:
            client.create_alias(version.chunks, alias)
        else:
            client.alter_alias(version.chunks, alias)  # the switch: one step, readers see old or new
    except QAError:
        _drop(client, version)
        raise
    except Exception as exc:  # noqa: BLE001
        _drop(client, version)
        raise store_error(exc, uri, f"write collection {version.chunks}") from None
    keep = {version.chunks, previous.chunks if previous else None}
    for name in client.list_collections():
        if name.startswith(f"{alias}__v") and not name.endswith(("__sentences", "__record")) and name not in keep:
            _drop(client, Version(name))
    index.manifest["store"] = manifest["store"]
    log.info("published %s (%d chunks) under alias %s", version.chunks, len(index.chunks), alias)
    return version


def _drop(client, version: Version) -> None:
    for name in version.collections:
        try:
            client.drop_collection(name)
        except Exception:  # noqa: BLE001 - a half-made version may lack some collections
            pass


# ---------------------------------------------------------------------------------------------- read

class ChunkVectors:
    """A version's chunk vectors, read from Milvus when asked for (a rebuild reuses an unchanged document's
    vectors; an app process never needs them all): `vectors[i]` or `vectors[a:b]`."""

    def __init__(self, client, collection: str, n: int, dim: int):
        self.client, self.collection, self.n, self.dim = client, collection, n, dim

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, _ = key.indices(self.n)
            out = np.zeros((max(0, stop - start), self.dim), dtype=np.float32)
            if stop > start:
                rows = self.client.query(self.collection, filter=f"id >= {start} and id < {stop}",
                                         output_fields=["vector"], limit=stop - start)
                for r in rows:
                    out[r["id"] - start] = r["vector"]
            return out
        rows = self.client.get(self.collection, ids=[int(key)], output_fields=["vector"])
        return np.asarray(rows[0]["vector"], dtype=np.float32)


@dataclass
class MilvusChunks:
    """What retrieval asks of a Milvus-stored index: the fused chunk ranking of one question, from one version."""

    client: object
    uri: str
    version: Version
    n_chunks: int

    def describe(self) -> str:
        return f"Milvus {self.uri}, collection {self.version.chunks}"

    def retrieve(self, query_vector: np.ndarray, query_terms: list[str], top_k: int, depth: int,
                 rrf_k: int) -> list[Passage]:
        from pymilvus import AnnSearchRequest, RRFRanker

        from .index import HNSW_MIN_VECTORS, hnsw_ef_search

        depth = min(depth, self.n_chunks)
        if depth == 0:
            return []
        dense_params = {"metric_type": "IP"}
        if self.n_chunks >= HNSW_MIN_VECTORS:
            dense_params["params"] = {"ef": max(hnsw_ef_search(self.n_chunks), depth)}
        requests = [AnnSearchRequest([query_vector.tolist()], "vector", dense_params, depth)]
        text = bm25_text(query_terms)
        if text:
            requests.append(AnnSearchRequest([text], "sparse", {"metric_type": "BM25"}, depth))
        try:
            # Every fused hit (at most 2 * depth), not just top_k: Milvus orders equal RRF scores as they came,
            # qa.retrieval by chunk id, and the cut at top_k must fall where the FAISS store's falls.
            hits = self.client.hybrid_search(self.version.chunks, requests, RRFRanker(rrf_k), limit=2 * depth,
                                             output_fields=["doc_id", "start", "end", "sentence_ids", "text",
                                                            "vector"])[0]
        except Exception as exc:  # noqa: BLE001
            raise store_error(exc, self.uri, "search") from None
        hits = sorted(hits, key=lambda h: (-h["distance"], h["id"]))[:top_k]
        passages = []
        for rank, hit in enumerate(hits):
            e = hit["entity"]
            chunk = Chunk(int(hit["id"]), e["doc_id"], int(e["start"]), int(e["end"]),
                          tuple(int(i) for i in e["sentence_ids"]), e["text"])
            dense = float(np.asarray(e["vector"], dtype=np.float32) @ query_vector)
            # The hybrid request returns the fused score only: the BM25 score of a chunk is not known here.
            passages.append(Passage(chunk, float(hit["distance"]), rank, dense, None))
        return passages


def load_version(settings: Settings, version: Version | None = None):
    """The live version (or `version`) as a CorpusIndex whose chunks stay in Milvus: documents, sentences and
    sentence vectors are read into memory (the reader and citations use them), the sentence BM25 is built here.
    None when nothing was published under the alias."""
    from .index import CorpusIndex, _document_from_record, build_bm25

    client, uri = connect(settings), milvus_uri(settings)
    try:
        version = version or live_version(client, collection_name(settings))
        if version is None:
            return None
        for name in version.collections:
            client.load_collection(name)
        pieces: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for row in _all_rows(client, version.record, ["kind", "key", "part", "payload"]):
            pieces.setdefault((row["kind"], row["key"]), []).append((row["part"], row["payload"]))
        texts = {k: "".join(p for _, p in sorted(v)) for k, v in pieces.items()}
        manifest = json.loads(texts[("manifest", "")])
        order = sorted(manifest["documents"], key=lambda d: manifest["documents"][d]["range"][0])
        documents = {d: _document_from_record(json.loads(texts[("document", d)])) for d in order}
        sentences = [s for d in order for s in documents[d].sentences]
        dim = int(manifest["dimension"])
        sentence_vectors = np.zeros((len(sentences), dim), dtype=np.float32)
        for row in _all_rows(client, version.sentences, ["vector"]):
            sentence_vectors[row["id"]] = row["vector"]
    except QAError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise store_error(exc, uri, f"read collection {version.chunks if version else ''}") from None
    n_chunks = manifest["counts"]["chunks"]
    store = MilvusChunks(client, uri, version, n_chunks)
    return CorpusIndex(manifest, documents, sentences, [], ChunkVectors(client, version.chunks, n_chunks, dim),
                       sentence_vectors, None, None, build_bm25([s.text for s in sentences]),
                       sentence_chunk=np.zeros(0, dtype=np.int64), store=store)


def _all_rows(client, collection: str, fields: list[str], batch: int = 1000):
    """Every row of a collection whose ids are 0, 1, 2, ... (all three of a version's are), by id range: a query
    returns at most 16,384 rows, and Milvus Lite's server has no timestamp service for query_iterator."""
    start = 0
    while True:
        rows = client.query(collection, filter=f"id >= {start} and id < {start + batch}", output_fields=fields,
                            limit=batch)
        yield from rows
        if len(rows) < batch:
            return
        start += batch


def live_version_name(settings: Settings) -> str | None:
    """The name of the version the alias names now: an app process compares it with the one it serves."""
    client = connect(settings)
    try:
        version = live_version(client, collection_name(settings))
    except Exception as exc:  # noqa: BLE001
        raise store_error(exc, milvus_uri(settings), "read the alias") from None
    return version.chunks if version else None
