"""Speed on a large court record: index build time by stage, and warm question latency, on a record of about
1,000,000 characters made of the court files in ../shared/data/court/.

    python -m bench court [--chars 1000000] [--questions 40] [--threads N] [--out DIR]

The record: the court files (opinions and one PACER docket), taken in name order and written again and again
as distinct documents (`<stem>.copy<k>.txt`, k = 1, 2, ...; the text itself is unchanged) until the record
reaches --chars characters; the last copy is whole, so the total slightly exceeds --chars. The index is built
from scratch in a temporary directory by `Engine.refresh()` with the embedding model loaded beforehand (its load
time is reported apart). Stage times come from the build's own manifest (`build` in manifest.json): ingest
(read + layout + sentence split), chunking, embedding of chunks and of sentences, FAISS, BM25; "publish" is the
rest of the wall time (writing and fsyncing the version folder).

Then warm latency: 3 warm-up questions, then each of the ~40 lawyer's questions (generic ones that fit any
opinion) asked once (first ask: no query-embedding cache hit), wall time and `Answer.timings` per stage.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .squad_bench import RESULTS, fmt, md_table, peak_rss_mb, percentile, provenance, write_results
from .squad_data import SHARED

COURT = SHARED / "data" / "court"
DEFAULT_CHARS = 1_000_000
TARGET_BUILD_SECONDS, TARGET_ASK_MS = 60.0, 60.0  # issue 11: 1M characters in 60 s on 2 cores; p50 60 ms warm

WARM_UP = ("What is this case about?", "Who is the judge?", "When was the opinion filed?")
QUESTIONS = (
    "What was the sentence?",
    "Who represented the defendant?",
    "Who represented the government?",
    "What standard of review applies?",
    "What was the defendant convicted of?",
    "What did the court hold?",
    "Was the judgment affirmed or reversed?",
    "What is the disposition?",
    "Which court decided the appeal?",
    "Who wrote the opinion?",
    "Who was on the panel?",
    "When was the case argued?",
    "When was the case decided?",
    "What are the issues on appeal?",
    "What did the defendant argue on appeal?",
    "What did the government argue?",
    "Did the district court err?",
    "Was the error harmless?",
    "What evidence did the police find?",
    "Was there a motion to suppress?",
    "Why was the motion to suppress denied?",
    "What statute was the defendant charged under?",
    "What was the guidelines sentencing range?",
    "Was the sentence reasonable?",
    "Did the defendant plead guilty?",
    "What happened at trial?",
    "Was the jury instruction correct?",
    "Was there sufficient evidence to convict?",
    "What was the defendant's criminal history?",
    "Did the court apply a sentencing enhancement?",
    "What is the docket number?",
    "Which district court did the appeal come from?",
    "Was there a search warrant?",
    "Did the defendant waive his rights?",
    "What precedent did the court rely on?",
    "Was the case remanded?",
    "How much drugs were involved?",
    "Was a firearm involved?",
    "What did the dissent say?",
    "Was the plea agreement breached?",
    "How long was the term of supervised release?",
)
BUILD_STAGES = ("ingest_seconds", "chunk_seconds", "embed_sentences_seconds", "chunk_vectors_seconds",
                "faiss_seconds", "bm25_seconds")


def write_record(corpus: Path, chars: int, source: Path = COURT) -> dict:
    """Copies of the court files as distinct documents until the record holds at least `chars` characters."""
    files = sorted(source.glob("*.txt"))
    if not files:
        raise SystemExit(f"No court files in {source}.")
    texts = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
    corpus.mkdir(parents=True, exist_ok=True)
    total, documents, copy = 0, 0, 0
    while total < chars:
        copy += 1
        for stem, text in texts:
            if total >= chars:
                break
            (corpus / f"{stem}.copy{copy}.txt").write_text(text, encoding="utf-8")
            total += len(text)
            documents += 1
    return {"source_files": len(files), "source_chars": sum(len(t) for _, t in texts), "documents": documents,
            "chars": total, "copies": copy}


def run_court(chars: int = DEFAULT_CHARS, questions: int | None = None, out_dir: Path = RESULTS,
              name: str = "court", threads: int | None = None, progress=print) -> dict:
    from .latency_bench import set_threads

    info = provenance()
    default_threads = set_threads(threads)  # None: torch's and FAISS's defaults
    asked = list(QUESTIONS[:questions] if questions else QUESTIONS)
    from qa import Engine

    with tempfile.TemporaryDirectory(prefix="bench-court-") as tmp:
        tmp = Path(tmp)
        record = write_record(tmp / "corpus", chars)
        progress(f"record: {record['documents']} documents, {record['chars']:,} characters "
                 f"({record['source_files']} court files, up to {record['copies']} copies each)")
        engine = Engine(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
        t = time.perf_counter()
        engine.embedder  # noqa: B018  (the model loads once per process; not part of the build)
        model_load = time.perf_counter() - t
        load_before = os.getloadavg()[0]
        t = time.perf_counter()
        index = engine.refresh(progress=False)
        build_wall = time.perf_counter() - t
        build = dict(index.manifest["build"])
        stages = {k: build.get(k) for k in BUILD_STAGES}
        stages["publish_seconds"] = build_wall - build["seconds"]
        counts = {"documents": len(index.documents), "sentences": len(index.sentences), "chunks": len(index.chunks),
                  "faiss_type": index.manifest.get("faiss_type"),
                  # a chunk's vector is its sentences' (qa.index.passage_vector): the model runs on sentences only
                  "texts_embedded": build.get("embedded_sentences")}
        progress(f"index built in {build_wall:.1f}s: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))

        from qa.reader_model import get_reader_model

        t = time.perf_counter()
        get_reader_model(precision=engine.settings.reader_precision)
        reader_load = time.perf_counter() - t
        for q in WARM_UP:
            engine.ask(q)
        rows = []
        for q in asked:
            t = time.perf_counter()
            answer = engine.ask(q)
            rows.append({"question": q, "ms": (time.perf_counter() - t) * 1000.0, "timings": answer.timings,
                         "abstained": answer.abstained, "answer": answer.text[:200]})
        progress(f"{len(rows)} questions asked")

    wall = [r["ms"] for r in rows]
    stage_names = sorted({k for r in rows for k in r["timings"]})
    ask_stages = {k: {"p50": percentile([r["timings"][k] for r in rows if k in r["timings"]], 50),
                      "p95": percentile([r["timings"][k] for r in rows if k in r["timings"]], 95)}
                  for k in stage_names}
    result = {
        "benchmark": "court", "provenance": info, "record": record, "counts": counts,
        "record_recipe": "the files of ../shared/data/court/*.txt in name order, each written as "
                         "<stem>.copy<k>.txt (text unchanged), k = 1, 2, ..., until the record reaches "
                         f"{chars:,} characters",
        "model_load_seconds": model_load, "reader_load_seconds": reader_load,
        "build_seconds": build_wall, "build_stages_seconds": stages,
        "load_average_before_build": round(load_before, 2),
        "chars_per_second": record["chars"] / build_wall if build_wall else None,
        "threads": threads or default_threads, "questions": len(rows), "warm_up": list(WARM_UP),
        "ask_ms": {"p50": percentile(wall, 50), "p95": percentile(wall, 95), "max": max(wall) if wall else None},
        "ask_stages_ms": ask_stages,
        "abstention_rate": sum(r["abstained"] for r in rows) / len(rows) if rows else None,
        "per_question": rows,
        "targets": {"build_seconds_at_1m": TARGET_BUILD_SECONDS, "ask_ms_p50": TARGET_ASK_MS},
        "peak_rss_mb": round(peak_rss_mb(), 1), "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "summary": {"chars": record["chars"], "sentences": counts["sentences"], "chunks": counts["chunks"],
                    "build_seconds": build_wall, **{k: v for k, v in stages.items()},
                    "model_load_seconds": model_load, "ask_ms_p50": percentile(wall, 50),
                    "ask_ms_p95": percentile(wall, 95)},
    }
    write_results(out_dir, name, result, court_markdown(result))
    return result


def court_markdown(result: dict) -> str:
    p, r, c, s = result["provenance"], result["record"], result["counts"], result["build_stages_seconds"]
    busy = p["load_average_at_start"][0] > 0.5 * (p.get("cpus") or 1)
    stage_rows = [[k.replace("_seconds", ""), fmt(v, 2), fmt(100.0 * v / result["build_seconds"], 1)]
                  for k, v in s.items() if v is not None]
    ask_rows = [[k, fmt(v["p50"], 2), fmt(v["p95"], 2)] for k, v in result["ask_stages_ms"].items()]
    ask_rows.append(["wall", fmt(result["ask_ms"]["p50"], 2), fmt(result["ask_ms"]["p95"], 2)])
    return "\n\n".join([
        f"# Court record: {r['chars']:,} characters, {c['documents']} documents, {c['sentences']:,} sentences, "
        f"{c['chunks']:,} chunks",
        f"Revision {p.get('git_head', '?')}; {p['cpus']} CPUs, load average {p['load_average_at_start'][0]} → "
        f"{result['load_average_at_end'][0]}" + (" (machine busy: timings inflated)" if busy else "") +
        f"; peak RSS {result['peak_rss_mb']:.0f} MB; torch/FAISS threads {result['threads']}.",
        f"Record: {result['record_recipe']} ({r['source_files']} files, {r['source_chars']:,} characters).",
        "## Index build (model loaded beforehand)",
        f"Total {result['build_seconds']:.1f} s ({result['chars_per_second']:,.0f} characters/s; aim: 1M characters "
        f"in {result['targets']['build_seconds_at_1m']:.0f} s); embedding model load {result['model_load_seconds']:.1f} "
        f"s, reader load {result['reader_load_seconds']:.1f} s; index {c['faiss_type']}; the model embedded "
        f"{c['texts_embedded']:,} sentences (a chunk's vector is the length-weighted mean of its sentences').",
        md_table(["stage", "seconds", "% of build"], stage_rows),
        f"## Warm questions ({result['questions']} first asks after {len(result['warm_up'])} warm-up questions; "
        f"aim p50 ≤ {result['targets']['ask_ms_p50']:.0f} ms)",
        md_table(["stage", "p50 ms", "p95 ms"], ask_rows),
        f"Abstained on {result['abstention_rate']:.0%} of the questions (the record is many copies of ten cases; "
        "this bench measures speed, not answers).",
    ])
