"""Reliability figures for issue 6 (a benchmark, not a test: the numbers depend on the machine).

1. Load: the web app (app.py on a copy of corpus/, started as in bench.load_app) gets N concurrent requests
   through its `/ask` endpoint over loopback, one per client, within a time limit: answered, errors, p50/p95,
   and the server's RSS before and after.
2. Memory: M sequential `Engine.ask()` calls in this process, every question distinct (golden questions with a
   varying suffix, so the query cache fills as in real use): RSS after a warm-up and at the end.

    .venv/bin/python -m bench.reliability                       # 50 concurrent requests, 1,000 questions
    .venv/bin/python -m bench.reliability --requests 50 --questions 1000 --time-limit 300

Writes bench/results/reliability.json. Exit status 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load_app import ROOT, golden_questions, percentile, run_load, start_server, stop_server

RESULTS = ROOT / "bench" / "results"
MB = 1024 * 1024


def _rss(pid: int | None = None) -> int:
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss


def load(requests: int, time_limit: float, startup_timeout: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="qa-reliability-"))
    proc = None
    try:
        proc, url = start_server(workdir, startup_timeout)
        rss_before = _rss(proc.pid)
        result = run_load(url, clients=requests, per_client=1, time_limit=time_limit, baseline=5)
        result["server_rss_mb"] = {"before": round(rss_before / MB, 1), "after": round(_rss(proc.pid) / MB, 1)}
        return result
    finally:
        stop_server(proc, workdir)


def memory(n_questions: int, warmup: int = 50) -> dict:
    from qa import Engine, QAError

    workdir = Path(tempfile.mkdtemp(prefix="qa-memory-"))
    try:
        corpus = workdir / "corpus"
        shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns(".*"))
        engine = Engine(corpus_dir=corpus, index_dir=workdir / "index")
        questions = golden_questions()
        rss_start_cold = _rss()
        errors, latencies, samples = 0, [], []
        for i in range(warmup + n_questions):
            if i == warmup:
                rss_start = _rss()
            q = f"{questions[i % len(questions)]} ({i})" if i >= len(questions) else questions[i]
            t = time.perf_counter()
            try:
                engine.ask(q)
            except QAError:
                errors += 1
            if i >= warmup:
                latencies.append((time.perf_counter() - t) * 1000)
                if (i - warmup + 1) % max(1, n_questions // 10) == 0:
                    samples.append(round(_rss() / MB, 1))
        rss_end = _rss()
        return {"questions": n_questions, "warmup": warmup, "errors": errors,
                "rss_mb": {"before_engine": round(rss_start_cold / MB, 1), "start": round(rss_start / MB, 1),
                           "end": round(rss_end / MB, 1), "drift": round((rss_end - rss_start) / MB, 1),
                           "every_tenth": samples},
                "ask_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1)}}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=50, help="concurrent /ask requests (default 50)")
    p.add_argument("--time-limit", type=float, default=300, help="seconds for the load (default 300)")
    p.add_argument("--questions", type=int, default=1000, help="sequential ask() calls (default 1,000)")
    p.add_argument("--startup-timeout", type=float, default=240)
    p.add_argument("--json", type=Path, default=RESULTS / "reliability.json")
    args = p.parse_args(argv)

    print(f"load: {args.requests} concurrent /ask requests over loopback …", flush=True)
    started = time.perf_counter()
    result = {"load": load(args.requests, args.time_limit, args.startup_timeout)}
    lat = result["load"]["latency_ms"]
    print(f"  answered {result['load']['answered']}/{result['load']['requested']}, {result['load']['failed']} failed; "
          f"p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms; server RSS "
          f"{result['load']['server_rss_mb']['before']} -> {result['load']['server_rss_mb']['after']} MB", flush=True)
    print(f"memory: {args.questions} sequential ask() calls …", flush=True)
    result["memory"] = memory(args.questions)
    m = result["memory"]
    print(f"  RSS {m['rss_mb']['start']} MB -> {m['rss_mb']['end']} MB (drift {m['rss_mb']['drift']} MB), "
          f"{m['errors']} errors, ask p50/p95 {m['ask_ms']['p50']} / {m['ask_ms']['p95']} ms", flush=True)
    result.update(seconds=round(time.perf_counter() - started, 1), cpus=os.cpu_count(),
                  revision=subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                          text=True).stdout.strip())
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0 if result["load"]["failed"] == 0 and m["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
