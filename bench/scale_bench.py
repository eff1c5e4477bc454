"""Scale: (a) one big record (all SQuAD v1.1 dev articles, one document each) asked held-out questions through
`Engine.ask`; (b) FAISS flat vs IVF vs HNSW at 10k / 100k / 1M vectors of dim 384; (c) embedding throughput.

    python -m bench scale [--parts abc] [--questions 1000] [--sizes 10000,100000,1000000] [--skip-hnsw-1m]

Part (b) uses the real MiniLM vectors of the big record (its chunks and sentences, about 15k) and, beyond
them, copies of those vectors with gaussian noise (noise of norm NOISE_NORM, then renormalised: a copy has
cosine about 0.9 with its original). Queries are real question embeddings. Recall@10 is against exact (flat)
search. The product's rule (qa.index.make_faiss_index): flat below HNSW_MIN_VECTORS, else HNSW M=32,
efConstruction=80, efSearch 128 (256 from 500k vectors). Building HNSW over 1M vectors takes 2-3 min on 2 idle cores (15+ min when
they are busy); --skip-hnsw-1m skips it and extrapolates its build time and memory from 100k (marked so).

The big record's corpus and index are kept in a cache directory ($BENCH_CACHE or ~/.cache/case-qa-bench) so a
re-run does not re-embed ~13k texts. The cost of a full build is kept in <cache>/big-record/full_build.json from
the last build that embedded everything (reported with its date; `index_reused` says whether this run reused the
index). --no-cache builds from scratch in a temporary directory (about 13 min more on 2 cores).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from qa.index import hnsw_ef_search

from .squad_bench import (RESULTS, fmt, md_table, mean, peak_rss_mb, percentile, provenance, question_word,
                          sample_questions, strip_markers, write_results)
from .squad_data import (HELD_OUT_EXCLUDE, SQUAD_V1, load_articles, span_covers_answer, text_contains_answer,
                         write_corpus)

NOISE_NORM = 0.5
DIM = 384
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 80  # as qa.index.make_faiss_index (efSearch: qa.index.hnsw_ef_search)
EF_SEARCH_GRID = (64, 128, 256)
NPROBE_GRID = (8, 32)
LATENCY_QUERIES = 200


def default_cache() -> Path:
    return Path(os.environ.get("BENCH_CACHE") or Path.home() / ".cache" / "case-qa-bench")


# ------------------------------------------------------------------------------------------------ (a)

def open_big_record(workdir: Path, progress=print):
    """Engine over all v1.1 dev articles, one document each; reuses a cached index when it is fresh."""
    from qa import Engine

    articles = load_articles(SQUAD_V1)
    corpus, index_dir = workdir / "corpus", workdir / "index"
    doc_ids = {}
    for a in articles:  # rewrite only what differs: untouched files keep their mtime and the index stays fresh
        with tempfile.TemporaryDirectory() as tmp:
            name = write_corpus(a, Path(tmp))
            target = corpus / name
            if not target.is_file() or target.read_bytes() != (Path(tmp) / name).read_bytes():
                write_corpus(a, corpus)
        doc_ids[a.title] = name
    before = _current_created(index_dir)
    engine = Engine(corpus_dir=corpus, index_dir=index_dir)
    progress(f"(a) opening the big record ({len(articles)} articles) in {workdir}; building if needed ...")
    started = time.perf_counter()
    index = engine.index
    seconds = time.perf_counter() - started
    reused = before is not None and before == index.manifest.get("created")
    m = index.manifest
    if m.get("build", {}).get("embedded_chunks") == len(index.chunks):  # a build that embedded everything
        _write_json(workdir / FULL_BUILD, {"created": m.get("created"), "counts": m.get("counts"), **m["build"]})
    return engine, index, articles, doc_ids, seconds, reused


FULL_BUILD = "full_build.json"  # the figures of the last build that embedded the whole big record


def full_build_record(workdir: Path) -> dict | None:
    """Later refreshes (e.g. a tokeniser change) reuse the stored vectors and re-embed nothing, so the cost of
    indexing the big record from scratch is kept from the last build that embedded all of it."""
    import json

    try:
        return json.loads((workdir / FULL_BUILD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_json(path: Path, obj) -> None:
    import json

    path.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")


def _current_created(index_dir: Path):
    import json

    try:
        version = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        return json.loads((index_dir / version / "manifest.json").read_text(encoding="utf-8")).get("created")
    except (OSError, ValueError):
        return None


def big_record(engine, index, articles, doc_ids, open_seconds, reused, n_questions: int, full_build: dict | None,
               progress=print) -> dict:
    held_out = [a for a in articles if a.title not in HELD_OUT_EXCLUDE]
    pool = [(a.title, q) for a in held_out for q in a.questions]
    chosen = sample_questions(pool, n_questions, seed=0)
    rows = []
    started = time.perf_counter()
    for i, (title, q) in enumerate(chosen, 1):
        doc_id = doc_ids[title]
        t = time.perf_counter()
        answer = engine.ask(q.text)
        latency = (time.perf_counter() - t) * 1000.0
        passages = sorted(answer.passages, key=lambda p: p.rank)
        covers = [p.chunk.doc_id == doc_id and span_covers_answer(p.chunk.start, p.chunk.end, q.answers)
                  for p in passages]
        rows.append({"r@1": any(covers[:1]), "r@3": any(covers[:3]), "r@5": any(covers[:5]),
                     "doc@1": bool(passages) and passages[0].chunk.doc_id == doc_id,
                     "abstained": answer.abstained, "qword": question_word(q.text),
                     "hit": not answer.abstained and text_contains_answer(strip_markers(answer.text),
                                                                            [a[2] for a in q.answers]),
                     "latency_ms": latency, "timings": answer.timings})
        if i % 250 == 0:
            progress(f"(a) {i}/{len(chosen)} questions, {time.perf_counter() - started:.0f}s")
    build = index.manifest.get("build", {})
    full = full_build or {}
    lat = [r["latency_ms"] for r in rows]
    stages = sorted({k for r in rows for k in r["timings"]})
    return {
        "articles": len(articles), "documents": len(index.documents), "chunks": len(index.chunks),
        "sentences": len(index.sentences), "faiss_type": index.manifest.get("faiss_type"),
        "index_reused": reused, "index_created": index.manifest.get("created"),
        "open_seconds": round(open_seconds, 2),
        "last_refresh": {"seconds": build.get("seconds"), "embedded_chunks": build.get("embedded_chunks"),
                         "embedded_sentences": build.get("embedded_sentences")},
        "full_build_created": full.get("created"), "build_seconds": full.get("seconds"),
        "embed_seconds": full.get("embed_seconds"),
        "questions": len(rows), "held_out_articles": len(held_out),
        **{f"recall@{k}": mean(r[f"r@{k}"] for r in rows) for k in (1, 3, 5)},
        "top_passage_right_article": mean(r["doc@1"] for r in rows),
        "answer_hit_rate": mean(r["hit"] for r in rows),
        "abstention_rate": mean(r["abstained"] for r in rows),
        "latency_ms_p50": percentile(lat, 50), "latency_ms_p95": percentile(lat, 95),
        "stage_ms_p50": {k: percentile([r["timings"][k] for r in rows if k in r["timings"]], 50) for k in stages},
        "ask_seconds": round(time.perf_counter() - started, 1),
    }


# ------------------------------------------------------------------------------------------------ (b)

def synthetic_vectors(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """`n` unit vectors: the real ones first, then noisy copies of randomly chosen real ones."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    k = min(n, len(real))
    out[:k] = real[rng.permutation(len(real))[:k]]
    sigma = NOISE_NORM / math.sqrt(real.shape[1])
    for start in range(k, n, 100_000):
        stop = min(n, start + 100_000)
        block = real[rng.integers(0, len(real), stop - start)] + \
            rng.standard_normal((stop - start, real.shape[1]), dtype=np.float32) * sigma
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:stop] = block
    return out


def index_bytes(index) -> int:
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def search_latency(index, queries: np.ndarray, n: int) -> tuple[float, float, float]:
    """p50/p95 ms of one-query searches (as the product searches) with FAISS's default OpenMP threads, and p50
    with one thread: on a loaded 2-core machine OpenMP's spinning threads can make one-query search slower."""
    import faiss

    threads = faiss.omp_get_max_threads()
    out = []
    for setting in (threads, 1):
        faiss.omp_set_num_threads(setting)
        times = []
        try:
            for q in queries[:n]:
                t = time.perf_counter()
                index.search(q.reshape(1, -1), 10)
                times.append((time.perf_counter() - t) * 1000.0)
        finally:
            faiss.omp_set_num_threads(threads)
        out.append(times)
    return percentile(out[0], 50), percentile(out[0], 95), percentile(out[1], 50)


def recall_at_10(index, queries: np.ndarray, truth: np.ndarray) -> float:
    _, ids = index.search(queries, 10)
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / 10.0 for a, b in zip(ids, truth)]))


def faiss_at_size(vectors: np.ndarray, queries: np.ndarray, hnsw: bool, hnsw_reference: dict | None,
                  progress=print) -> list[dict]:
    import faiss

    n = len(vectors)
    lat_queries = LATENCY_QUERIES if n < 1_000_000 else 100
    rows = []

    t = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    build = time.perf_counter() - t
    _, truth = flat.search(queries, 10)
    p50, p95, p50_1 = search_latency(flat, queries, lat_queries)
    rows.append({"n": n, "index": "flat", "params": "", "build_seconds": build, "memory_mb": index_bytes(flat) / 2**20,
                 "query_ms_p50": p50, "query_ms_p95": p95, "query_ms_p50_1thread": p50_1, "recall@10": 1.0})
    del flat
    progress(f"(b) n={n:,}: flat built, p50 {p50:.2f} ms")

    nlist = max(16, int(round(math.sqrt(n))))
    train_n = min(n, 50 * nlist)
    t = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(1)
    ivf.train(vectors[np.sort(rng.choice(n, train_n, replace=False))])
    ivf.add(vectors)
    build = time.perf_counter() - t
    memory = index_bytes(ivf) / 2**20
    for nprobe in NPROBE_GRID:
        ivf.nprobe = nprobe
        p50, p95, p50_1 = search_latency(ivf, queries, lat_queries)
        rows.append({"n": n, "index": "ivf", "params": f"nlist={nlist} nprobe={nprobe}", "build_seconds": build,
                     "memory_mb": memory, "query_ms_p50": p50, "query_ms_p95": p95, "query_ms_p50_1thread": p50_1,
                     "recall@10": recall_at_10(ivf, queries, truth)})
    del ivf, quantizer
    progress(f"(b) n={n:,}: ivf built in {build:.1f}s")

    if hnsw:
        t = time.perf_counter()
        index = faiss.IndexHNSWFlat(DIM, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.add(vectors)
        build = time.perf_counter() - t
        memory = index_bytes(index) / 2**20
        for ef in EF_SEARCH_GRID:
            index.hnsw.efSearch = ef
            p50, p95, p50_1 = search_latency(index, queries, lat_queries)
            rows.append({"n": n, "index": "hnsw", "params": f"M={HNSW_M} efC={HNSW_EF_CONSTRUCTION} efSearch={ef}",
                         "build_seconds": build,
                         "memory_mb": memory, "query_ms_p50": p50, "query_ms_p95": p95, "query_ms_p50_1thread": p50_1,
                         "recall@10": recall_at_10(index, queries, truth)})
        del index
        progress(f"(b) n={n:,}: hnsw built in {build:.1f}s")
    elif hnsw_reference:
        ref = hnsw_reference
        factor = (n / ref["n"]) * (math.log(n) / math.log(ref["n"]))
        rows.append({"n": n, "index": "hnsw", "params": f"M={HNSW_M} efC={HNSW_EF_CONSTRUCTION} (not built; "
                     f"extrapolated from n={ref['n']:,})", "build_seconds": ref["build_seconds"] * factor,
                     "memory_mb": ref["memory_mb"] * n / ref["n"], "query_ms_p50": None, "query_ms_p95": None,
                     "query_ms_p50_1thread": None,
                     "recall@10": None, "extrapolated": True})
    return rows


def is_product_choice(row: dict, faiss_result: dict) -> bool:
    if row.get("extrapolated"):
        return False
    if row["n"] < faiss_result["hnsw_min_vectors"]:
        return row["index"] == "flat"
    return row["index"] == "hnsw" and f"efSearch={hnsw_ef_search(row['n'])}" in row["params"]


def faiss_comparison(real: np.ndarray, queries: np.ndarray, sizes, hnsw_1m: bool, progress=print) -> dict:
    rows, reference = [], None
    for n in sizes:
        vectors = synthetic_vectors(real, n)
        build_hnsw = n < 1_000_000 or hnsw_1m
        size_rows = faiss_at_size(vectors, queries, build_hnsw, reference, progress)
        hnsw_rows = [r for r in size_rows if r["index"] == "hnsw" and not r.get("extrapolated")]
        if hnsw_rows:
            reference = {"n": n, "build_seconds": hnsw_rows[0]["build_seconds"], "memory_mb": hnsw_rows[0]["memory_mb"]}
        rows += size_rows
        del vectors
    from qa.index import HNSW_MIN_VECTORS

    return {"real_vectors": len(real), "noise_norm": NOISE_NORM, "queries": len(queries),
            "hnsw_min_vectors": HNSW_MIN_VECTORS, "rows": rows}


# ------------------------------------------------------------------------------------------------ (c)

def embedding_throughput(engine, index, full_build: dict | None, samples: int = 256) -> dict:
    embedder = engine.embedder
    rng = np.random.default_rng(2)
    out = {}
    for kind, items in (("chunks", index.chunks), ("sentences", index.sentences)):
        n = min(samples if kind == "chunks" else 4 * samples, len(items))
        texts = [items[i].text for i in rng.choice(len(items), n, replace=False)]
        t = time.perf_counter()
        embedder.encode(texts)
        seconds = time.perf_counter() - t
        out[kind] = {"texts": n, "seconds": round(seconds, 2), "per_second": n / seconds,
                     "mean_words": mean(len(x.split()) for x in texts)}
    build = full_build or {}
    chunks, sentences = len(index.chunks), len(index.sentences)
    out["index_build"] = {
        "created": build.get("created"), "chunks": chunks, "sentences": sentences,
        "build_seconds": build.get("seconds"),
        "embed_seconds": build.get("embed_seconds"),
        "chunks_per_build_second": chunks / build["seconds"] if build.get("seconds") else None,
        "note": "the product embeds every chunk and every sentence; build time is dominated by embedding"}
    return out


# ------------------------------------------------------------------------------------------------ run

def run_scale(parts: str = "abc", questions: int = 1000, sizes=(10_000, 100_000, 1_000_000), hnsw_1m: bool = True,
              cache: Path | None = None, use_cache: bool = True, out_dir: Path = RESULTS, name: str = "scale",
              progress=print) -> dict:
    started = time.perf_counter()
    result = {"benchmark": "scale", "provenance": provenance(), "parts": parts}
    tmp = None
    if use_cache:
        workdir = Path(cache) if cache else default_cache()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="bench-scale-")
        workdir = Path(tmp)
    try:
        engine, index, articles, doc_ids, open_seconds, reused = open_big_record(workdir / "big-record", progress)
        if "a" in parts:
            result["big_record"] = big_record(engine, index, articles, doc_ids, open_seconds, reused, questions,
                                              full_build_record(workdir / "big-record"), progress)
            progress(f"(a) done, {time.perf_counter() - started:.0f}s")
        if "c" in parts:
            result["embedding"] = embedding_throughput(engine, index, full_build_record(workdir / "big-record"))
            progress(f"(c) done, {time.perf_counter() - started:.0f}s")
        if "b" in parts:
            real = np.concatenate([index.chunk_vectors, index.sentence_vectors]).astype(np.float32)
            held_out = [q for a in articles if a.title not in HELD_OUT_EXCLUDE for q in a.questions]
            query_texts = [q.text for q in sample_questions(held_out, 500, seed=3)]
            queries = engine.embedder.encode(query_texts)
            del engine, index
            result["faiss"] = faiss_comparison(real, queries, sizes, hnsw_1m, progress)
            progress(f"(b) done, {time.perf_counter() - started:.0f}s")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["runtime_seconds"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["summary"] = scale_summary(result)
    write_results(out_dir, name, result, scale_markdown(result))
    return result


def scale_summary(result: dict) -> dict:
    s = {}
    if "big_record" in result:
        b = result["big_record"]
        s.update({f"big_{k}": b[k] for k in ("chunks", "recall@1", "recall@5", "answer_hit_rate", "latency_ms_p50",
                                            "latency_ms_p95")})
    if "embedding" in result:
        s["embed_chunks_per_s"] = result["embedding"]["chunks"]["per_second"]
        s["embed_sentences_per_s"] = result["embedding"]["sentences"]["per_second"]
    s["runtime_seconds"] = result["runtime_seconds"]
    return s


def scale_markdown(result: dict) -> str:
    prov = result["provenance"]
    parts = ["# Scale", f"Revision {prov.get('git_head', '?')}; runtime {result['runtime_seconds']:.0f} s;"
             f" peak RSS {result['peak_rss_mb']:.0f} MB; load average {prov['load_average_at_start'][0]}"
             f" → {result['load_average_at_end'][0]} on {result['provenance']['cpus']} CPUs."]
    if "big_record" in result:
        b = result["big_record"]
        parts += ["## (a) One big record: all SQuAD v1.1 dev articles",
                  f"{b['documents']} documents, {b['chunks']:,} chunks, {b['sentences']:,} sentences, FAISS "
                  f"{b['faiss_type']}. Full index build (embedding every chunk and sentence, "
                  f"{b['full_build_created']}): "
                  f"{fmt(b['build_seconds'], 0)} s, of which embedding {fmt(b['embed_seconds'], 0)} s"
                  + ("; this run reused the cached index" if b["index_reused"] else
                     f"; this run refreshed it in {b['open_seconds']:.0f} s "
                     f"(embedded {b['last_refresh']['embedded_chunks']} chunks)")
                  + f". {b['questions']} questions from the {b['held_out_articles']} held-out articles.",
                  md_table(["questions", "R@1", "R@3", "R@5", "top passage right article", "answer hit", "abstain",
                            "p50 ms", "p95 ms"],
                           [[b["questions"], b["recall@1"], b["recall@3"], b["recall@5"],
                             b["top_passage_right_article"], b["answer_hit_rate"], b["abstention_rate"],
                             fmt(b["latency_ms_p50"], 1), fmt(b["latency_ms_p95"], 1)]]),
                  "Stage p50 ms: " + ", ".join(f"{k} {v:.1f}" for k, v in b["stage_ms_p50"].items()) + "."]
    if "faiss" in result:
        f = result["faiss"]
        parts += ["## (b) FAISS index types (dim 384, inner product)",
                  f"{f['real_vectors']:,} real MiniLM vectors (the big record's chunks and sentences), beyond that "
                  f"noisy copies (noise norm {f['noise_norm']}); {f['queries']} real question vectors; recall@10 "
                  "against exact search; latency of single-query searches.",
                  f"Rows marked ✓ are what the product builds (qa.index: flat below {f['hnsw_min_vectors']:,} "
                  "vectors, HNSW from there, efSearch 128 below 500k vectors and 256 above). The noisy copies form tight clusters (each real vector "
                  "has about n/13.5k copies), likely harder for approximate search than real data of that size.",
                  md_table(["n", "index", "params", "product", "build s", "memory MB", "query p50 ms",
                            "query p95 ms", "p50 ms, 1 thread", "recall@10"],
                           [[f"{r['n']:,}", r["index"], r["params"], "✓" if is_product_choice(r, f) else "",
                             fmt(r["build_seconds"], 2),
                             fmt(r["memory_mb"], 0), fmt(r["query_ms_p50"], 2), fmt(r["query_ms_p95"], 2),
                             fmt(r["query_ms_p50_1thread"], 2), r["recall@10"]] for r in f["rows"]])]
    if "embedding" in result:
        e = result["embedding"]
        ib = e["index_build"]
        parts += ["## (c) Embedding throughput (all-MiniLM-L6-v2, CPU)",
                  md_table(["texts", "sampled", "mean words", "per second"],
                           [[k, e[k]["texts"], fmt(e[k]["mean_words"], 1), fmt(e[k]["per_second"], 1)]
                            for k in ("chunks", "sentences")]),
                  f"Full index build of the big record ({ib['created']}): {ib['chunks']:,} chunks + "
                  f"{ib['sentences']:,} sentences in "
                  f"{fmt(ib['build_seconds'], 0)} s (embedding {fmt(ib['embed_seconds'], 0)} s), i.e. "
                  f"{fmt(ib['chunks_per_build_second'], 1)} chunks per second of build."]
    return "\n\n".join(parts)
