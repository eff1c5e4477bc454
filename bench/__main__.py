"""Benchmarks of case-qa. Each writes bench/results/<name>.json and <name>.md.

    python -m bench squad   [--limit N] [--articles N] [--article TITLE] [--details] [--out DIR]
    python -m bench v2      [--limit N] [--articles N] [--out DIR]
    python -m bench fairytale [--limit N] [--articles N] [--out DIR]
    python -m bench scale --store milvus [--sizes 100000,1000000] [--milvus-uri URI]
    python -m bench scale   [--parts abc] [--questions N] [--skip-hnsw-1m] [--sizes 10000,100000,1000000] [--out DIR]
    python -m bench latency [--article TITLE] [--questions N] [--out DIR]
    python -m bench court   [--chars 1000000] [--questions N] [--threads N] [--out DIR]
    python -m bench opinions [--out DIR]
    python -m bench shortlist [--no-reader] [--out DIR]

--limit is questions per article (a fixed random sample); --articles takes the first N held-out articles.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from .squad_bench import RESULTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="bench", required=True)

    def common(p, limit_help="questions per article (fixed random sample); default all"):
        p.add_argument("--out", type=Path, default=RESULTS, help="output directory (default bench/results/)")
        p.add_argument("--limit", type=int, default=None, help=limit_help)
        p.add_argument("--articles", type=int, default=None, help="only the first N held-out articles")
        p.add_argument("--name", default=None, help="output file stem (default: the benchmark's name)")

    squad = sub.add_parser("squad", help="SQuAD v1.1 dev, held-out articles, one record per article")
    common(squad)
    squad.add_argument("--article", action="append", default=None, metavar="TITLE",
                       help="only this article (repeatable), e.g. Super_Bowl_50")
    squad.add_argument("--details", action="store_true", help="also write <name>.questions.jsonl (one row a question)")

    v2 = sub.add_parser("v2", help="SQuAD v2 half: answerability AUROC, abstention, off-topic questions")
    common(v2)

    fairytale = sub.add_parser("fairytale", help="FairytaleQA test split: paraphrased questions, one record a story")
    common(fairytale)

    scale = sub.add_parser("scale", help="one big record, FAISS flat/IVF/HNSW at 10k-1M vectors, embedding speed")
    scale.add_argument("--out", type=Path, default=RESULTS)
    scale.add_argument("--name", default="scale")
    scale.add_argument("--parts", default="abc", help="a: big record, b: FAISS index types, c: embedding throughput")
    scale.add_argument("--questions", type=int, default=1000, help="questions asked of the big record (part a)")
    scale.add_argument("--sizes", default="10000,100000,1000000", help="vector counts for part b")
    scale.add_argument("--skip-hnsw-1m", action="store_true",
                       help="do not build HNSW at 1M vectors (2-3 min on 2 idle cores, 15+ when they are busy); "
                            "its build time and memory are then extrapolated from 100k")
    scale.add_argument("--cache", type=Path, default=None,
                       help="where the big record's corpus and index live between runs (default "
                            "$BENCH_CACHE or ~/.cache/case-qa-bench); --no-cache rebuilds in a temp dir")
    scale.add_argument("--no-cache", action="store_true")
    scale.add_argument("--store", choices=("faiss", "milvus"), default="faiss",
                       help="milvus: the index store itself, FAISS next to Milvus (bench/milvus_scale.py)")
    scale.add_argument("--milvus-uri", default=None, help="a Milvus server for --store milvus (default: a Lite file)")

    latency = sub.add_parser("latency", help="cold start, index open, per-stage latency of first and repeated asks")
    latency.add_argument("--out", type=Path, default=RESULTS)
    latency.add_argument("--name", default="latency")
    latency.add_argument("--article", default=None, help="held-out article to ask about (default Super_Bowl_50)")
    latency.add_argument("--questions", type=int, default=200)

    court = sub.add_parser("court", help="a ~1M-character court record: index build by stage, warm ask latency")
    court.add_argument("--out", type=Path, default=RESULTS)
    court.add_argument("--name", default="court")
    court.add_argument("--chars", type=int, default=1_000_000,
                       help="record size in characters (copies of ../shared/data/court/*.txt); e.g. 100000 to try it")
    court.add_argument("--questions", type=int, default=None, help="ask only the first N of the ~40 questions")
    court.add_argument("--threads", type=int, default=None, help="torch and FAISS threads (default: theirs)")
    opinions = sub.add_parser("opinions", help="who represented each side, who wrote it, how the appeal came out: "
                                                "the court opinions no golden case uses")
    opinions.add_argument("--out", type=Path, default=RESULTS)
    opinions.add_argument("--name", default="opinions")
    shortlist = sub.add_parser("shortlist", help="the reader's first stage on SQuAD train's held-out calibration "
                                                  "articles: answer among the first n, reader right first")
    shortlist.add_argument("--out", type=Path, default=RESULTS)
    shortlist.add_argument("--name", default="shortlist")
    shortlist.add_argument("--no-reader", action="store_true", help="recall only, without the reader (1.5 min)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # bm25s sets its own logger to DEBUG when imported
        handler.setLevel(logging.WARNING)
    started = time.perf_counter()
    from .squad_data import SQUAD_V1

    progress = lambda msg: print(msg, flush=True)  # noqa: E731
    from .court_bench import COURT

    if args.bench == "court":
        from .court_bench import run_court

        if not COURT.is_dir():
            print(f"court files not found at {COURT}", file=sys.stderr)
            return 2
        result = run_court(chars=args.chars, questions=args.questions, out_dir=args.out, name=args.name,
                           threads=args.threads, progress=progress)
        print(f"\nwrote {Path(args.out) / args.name}.json and .md in {time.perf_counter() - started:.0f}s")
        _print_summary(result["summary"])
        return 0
    if args.bench == "opinions":
        from .opinion_bench import run_opinions

        if not COURT.is_dir():
            print(f"court files not found at {COURT}", file=sys.stderr)
            return 2
        result = run_opinions(out_dir=args.out, name=args.name, progress=progress)
        print(f"\nwrote {Path(args.out) / args.name}.json and .md: {result['right']} of {result['questions']} right")
        return 0
    if args.bench == "shortlist":
        from .shortlist_bench import run

        run(args.out, args.name, use_reader=not args.no_reader)
        return 0
    if not SQUAD_V1.exists():
        print(f"SQuAD data not found at {SQUAD_V1}", file=sys.stderr)
        return 2
    if args.bench == "squad":
        from .squad_bench import run_squad

        result = run_squad(limit=args.limit, articles=args.articles, titles=args.article, out_dir=args.out,
                           name=args.name or "squad", details=args.details, progress=progress)
        summary = result["overall"]
    elif args.bench == "v2":
        from .squad_bench import run_v2

        result = run_v2(limit=args.limit, articles=args.articles, out_dir=args.out, name=args.name or "squad_v2",
                        progress=progress)
        summary = {**result["overall"], "off_topic_abstention_rate": result["off_topic"]["abstention_rate"]}
    elif args.bench == "fairytale":
        from .fairytale_bench import run_fairytale

        result = run_fairytale(limit=args.limit, articles=args.articles, out_dir=args.out,
                               name=args.name or "fairytale", progress=progress)
        summary = result["overall"]
    elif args.bench == "scale" and args.store == "milvus":
        from .milvus_scale import run_milvus_scale

        sizes = [int(x) for x in args.sizes.split(",") if x] if args.sizes != "10000,100000,1000000" \
            else [100_000, 1_000_000]
        if args.name == "scale":
            args.name = "scale_milvus"
        result = run_milvus_scale(sizes, uri=args.milvus_uri, out_dir=args.out, name=args.name, progress=progress)
        summary = {f"{r['store']}_{r['n']}_{k}": r[k] for r in result["rows"]
                   for k in ("rows_per_second", "query_ms_p50", "query_ms_p95", "recall@10")}
    elif args.bench == "scale":
        from .scale_bench import run_scale

        result = run_scale(parts=args.parts, questions=args.questions,
                           sizes=[int(s) for s in args.sizes.split(",") if s], hnsw_1m=not args.skip_hnsw_1m,
                           cache=args.cache, use_cache=not args.no_cache, out_dir=args.out, name=args.name,
                           progress=progress)
        summary = result.get("summary", {})
    else:
        from .latency_bench import run_latency

        result = run_latency(article=args.article, questions=args.questions, out_dir=args.out, name=args.name,
                             progress=progress)
        summary = result.get("summary", {})
    name = getattr(args, "name", None) or {"squad": "squad", "v2": "squad_v2", "fairytale": "fairytale"}[args.bench]
    print(f"\nwrote {Path(args.out) / name}.json and .md in {time.perf_counter() - started:.0f}s")
    _print_summary(summary)
    return 0


def _print_summary(summary: dict) -> None:
    for key, value in summary.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            print(f"  {key:32s} {value:.4g}")


if __name__ == "__main__":
    sys.exit(main())
