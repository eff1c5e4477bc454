"""Speed and golden pass rate on the seed record: fresh process to first answer, index build, warm ask()
p50/p95 over the golden questions, peak RSS. Writes bench/results/seed.json and seed.md.

    python -m bench.seed [--out DIR] [--name NAME]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_ANSWER = """
import time, sys; t = time.perf_counter()
from qa import Engine
e = Engine(corpus_dir=sys.argv[1], index_dir=sys.argv[2]); e.ask("Who are Baldwin's attorneys?")
print(time.perf_counter() - t)
"""


def main(argv=None) -> dict:
    from qa import Engine

    from .squad_bench import RESULTS, md_table, provenance, write_results

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="output directory (default bench/results/)")
    parser.add_argument("--name", default="seed", help="output file stem")
    args = parser.parse_args(argv)
    started = provenance()
    from tests.test_golden import CASES, check_case

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(ROOT / "corpus", tmp / "corpus")
        run = [sys.executable, "-c", FIRST_ANSWER, str(tmp / "corpus"), str(tmp / "index")]
        cold = float(subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()[-1])
        warm_start = float(subprocess.run(run, capture_output=True, text=True, check=True).stdout.split()[-1])
        engine = Engine(corpus_dir=tmp / "corpus", index_dir=tmp / "index2")
        engine.embedder  # load the model first: the build time is reading, chunking, embedding, writing
        t = time.perf_counter()
        engine.refresh()
        build = time.perf_counter() - t
        engine.ask("warm up")
        from bench.latency_bench import candidates_scored, index_bytes

        per_sentence = index_bytes(engine.index) / len(engine.index.sentences)
        questions = [c["question"] for c in CASES]
        first, repeat, scored = [], [], []
        for q in questions:
            answer = engine.ask(q)
            first.append(answer.timings["total"])
            scored.append(candidates_scored(answer, engine))
        for q in questions:
            repeat.append(engine.ask(q).timings["total"])
    passed = sum(not check_case(c) for c in CASES)
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]
    result = {
        "fresh_process_first_answer_s (builds index)": round(cold, 2),
        "fresh_process_first_answer_s (index on disk)": round(warm_start, 2),
        "index_build_s": round(build, 3),
        "ask_ms_p50": round(q(first, 50), 1), "ask_ms_p95": round(q(first, 95), 1),
        "ask_ms_p50_repeat_question": round(q(repeat, 50), 1),
        "candidates_scored_mean": round(statistics.fmean(scored), 2),
        "index_bytes_per_sentence": round(per_sentence),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "golden_pass": f"{passed}/{len(CASES)}",
    }
    print(json.dumps(result, indent=1))
    markdown = "\n\n".join([
        "# Seed record: speed, memory, golden pass rate",
        f"Revision {started.get('git_head', '?')}; {started['cpus']} CPUs, load average "
        f"{started['load_average_at_start'][0]}. Warm `ask()` over the {len(CASES)} golden questions, each asked once, "
        "then again (repeat: the query embedding cached).",
        md_table(["measure", "value"], [[k, str(v)] for k, v in result.items()]),
    ])
    write_results(args.out, args.name, {"provenance": started, **result}, markdown)
    return result


if __name__ == "__main__":
    main()
