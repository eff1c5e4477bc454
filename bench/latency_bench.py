"""Latency of one record: cold start (model load, index build, index open from disk), then per-stage latency of
first asks (distinct questions: no query-embedding cache hit) and of repeated asks (cache hit).

    python -m bench latency [--article Super_Bowl_50] [--questions 200]
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .squad_bench import RESULTS, fmt, md_table, peak_rss_mb, percentile, provenance, sample_questions, write_results
from .squad_data import HELD_OUT_EXCLUDE, SQUAD_V1, load_articles, write_corpus

DEFAULT_ARTICLE = "Super_Bowl_50"


def stage_stats(answers_and_wall: list) -> dict:
    stages = sorted({k for a, _ in answers_and_wall for k in a.timings})
    out = {k: {"p50": percentile([a.timings[k] for a, _ in answers_and_wall if k in a.timings], 50),
               "p95": percentile([a.timings[k] for a, _ in answers_and_wall if k in a.timings], 95)}
           for k in stages}
    wall = [w for _, w in answers_and_wall]
    out["wall"] = {"p50": percentile(wall, 50), "p95": percentile(wall, 95)}
    return out


def set_threads(n: int | None) -> int:
    """Set torch's and FAISS's thread counts (None: leave them); returns torch's count before."""
    # torch first, as `qa` imports them: each wheel ships its own libgomp, and with FAISS's loaded first the court
    # record's warm ask p50 was 3.5 ms slower (51.7 and 52.0 against 48.8 and 48.2 ms).
    import torch  # noqa: I001
    import faiss

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
        faiss.omp_set_num_threads(n)
    return before


def run_latency(article: str | None = None, questions: int = 200, out_dir: Path = RESULTS, name: str = "latency",
                progress=print) -> dict:
    title = article or DEFAULT_ARTICLE
    if title in HELD_OUT_EXCLUDE:
        raise SystemExit(f"{title} was used to fit the reader; pick a held-out article.")
    found = load_articles(SQUAD_V1, titles={title})
    if not found:
        raise SystemExit(f"No article {title} in {SQUAD_V1}.")
    art = found[0]
    info = provenance()
    cold = {}
    t = time.perf_counter()
    import qa  # noqa: F401  (may be imported already by the test runner: then this is ~0)
    from qa import Engine

    cold["import_seconds"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        tmp = Path(tmp)
        write_corpus(art, tmp / "corpus")
        engine = Engine(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        t = time.perf_counter()
        engine.embedder  # noqa: B018  (loads the model, once per process)
        cold["model_load_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        index = engine.index
        cold["index_build_seconds"] = time.perf_counter() - t
        cold["chunks"], cold["sentences"] = len(index.chunks), len(index.sentences)
        cold["index_bytes_per_sentence"] = index_bytes(index) / max(1, len(index.sentences))
        reopened = Engine(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        t = time.perf_counter()
        reopened.index  # noqa: B018
        cold["index_open_seconds"] = time.perf_counter() - t
        t = time.perf_counter()
        from qa.reader_model import get_reader_model

        get_reader_model(precision=reopened.settings.reader_precision)
        cold["reader_load_seconds"] = time.perf_counter() - t

        asked = sample_questions(art.questions, questions)
        t = time.perf_counter()
        first_answer = reopened.ask(asked[0].text)
        cold["first_ask_ms"] = (time.perf_counter() - t) * 1000.0
        progress(f"cold start: {', '.join(f'{k} {v:.2f}' for k, v in cold.items())}")

        # Odd questions run with torch and FAISS limited to one thread, interleaved with the default so that both
        # see the same machine load: on a busy 2-core machine, two threads per one-query op can be slower.
        first, single = [(first_answer, cold["first_ask_ms"])], []
        default_threads = set_threads(None)
        try:
            for i, q in enumerate(asked[1:]):
                set_threads(1 if i % 2 else default_threads)
                t = time.perf_counter()
                answer = reopened.ask(q.text)
                (single if i % 2 else first).append((answer, (time.perf_counter() - t) * 1000.0))
        finally:
            set_threads(default_threads)
        repeated = []
        for q in asked:
            t = time.perf_counter()
            answer = reopened.ask(q.text)
            repeated.append((answer, (time.perf_counter() - t) * 1000.0))
        progress(f"{len(asked)} questions asked twice")
        scored = [candidates_scored(answer, reopened) for answer, _ in first]

    first_stats, repeat_stats = stage_stats(first[1:] or first), stage_stats(repeated)
    single_stats = stage_stats(single) if single else {}
    total = first_stats["wall"]["p50"]
    result = {
        "benchmark": "latency", "article": title, "questions": len(asked), "provenance": info, "cold_start": cold,
        "threads_default": default_threads, "first_asks": first_stats, "first_asks_one_thread": single_stats,
        "repeated_asks": repeat_stats,
        "questions_per_second_first": 1000.0 / total if total else None,
        "peak_rss_mb": round(peak_rss_mb(), 1), "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "candidates_scored_mean": sum(scored) / len(scored),
        "summary": {"model_load_seconds": cold["model_load_seconds"],
                    "reader_load_seconds": cold["reader_load_seconds"],
                    "index_bytes_per_sentence": cold["index_bytes_per_sentence"],
                    "candidates_scored_mean": sum(scored) / len(scored),
                    "index_build_seconds": cold["index_build_seconds"],
                    "index_open_seconds": cold["index_open_seconds"], "first_ask_ms_p50": first_stats["wall"]["p50"],
                    "first_ask_ms_p95": first_stats["wall"]["p95"],
                    "first_ask_one_thread_ms_p50": single_stats.get("wall", {}).get("p50"),
                    "first_ask_one_thread_ms_p95": single_stats.get("wall", {}).get("p95"),
                    "repeat_ask_ms_p50": repeat_stats["wall"]["p50"]},
    }
    write_results(out_dir, name, result, latency_markdown(result))
    return result


def index_bytes(index) -> int:
    return sum(f.stat().st_size for f in Path(index.path).rglob("*") if f.is_file())


def candidates_scored(answer, engine) -> int:
    """Sentences the reader's cross-encoder scored for this answer: the shortlist of the passages' sentences."""
    from qa.reading import candidate_sentences

    return min(engine.settings.reader_candidates, len(candidate_sentences(answer.passages, engine.index)))


def latency_markdown(result: dict) -> str:
    c, p = result["cold_start"], result["provenance"]
    stages = [k for k in result["first_asks"] if k != "wall"] + ["wall"]
    one = result["first_asks_one_thread"]
    rows = [[k, fmt(result["first_asks"][k]["p50"], 2), fmt(result["first_asks"][k]["p95"], 2),
             fmt(one.get(k, {}).get("p50"), 2), fmt(one.get(k, {}).get("p95"), 2),
             fmt(result["repeated_asks"].get(k, {}).get("p50"), 2),
             fmt(result["repeated_asks"].get(k, {}).get("p95"), 2)]
            for k in stages]
    return "\n\n".join([
        f"# Latency: {result['article']} ({c['chunks']} chunks, {c['sentences']} sentences), "
        f"{result['questions']} questions",
        f"Revision {p.get('git_head', '?')}; {p['cpus']} CPUs, load average {p['load_average_at_start'][0]} → "
        f"{result['load_average_at_end'][0]}; peak RSS {result['peak_rss_mb']:.0f} MB.",
        "## Cold start",
        md_table(["embedder load s", "reader load s", "index build s", "index open s", "first ask ms",
                  "index bytes/sentence", "candidates scored (mean)"],
                 [[fmt(c["model_load_seconds"], 2), fmt(c["reader_load_seconds"], 2), fmt(c["index_build_seconds"], 2),
                   fmt(c["index_open_seconds"], 3), fmt(c["first_ask_ms"], 1), fmt(c["index_bytes_per_sentence"], 0),
                   fmt(result["candidates_scored_mean"], 1)]]),
        "## Per stage (ms)",
        f"First asks embed the question (torch/FAISS at their default {result['threads_default']} threads, and "
        "interleaved with them, at 1 thread); repeated asks hit the engine's query-embedding cache.",
        md_table(["stage", "first p50", "first p95", "1-thread p50", "1-thread p95", "repeat p50", "repeat p95"],
                 rows),
    ])
