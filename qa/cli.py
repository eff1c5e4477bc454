"""Command line: `python -m qa ask|chat|index|docs`. A thin shell over `qa.Engine`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields

from .engine import Engine
from .errors import QAError
from .schema import Delta
from .settings import Settings


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    for f in fields(Settings):
        flag = "--" + f.name.replace("_", "-")
        parser.add_argument(flag, dest=f.name, default=None, metavar=f.name.upper(),
                            help=f"overrides QA_{f.name.upper()} (default: {f.default})")


def format_answer(answer) -> str:
    lines = [answer.text]
    if answer.resolved_question:
        lines.insert(0, f"(read as: {answer.resolved_question})")
    for c in answer.citations:
        # "United States v. Weekes, II. Background, p. 4": which document, which part of it, which page
        lines.append(f"  [{c.number}] {c.label} ({c.doc_id}, chars {c.start}-{c.end})")
    if answer.abstained:
        for p in answer.passages[:3]:
            snippet = " ".join(p.chunk.text.split())
            lines.append(f"  related: {p.chunk.doc_id}: {snippet[:160]}{'…' if len(snippet) > 160 else ''}")
    return "\n".join(lines)


def stream_answer(engine: Engine, question: str):
    """Print raw generated text as it streams; return the verified Answer, which the caller prints."""
    answer, streamed = None, False
    for event in engine.ask_stream(question):
        if isinstance(event, Delta):
            print(event.text, end="", flush=True)
            streamed = True
        else:
            answer = event
    if streamed:
        print("\n\nverified:")
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa", description="Cited answers from a case record.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log index builds and refreshes")
    sub = parser.add_subparsers(dest="command", required=True)
    p_ask = sub.add_parser("ask", help="answer one question")
    p_ask.add_argument("question")
    p_ask.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
    p_ask.add_argument("--stream", action="store_true",
                       help="with the generative reader, print the LLM's text as it arrives, then the verified answer")
    p_chat = sub.add_parser("chat", help="interactive chat in the terminal, with follow-ups")
    p_index = sub.add_parser("index", help="build or update index/ from the corpus")
    p_index.add_argument("--force", action="store_true", help="rebuild from scratch")
    p_docs = sub.add_parser("docs", help="list the documents in the record")
    for p in (p_ask, p_chat, p_index, p_docs):
        _add_settings_flags(p)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    overrides = {f.name: getattr(args, f.name) for f in fields(Settings) if getattr(args, f.name, None) is not None}
    try:
        engine = Engine(settings=Settings.from_env(**overrides))
        if args.command == "ask":
            answer = stream_answer(engine, args.question) if args.stream and not args.json else engine.ask(args.question)
            print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
        elif args.command == "index":
            if args.force:
                from .index import build_index

                index = build_index(engine.settings, engine.embedder, previous=None, progress=True)
            else:
                index = engine.refresh(progress=True)
            m = index.manifest
            print(f"{m['counts']['documents']} documents, {m['counts']['chunks']} chunks, "
                  f"{m['counts']['sentences']} sentences in {index.location}")
            for problem in m.get("problems", []):
                print(f"skipped: {problem}", file=sys.stderr)
        elif args.command == "docs":
            for d in engine.documents():
                print(f"{d['doc_id']}\t{d['sentences']} sentences\t{d['status']}\t{d['title']}")
        else:
            return _chat(engine)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _chat(engine: Engine) -> int:
    print("Ask about the record (empty line or Ctrl-D to quit).")
    history = []
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = engine.ask(question, history=history)
        except QAError as exc:
            print(f"error: {exc}")
            continue
        history.append(answer)
        print(format_answer(answer))


if __name__ == "__main__":
    sys.exit(main())
