"""FairytaleQA test split: paraphrase robustness. Educators wrote the questions, so they rarely use the story's
words. Each story is one record; every explicit question goes through `Engine.ask`.

    python -m bench fairytale [--limit N] [--articles N]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from .fairytale_data import answer_coverage, load_stories
from .squad_bench import (RESULTS, ask_unthresholded, md_table, mean, open_record, percentile, provenance,
                          sample_questions, write_results)

METRICS = {
    "top_section_hit": "the reader's best sentence lies in the section the question was written for",
    "top_sentence_hit": "the reader's best sentence states the written answer (0.6 or more of its terms)",
    "answer_hit": "the same for the answer as given: an abstention is a miss",
    "abstention_rate": "share of these answerable questions abstained on",
}


def run_fairytale(limit: int | None = None, articles: int | None = None, out_dir: Path = RESULTS,
                  name: str = "fairytale", progress=print) -> dict:
    started = time.perf_counter()
    info = provenance()
    stories = load_stories("test")[:articles] if articles else load_stories("test")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fairytale-") as tmp:
        for i, story in enumerate(stories, 1):
            engine, doc_id, index, _ = open_record(story, Path(tmp) / f"s{i}")
            for q in sample_questions(story.questions, limit):
                t = time.perf_counter()
                answer, abstained = ask_unthresholded(engine, q.text)
                latency = (time.perf_counter() - t) * 1000.0
                top = max(answer.citations, key=lambda c: c.score, default=None)
                section = top is not None and q.section[0] <= top.start and top.end <= q.section[1]
                stated = top is not None and answer_coverage(q.answer, top.quote) >= 0.6
                rows.append({"story": story.title, "question": q.text, "top_section_hit": section,
                             "top_sentence_hit": stated, "answer_hit": stated and not abstained,
                             "abstained": abstained, "latency_ms": latency})
            progress(f"[{i}/{len(stories)}] {story.title}: {time.perf_counter() - started:.0f}s elapsed")
    overall = {"questions": len(rows), **{k: mean(r[k] for r in rows) for k in
                                          ("top_section_hit", "top_sentence_hit", "answer_hit")},
               "abstention_rate": mean(r["abstained"] for r in rows),
               "latency_ms_p50": percentile([r["latency_ms"] for r in rows], 50)}
    result = {"benchmark": "FairytaleQA test split, explicit questions, one record per story",
              "stories": len(stories), "provenance": info, "overall": overall, "definitions": METRICS,
              "runtime_seconds": round(time.perf_counter() - started, 1)}
    markdown = "\n\n".join([
        f"# FairytaleQA test: {len(stories)} stories, {len(rows)} explicit questions",
        f"Revision {info.get('git_head', '?')}, reader {info.get('reader_sha256', '?')} (threshold "
        f"{info.get('reader_threshold')}).",
        md_table(["questions", "top section hit", "top sentence hit", "answer hit", "abstained", "p50 ms"],
                 [[overall["questions"], overall["top_section_hit"], overall["top_sentence_hit"],
                   overall["answer_hit"], overall["abstention_rate"], overall["latency_ms_p50"]]]),
        "Definitions: " + "; ".join(f"**{k}**: {v}" for k, v in METRICS.items()) + "."])
    write_results(out_dir, name, result, markdown)
    return result
