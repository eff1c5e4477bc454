"""Load on the web app: N concurrent `gradio_client` clients over loopback asking golden-style questions through
the `/ask` API endpoint, a bounded number each, within a time limit. Reports how many were answered and the
latency each client saw (p50 / p95 / max), after a one-client baseline.

    .venv/bin/python -m bench.load_app                    # starts app.py on a copy of corpus/, 20 clients x 5
    .venv/bin/python -m bench.load_app --clients 20 --per-client 10 --time-limit 300 --json load.json
    .venv/bin/python -m bench.load_app --url http://127.0.0.1:7860/ [--auth user:pass]   # a running app
    .venv/bin/python -m bench.load_app --milvus --apps 2 --clients 50 --per-client 2   # apps sharing one Milvus

Not a test: the numbers depend on the machine (the README's figures were taken on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "rust_case.yaml"
FALLBACK_QUESTIONS = [
    "Why were the charges against Baldwin dismissed?",
    "Who was the film's armorer?",
    "Who are Baldwin's attorneys?",
    "What did the judge say about the oversight?",
    "Who is the special prosecutor in the case?",
    "Which judge criticized the prosecution?",
]

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))


def golden_questions() -> list[str]:
    """Single-turn questions of the golden suite (follow-up cases need their earlier turns; skipped)."""
    try:
        import yaml

        cases = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["cases"]
        questions = [c["question"] for c in cases if not c.get("turns")]
        return questions or FALLBACK_QUESTIONS
    except Exception:  # no pyyaml, or the file moved: the examples still make a fair load
        return FALLBACK_QUESTIONS


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_server(proc: subprocess.Popen | None, workdir: Path | None) -> None:
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def copy_corpus(workdir: Path) -> Path:
    corpus = workdir / "corpus"
    corpus.mkdir()
    for path in (ROOT / "corpus").iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy(path, corpus / path.name)
    return corpus


def start_server(workdir: Path, startup_timeout: float, env: dict | None = None, name: str = "app",
                 corpus: Path | None = None) -> tuple[subprocess.Popen, str]:
    corpus = corpus or copy_corpus(workdir)
    port = free_port()
    log = open(workdir / f"{name}.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--corpus-dir", str(corpus),
                             "--index-dir", str(workdir / f"{name}-index")], cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + startup_timeout
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"app.py exited with {proc.returncode}; see {workdir / (name + '.log')}")
        try:
            if httpx.get(url + "config", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"app.py did not start within {startup_timeout:.0f}s; see {workdir / (name + '.log')}")


def start_milvus_record(workdir: Path, startup_timeout: float) -> tuple[list[subprocess.Popen], dict]:
    """Milvus Lite's server on a loopback port, and the record indexed into it by `python -m qa index` (the batch
    job): the environment an app process needs to serve it, with no corpus and no index folder of its own."""
    port = free_port()
    log = open(workdir / "milvus.log", "w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "milvus-lite"), "server", "--data-dir",
                               str(workdir / "milvus-data"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT)
    env = {"QA_STORE": "milvus", "QA_MILVUS_URI": f"http://127.0.0.1:{port}", "QA_MILVUS_COLLECTION": "load_record"}
    deadline = time.monotonic() + startup_timeout
    while True:
        job = subprocess.run([sys.executable, "-m", "qa", "index", "--corpus-dir", str(copy_corpus(workdir)),
                              "--index-dir", str(workdir / "job-index")], cwd=ROOT, env={**os.environ, **env},
                             capture_output=True, text=True)
        if job.returncode == 0:
            print(job.stdout.strip(), flush=True)
            return [server], env
        shutil.rmtree(workdir / "corpus", ignore_errors=True)
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            raise SystemExit(f"the index job failed: {job.stderr[-500:]}")
        time.sleep(1)



def run_load(url: str | list[str], clients: int, per_client: int, time_limit: float, auth=None,
             baseline: int = 10) -> dict:
    """`url`: one app, or several serving the same record; client i asks the app i mod len(url)."""
    from gradio_client import Client

    questions = golden_questions()
    urls = [url] if isinstance(url, str) else list(url)

    def connect(i: int = 0):
        return Client(urls[i % len(urls)], auth=auth, verbose=False)

    # One client alone first: the latency without contention.
    solo = connect()
    base = []
    for q in questions[:baseline]:
        t = time.perf_counter()
        solo.predict(q, api_name="/ask")
        base.append((time.perf_counter() - t) * 1000)

    results: list[dict] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)
    deadline = [0.0]

    def worker(i: int):
        try:
            client = connect(i)
        except Exception as exc:  # counted as that client's questions failing
            client, error = None, f"connect: {exc}"
        ready.wait()
        for j in range(per_client):
            q = questions[(i * per_client + j) % len(questions)]
            row = {"client": i, "app": i % len(urls), "question": q}
            if client is None:
                row.update(ok=False, error=error)
            elif time.monotonic() > deadline[0]:
                row.update(ok=False, error="time limit")
            else:
                t = time.perf_counter()
                try:
                    answer = client.predict(q, api_name="/ask")
                    row.update(ok=isinstance(answer, dict) and "text" in answer,
                               abstained=bool(answer.get("abstained")),
                               cited=bool(answer.get("citations")))
                except Exception as exc:
                    row.update(ok=False, error=str(exc)[:200])
                row["ms"] = (time.perf_counter() - t) * 1000
            with lock:
                results.append(row)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for th in threads:
        th.start()
    deadline[0] = time.monotonic() + time_limit
    started = time.perf_counter()
    ready.wait()
    for th in threads:
        th.join(timeout=max(0.0, deadline[0] - time.monotonic()) + 60)
    wall = time.perf_counter() - started

    ok = [r for r in results if r.get("ok")]
    latencies = [r["ms"] for r in ok]
    return {
        "url_kind": "loopback", "apps": len(urls),
        "answered_per_app": [sum(1 for r in ok if r["app"] == a) for a in range(len(urls))], "clients": clients, "per_client": per_client, "requested": clients * per_client,
        "answered": len(ok), "failed": len(results) - len(ok) + (clients * per_client - len(results)),
        "abstained": sum(r.get("abstained", False) for r in ok), "cited": sum(r.get("cited", False) for r in ok),
        "wall_s": round(wall, 2), "throughput_qps": round(len(ok) / wall, 2) if wall else None,
        "latency_ms": {"p50": round(percentile(latencies, 50), 1), "p95": round(percentile(latencies, 95), 1),
                       "max": round(max(latencies), 1) if latencies else None},
        "baseline_one_client_ms": {"n": len(base), "p50": round(percentile(base, 50), 1),
                                   "p95": round(percentile(base, 95), 1)},
        "errors": sorted({r["error"] for r in results if r.get("error")})[:5],
        "distinct_questions": len(questions), "cpus": os.cpu_count(), "python": platform.python_version(),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load_app", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--per-client", type=int, default=5, help="questions each client asks (default 5)")
    p.add_argument("--time-limit", type=float, default=300, help="seconds for the whole load (default 300)")
    p.add_argument("--url", default=None, help="a running app (default: start app.py on a copy of corpus/)")
    p.add_argument("--auth", default=None, metavar="USER:PASS")
    p.add_argument("--baseline", type=int, default=10, help="questions asked by one client first (default 10)")
    p.add_argument("--startup-timeout", type=float, default=240)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--milvus", action="store_true",
                   help="QA_STORE=milvus: a Milvus Lite server, the index job, then --apps app processes serving it")
    p.add_argument("--apps", type=int, default=1, help="app processes (with --milvus they share one record)")
    args = p.parse_args(argv)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None

    procs, workdir = [], None
    try:
        if args.url:
            url = args.url
        else:
            workdir = Path(tempfile.mkdtemp(prefix="qa-load-"))
            t = time.perf_counter()
            env, corpus = None, None
            if args.milvus:
                print("starting a Milvus Lite server and indexing corpus/ into it …", flush=True)
                procs, env = start_milvus_record(workdir, args.startup_timeout)
                corpus = workdir / "no-corpus"  # app replicas have no documents and no index of their own
            print(f"starting {args.apps} app.py process(es) …", flush=True)
            url = []
            for a in range(args.apps):
                proc, u = start_server(workdir, args.startup_timeout, env, f"app{a}", corpus)
                procs.append(proc)
                url.append(u)
            print(f"apps ready in {time.perf_counter() - t:.1f}s", flush=True)
        print(f"{args.clients} clients x {args.per_client} questions …", flush=True)
        result = run_load(url, args.clients, args.per_client, args.time_limit, auth, args.baseline)
        result["store"] = "milvus (Milvus Lite server on loopback)" if args.milvus else "faiss"
    finally:
        for proc in reversed(procs):
            stop_server(proc, None)
        stop_server(None, workdir)

    lat, base = result["latency_ms"], result["baseline_one_client_ms"]
    print(f"answered {result['answered']}/{result['requested']} ({result['failed']} failed; "
          f"{result['cited']} cited, {result['abstained']} abstained) in {result['wall_s']}s "
          f"= {result['throughput_qps']} answers/s")
    print(f"latency under load: p50 {lat['p50']} ms, p95 {lat['p95']} ms, max {lat['max']} ms")
    print(f"one client alone:   p50 {base['p50']} ms, p95 {base['p95']} ms ({base['n']} questions)")
    if result["errors"]:
        print("errors:", *result["errors"], sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
