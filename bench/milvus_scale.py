"""Scale of the index store: FAISS (+ bm25s) next to Milvus in one run, at 100k and 1M chunks.

    python -m bench scale --store milvus [--sizes 100000,1000000] [--milvus-uri http://127.0.0.1:19530]

Vectors: the real MiniLM vectors of the SQuAD v1.1 dev paragraphs (2,067), then noisy copies of them (as part (b)
of `bench scale`: bench.scale_bench.synthetic_vectors). Text: those paragraphs, repeated, so BM25 sees real term
statistics. Queries: 200 of their questions, embedded and tokenised as the product does.
For each store and size:
- ingest: rows per second, from the first row sent to a searchable index (FAISS: HNSW or flat add + bm25s index;
  Milvus: inserts through the client, the BM25 function, flush, index and load);
- query p50 / p95 ms: the product's retrieval of one question (FAISS: qa.retrieval's dense + BM25 + RRF;
  Milvus: the one hybrid request of qa.store_milvus);
- recall@10 of the dense route against exact search;
- hybrid agreement@10: the share of the FAISS store's fused top 10 that Milvus's hybrid request also returns.
Milvus runs in a Milvus Lite file unless --milvus-uri names a server; Milvus Lite is a pure-Python engine meant for
development, so its figures are a floor, not what Milvus Standalone or Distributed do.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from .scale_bench import synthetic_vectors
from .squad_bench import RESULTS, fmt, md_table, peak_rss_mb, percentile, provenance, write_results




def _real_material(n_questions: int = 200, progress=print):
    """Real paragraphs (their MiniLM vectors and texts) and questions (vectors and terms): SQuAD v1.1 dev."""
    import json

    from qa.embedding import get_embedder
    from qa.settings import BUNDLED_EMBEDDER
    from qa.text import terms

    from .squad_data import SQUAD_V1

    data = json.loads(SQUAD_V1.read_text(encoding="utf-8"))["data"]
    texts = [p["context"] for a in data for p in a["paragraphs"]]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    questions = [questions[i] for i in np.random.default_rng(4).choice(len(questions), n_questions, replace=False)]
    embedder = get_embedder(BUNDLED_EMBEDDER)
    from .scale_bench import default_cache

    cached = default_cache() / "squad_paragraph_vectors.npy"  # three minutes of embedding on 2 cores, kept
    if cached.is_file() and len(np.load(cached, mmap_mode="r")) == len(texts):
        real = np.load(cached)
    else:
        t = time.perf_counter()
        real = embedder.encode(texts)
        progress(f"embedded {len(texts):,} paragraphs in {time.perf_counter() - t:.0f}s")
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.save(cached, real)
    return real, texts, embedder.encode(questions), [terms(q) for q in questions]


def _exact_top10(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    out = np.empty((len(queries), 10), dtype=np.int64)
    for i, q in enumerate(queries):
        scores = vectors @ q
        top = np.argpartition(-scores, 10)[:10]
        out[i] = top[np.argsort(-scores[top])]
    return out


def _recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f[:10]) & set(t.tolist())) / 10.0 for f, t in zip(found, truth)]))


def build_bm25_repeated(texts: list[str], n: int):
    """qa.index.build_bm25 over `n` rows that repeat `texts`, tokenising each distinct text once."""
    import bm25s

    from qa.text import term_lists

    unique = [t or [""] for t in term_lists(texts)]
    retriever = bm25s.BM25()
    retriever.index([unique[i % len(unique)] for i in range(n)], show_progress=False)
    return retriever


def faiss_store(vectors, texts, queries, query_terms, truth) -> dict:
    from qa.index import CorpusIndex, make_faiss_index
    from qa.retrieval import dense_ranking, retrieve
    from qa.schema import Chunk

    n = len(vectors)
    t = time.perf_counter()
    faiss_index = make_faiss_index(vectors)
    bm25 = build_bm25_repeated(texts, n)
    ingest = time.perf_counter() - t
    chunks = [Chunk(i, "d", 0, 0, (), "") for i in range(n)]
    index = CorpusIndex({}, {}, [], chunks, vectors, np.zeros((0, vectors.shape[1]), np.float32), faiss_index, bm25,
                        None, sentence_chunk=np.zeros(0, np.int64))
    times, hybrid = [], []
    for q, qt in zip(queries, query_terms):
        t = time.perf_counter()
        passages = retrieve(index, q, qt, 10, 30, 60)
        times.append((time.perf_counter() - t) * 1000.0)
        hybrid.append([p.chunk.chunk_id for p in passages])
    found = [dense_ranking(index, q, 10)[0] for q in queries]
    return {"store": "faiss", "n": n, "index": type(faiss_index).__name__, "ingest_seconds": ingest,
            "rows_per_second": n / ingest, "query_ms_p50": percentile(times, 50), "query_ms_p95": percentile(times, 95),
            "recall@10": _recall(found, truth), "hybrid_top10": hybrid}


def milvus_store(vectors, texts, queries, query_terms, truth, uri: str | None, progress=print) -> dict:
    from qa.settings import Settings
    from qa.store_milvus import (BATCH_ROWS, MilvusChunks, Version, _create_collections, _drop, bm25_text,
                                 connect, forget_client, milvus_uri)
    from qa.text import term_lists

    n, dim = vectors.shape
    tmp = tempfile.mkdtemp(prefix="bench-milvus-")
    settings = Settings(store="milvus", milvus_uri=uri or str(Path(tmp) / "bench.db"))
    client = connect(settings)
    version = Version(f"bench_scale_{n}_{int(time.time())}")
    terms = [bm25_text(t) for t in term_lists(texts)]
    t = time.perf_counter()
    _create_collections(client, version, dim, n, 0)
    for start in range(0, n, BATCH_ROWS):
        stop = min(n, start + BATCH_ROWS)
        client.insert(version.chunks, [{"id": i, "generation": 1, "doc_id": "d", "start": 0, "end": 0, "paragraph": 0, "page": -1,
                                        "sentence_ids": [], "text": "", "terms": terms[i % len(terms)],
                                        "vector": vectors[i].tolist()} for i in range(start, stop)])
        if start and start % 100_000 == 0:
            progress(f"  milvus n={n:,}: {start:,} rows in {time.perf_counter() - t:.0f}s")
    client.flush(version.chunks)
    client.load_collection(version.chunks)
    ingest = time.perf_counter() - t
    store = MilvusChunks(client, milvus_uri(settings), version, 1, n, {"d": [0, 0, 0, n]}, {"d": 0}, {})
    times, hybrid = [], []
    for q, qt in zip(queries, query_terms):
        t = time.perf_counter()
        passages = store.retrieve(q, qt, 10, 30, 60)
        times.append((time.perf_counter() - t) * 1000.0)
        hybrid.append([p.chunk.chunk_id for p in passages])
    from qa.index import HNSW_MIN_VECTORS, hnsw_ef_search

    params = {"metric_type": "IP"}
    if n >= HNSW_MIN_VECTORS:
        params["params"] = {"ef": hnsw_ef_search(n)}
    found = [[h["id"] for h in client.search(version.chunks, data=[q.tolist()], anns_field="vector",
                                             search_params=params, limit=10)[0]] for q in queries]
    _drop(client, version)
    if uri is None:  # the Lite file of this run
        forget_client(settings)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"store": "milvus", "n": n, "index": "HNSW" if n >= HNSW_MIN_VECTORS else "FLAT",
            "ingest_seconds": ingest, "rows_per_second": n / ingest, "query_ms_p50": percentile(times, 50),
            "query_ms_p95": percentile(times, 95), "recall@10": _recall(found, truth), "hybrid_top10": hybrid,
            "milvus": "server" if uri else "Milvus Lite file"}


def run_milvus_scale(sizes=(100_000, 1_000_000), uri: str | None = None, out_dir: Path = RESULTS,
                     name: str = "scale_milvus", progress=print) -> dict:
    started = time.perf_counter()
    real, texts, all_queries, all_terms = _real_material(progress=progress)
    result = {"benchmark": "scale --store milvus", "provenance": provenance(), "real_vectors": len(real),
              "texts": len(texts), "queries": len(all_queries), "rows": []}
    for n in sizes:
        vectors = synthetic_vectors(real, n)
        # Milvus Lite scores BM25 in Python: at 1M rows a question takes seconds, so 100 questions there.
        queries, query_terms = (all_queries, all_terms) if n < 1_000_000 else (all_queries[:100], all_terms[:100])
        truth = _exact_top10(vectors, queries)
        for run in (faiss_store, milvus_store):
            progress(f"{run.__name__} n={n:,} ...")
            row = run(vectors, texts, queries, query_terms, truth) if run is faiss_store else \
                run(vectors, texts, queries, query_terms, truth, uri, progress)
            row["queries"] = len(queries)
            if run is milvus_store:  # how much of the FAISS store's fused top 10 Milvus's hybrid request returns
                reference = result["rows"][-1]["hybrid_top10"]
                row["hybrid_agreement@10"] = float(np.mean([len(set(a) & set(b)) / max(1, len(b))
                                                            for a, b in zip(row["hybrid_top10"], reference)]))
            progress(f"  { {k: v for k, v in row.items() if k != 'hybrid_top10'} }")
            result["rows"].append(row)
            gc.collect()
            write_results(out_dir, name, result, milvus_markdown(result))  # what finished, if a later size dies
        del vectors
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["runtime_seconds"] = round(time.perf_counter() - started, 1)
    write_results(out_dir, name, result, milvus_markdown(result))
    return result


def milvus_markdown(result: dict) -> str:
    prov = result["provenance"]
    return "\n\n".join([
        "# Scale of the index store: FAISS next to Milvus",
        f"Revision {prov.get('git_head', '?')}; {prov['cpus']} CPUs, load average at start "
        f"{prov['load_average_at_start'][0]}. {result['real_vectors']:,} real MiniLM vectors and texts (SQuAD v1.1 "
        f"dev paragraphs), then noisy copies; {result['queries']} real questions. Ingest: rows to a searchable "
        "index; query: the product's retrieval of one question (dense + BM25 + RRF, top 10); recall@10 of the dense "
        "route against exact search; hybrid agreement@10: the share of the FAISS store's fused top 10 that Milvus "
        "returns.",
        md_table(["n", "store", "index", "ingest s", "rows/s", "questions", "query p50 ms", "query p95 ms",
                  "recall@10", "hybrid agreement@10"],
                 [[f"{r['n']:,}", r["store"] + (f" ({r['milvus']})" if r.get("milvus") else ""), r["index"],
                   fmt(r["ingest_seconds"], 1), fmt(r["rows_per_second"], 0), r.get("queries", result["queries"]),
                   fmt(r["query_ms_p50"], 2),
                   fmt(r["query_ms_p95"], 2), r["recall@10"], r.get("hybrid_agreement@10", "")]
                  for r in result["rows"]])])
