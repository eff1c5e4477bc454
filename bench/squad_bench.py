"""SQuAD as case records, through the product's public pipeline (`Engine.ask`), with baselines over the same
chunks and the same index.

    python -m bench squad [--limit N] [--articles N] [--out bench/results/]   # v1.1 dev, held-out articles
    python -m bench v2 [--limit N] [--out bench/results/]                      # abstention, SQuAD v2 half

Each article is one record: its own temporary corpus (one document) and index. Only articles the reader was
not fitted on are measured (bench/squad_data.py: HELD_OUT_EXCLUDE, ANSWERABILITY_TRAIN). Every figure is
computed from document offsets or from SQuAD's official normalisation; see METRICS below for definitions.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from .squad_data import (ANSWERABILITY_TRAIN, HELD_OUT_EXCLUDE, OFF_TOPIC, OLD_SCORER_TRAIN, SQUAD_V1, SQUAD_V2_HALF, exact_match,
                         f1_score, load_articles, span_covers_answer, text_contains_answer, write_corpus)

RESULTS = Path(__file__).resolve().parent / "results"
QWORDS = ("who", "when", "what", "why", "how", "which", "where", "other")
_QWORD = {"who": "who", "whom": "who", "whose": "who", "when": "when", "what": "what", "why": "why", "how": "how",
          "which": "which", "where": "where"}
_MARKER = re.compile(r"\s*\[\d+\]")

METRICS = {
    "recall@k": "share of questions where one of the top-k retrieved chunks contains a gold answer span (offsets)",
    "answer_hit_rate": "share of all questions whose answer text (minus [n] markers) contains a gold answer "
                       "under SQuAD normalisation; an abstention is a miss",
    "answer_hit_rate_answered": "the same, over questions not abstained on",
    "answer_covers_gold": "share of all questions where a citation's [start, end) covers a gold answer span "
                          "(comparable with the baselines' hit rate)",
    "citation_precision": "share of all citations whose [start, end) covers a gold answer span",
    "first_citation_correct": "share of answered questions whose citation [1] covers a gold answer span",
    "span_coverage": "share of all questions for which a short answer span is produced",
    "span_em / span_f1": "SQuAD official exact match / F1 of the short span, over questions with a span",
    "answer_words": "words in the answer text without markers, over answered questions",
    "abstention_rate": "share of questions abstained on",
    "latency_ms": "wall-clock time of Engine.ask, first ask of each question (no query-embedding cache hit)",
    "baseline hit": "the baseline's top sentence [start, end) covers a gold answer span (offsets)",
    "baseline text_hit": "the baseline's top sentence text contains a gold answer under SQuAD normalisation",
}


# ------------------------------------------------------------------------------------------------ helpers

def question_word(text: str) -> str:
    """The first wh-word of the question ('In what year ...' -> what); whom/whose count as who."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _QWORD:
            return _QWORD[word]
    return "other"


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def word_count(text: str) -> int:
    return len(text.split())


def percentile(values, q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(statistics.fmean(values)) if values else None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


def sample_questions(questions, limit: int | None, seed: int = 0):
    """All questions, or a fixed random sample of `limit` of them (in their original order)."""
    if limit is None or limit >= len(questions):
        return list(questions)
    keep = sorted(random.Random(seed).sample(range(len(questions)), limit))
    return [questions[i] for i in keep]


def provenance() -> dict:
    """What was measured: the code revision, the reader's weights and threshold, the machine load (no host
    names)."""
    root = Path(__file__).resolve().parent.parent
    info = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "qa"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        info["git_head"] = head + ("+uncommitted qa/ changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    card = root / "qa" / "models" / "reader" / "card.json"
    if card.is_file():
        try:
            d = json.loads(card.read_text())
            info["reader_sha256"] = d.get("sha256", "")[:16]
            info["reader_threshold"] = d.get("threshold")
        except ValueError:
            pass
    return info


def shipped_threshold() -> float:
    from qa.reader_model import get_reader_model
    from qa.settings import Settings

    return get_reader_model(precision=Settings.from_env().reader_precision).threshold


def ask_unthresholded(engine, question: str):
    """One read gives both the answer at the shipped threshold and the top sentence without abstention: the
    embedded reader abstains exactly when answerability is below the threshold, so asking with threshold 0 and
    comparing afterwards costs one forward pass, not two."""
    answer = engine.ask(question, abstain_threshold=0.0)
    return answer, answer.abstained or answer.answerability < shipped_threshold()


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(v) if not isinstance(v, str) else v for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(out_dir: Path, name: str, result: dict, markdown: str) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    return json_path, md_path


def open_record(article, workdir: Path):
    """A fresh Engine over a one-document corpus holding `article`; returns (engine, doc_id, build seconds)."""
    from qa import Engine

    doc_id = write_corpus(article, workdir / "corpus")
    engine = Engine(corpus_dir=workdir / "corpus", index_dir=workdir / "index")
    started = time.perf_counter()
    index = engine.index
    return engine, doc_id, index, time.perf_counter() - started


def query_vector(engine, answer) -> np.ndarray:
    """The vector Engine.ask embedded the question with: a hit in the engine's own query cache."""
    return engine.embedder.encode_query(answer.resolved_question or answer.question)


# ------------------------------------------------------------------------------------------------ baselines

def top_sentence_baselines(index, doc_id: str, question_text: str, vector: np.ndarray, passages) -> dict:
    """Top sentence by BM25, by dense similarity, and by dense similarity among the fused top-k passages'
    sentences (the pipeline without the reader). Same index, same chunks as the product."""
    from qa.retrieval import bm25_scores
    from qa.text import terms

    sims = index.sentence_vectors @ vector
    lexical = np.asarray(bm25_scores(index.sentence_bm25, terms(question_text)))
    picks = {"bm25": int(np.argmax(lexical)) if len(lexical) and lexical.max() > 0 else None,
             "dense": int(np.argmax(sims)) if len(sims) else None}
    pool = sorted({sid for p in passages for sid in p.chunk.sentence_ids})
    picks["hybrid_no_reader"] = max(pool, key=lambda sid: (sims[sid], -sid)) if pool else None
    return {name: index.sentences[sid] if sid is not None else None for name, sid in picks.items()}


def baseline_row(sentence, doc_id: str, answers) -> dict:
    if sentence is None:
        return {"hit": False, "text_hit": False, "words": None}
    truths = [a[2] for a in answers]
    return {"hit": sentence.doc_id == doc_id and span_covers_answer(sentence.start, sentence.end, answers),
            "text_hit": text_contains_answer(sentence.text, truths), "words": word_count(sentence.text)}


# ------------------------------------------------------------------------------------------------ v1.1

def evaluate_question(engine, index, doc_id: str, q, article_title: str) -> dict:
    started = time.perf_counter()
    answer, abstained = ask_unthresholded(engine, q.text)
    latency = (time.perf_counter() - started) * 1000.0
    truths = [a[2] for a in q.answers]
    passages = sorted(answer.passages, key=lambda p: p.rank)
    covers = [p.chunk.doc_id == doc_id and span_covers_answer(p.chunk.start, p.chunk.end, q.answers)
              for p in passages]
    text = strip_markers(answer.text)
    cit_ok = [c.doc_id == doc_id and span_covers_answer(c.start, c.end, q.answers) for c in answer.citations]
    top = max(answer.citations, key=lambda c: c.score, default=None)
    top_ok = top is not None and top.doc_id == doc_id and span_covers_answer(top.start, top.end, q.answers)
    if abstained:
        cit_ok = []
    span = next((c.span_text for c in answer.citations if c.span_text), None) or answer.short_answer
    row = {
        "qid": q.qid, "article": article_title, "qword": question_word(q.text), "question": q.text,
        "shared_terms": shared_terms_bucket(q.text, index, doc_id, q.answers),
        "gold": truths[:3],
        **{f"r@{k}": any(covers[:k]) for k in (1, 3, 5)},
        "abstained": bool(abstained), "answerability": float(answer.answerability),
        "top_sentence_correct": top_ok,
        "hit": (not abstained) and text_contains_answer(text, truths),
        "citations": len(cit_ok), "citations_correct": sum(cit_ok),
        "first_citation_correct": bool(cit_ok and cit_ok[0]), "any_citation_correct": any(cit_ok),
        "span": None if abstained else span,
        "words": None if abstained else word_count(text),
        "latency_ms": latency, "timings": {k: round(v, 3) for k, v in answer.timings.items()},
        "answer": answer.text,
    }
    if row["span"]:
        row["span_em"] = exact_match(row["span"], truths)
        row["span_f1"] = f1_score(row["span"], truths)
    vector = query_vector(engine, answer)
    for name, sentence in top_sentence_baselines(index, doc_id, q.text, vector, passages).items():
        row[name] = baseline_row(sentence, doc_id, q.answers)
    return row


SHARED_TERMS = ("0-1", "2", "3-4", "5+")


def shared_terms_bucket(question: str, index, doc_id: str, answers) -> str:
    """How many of the question's terms (stemmed, stopwords out) the sentence holding its first gold answer has:
    SQuAD's writers mostly copied the sentence's words, people asking a record do not (issue 10)."""
    from qa.text import terms

    a_start = answers[0][0]
    sentence = next((s for s in index.sentences if s.doc_id == doc_id and s.start <= a_start < s.end), None)
    shared = len(set(terms(question)) & set(terms(sentence.text))) if sentence else 0
    return "0-1" if shared <= 1 else "2" if shared == 2 else "3-4" if shared <= 4 else "5+"


BASELINES = ("bm25", "dense", "hybrid_no_reader")


def aggregate(rows: list[dict]) -> dict:
    n = len(rows)
    if not n:
        return {"questions": 0}
    answered = [r for r in rows if not r["abstained"]]
    spanned = [r for r in rows if r.get("span")]
    latencies = [r["latency_ms"] for r in rows]
    out = {
        "questions": n,
        **{f"recall@{k}": mean(r[f"r@{k}"] for r in rows) for k in (1, 3, 5)},
        "answer_hit_rate": mean(r["hit"] for r in rows),
        "top_sentence_correct": mean(r["top_sentence_correct"] for r in rows),
        "answer_hit_rate_answered": mean(r["hit"] for r in answered),
        "answer_covers_gold": mean(r["any_citation_correct"] for r in rows),
        "citation_precision": (sum(r["citations_correct"] for r in rows) / sum(r["citations"] for r in rows)
                               if any(r["citations"] for r in rows) else None),
        "first_citation_correct": mean(r["first_citation_correct"] for r in answered),
        "span_coverage": len(spanned) / n,
        "span_em": mean(r["span_em"] for r in spanned),
        "span_f1": mean(r["span_f1"] for r in spanned),
        "answer_words_mean": mean(r["words"] for r in answered),
        "answer_words_median": float(statistics.median([r["words"] for r in answered])) if answered else None,
        "abstention_rate": sum(r["abstained"] for r in rows) / n,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        "baselines": {},
    }
    for name in BASELINES:
        out["baselines"][name] = {"hit_rate": mean(r[name]["hit"] for r in rows),
                                  "text_hit_rate": mean(r[name]["text_hit"] for r in rows),
                                  "answer_words_mean": mean(r[name]["words"] for r in rows)}
    stages = sorted({k for r in rows for k in r["timings"]})
    out["stage_ms_p50"] = {k: percentile([r["timings"][k] for r in rows if k in r["timings"]], 50) for k in stages}
    return out


def run_squad(limit: int | None = None, articles: int | None = None, titles=None, out_dir: Path = RESULTS,
              name: str = "squad", details: bool = False, progress=print) -> dict:
    """SQuAD v1.1 dev, one record per held-out article, every question through Engine.ask."""
    started = time.perf_counter()
    info = provenance()
    selected = load_articles(SQUAD_V1, titles=titles, exclude=HELD_OUT_EXCLUDE)
    if articles is not None:
        selected = selected[:articles]
    rows, per_article = [], []
    with tempfile.TemporaryDirectory(prefix="bench-squad-") as tmp:
        for i, article in enumerate(selected, 1):
            engine, doc_id, index, build_seconds = open_record(article, Path(tmp) / f"a{i}")
            build = index.manifest.get("build", {})
            questions = sample_questions(article.questions, limit)
            t = time.perf_counter()
            article_rows = [evaluate_question(engine, index, doc_id, q, article.title) for q in questions]
            rows += article_rows
            per_article.append({
                "article": article.title, "questions": len(questions), "chars": len(article.text),
                "chunks": len(index.chunks), "sentences": len(index.sentences),
                "build_seconds": round(build_seconds, 3), "embed_seconds": build.get("embed_seconds"),
                "ask_seconds": round(time.perf_counter() - t, 3),
                "answer_hit_rate": mean(r["hit"] for r in article_rows),
                "recall@5": mean(r["r@5"] for r in article_rows)})
            progress(f"[{i}/{len(selected)}] {article.title}: {len(questions)} questions, build "
                     f"{build_seconds:.1f}s, hit {per_article[-1]['answer_hit_rate']:.3f}, "
                     f"{time.perf_counter() - started:.0f}s elapsed")
    builds = [a["build_seconds"] for a in per_article]
    result = {
        "benchmark": "SQuAD v1.1 dev, one record per article, held-out articles only",
        "data": str(SQUAD_V1.name), "limit_per_article": limit, "articles": len(per_article),
        "excluded_articles": sorted(HELD_OUT_EXCLUDE), "provenance": info, "definitions": METRICS,
        "overall": aggregate(rows),
        "by_question_word": {w: aggregate([r for r in rows if r["qword"] == w]) for w in QWORDS},
        "by_shared_terms": {b: aggregate([r for r in rows if r["shared_terms"] == b]) for b in SHARED_TERMS},
        # The articles the previous reader's published figures were measured on, for a like-for-like comparison.
        "old_reader_articles": aggregate([r for r in rows if r["article"] not in OLD_SCORER_TRAIN]),
        "index_build_seconds": {"mean": mean(builds), "median": float(statistics.median(builds)) if builds else None,
                                "max": max(builds, default=None), "total": sum(builds)},
        "per_article": per_article,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "runtime_seconds": round(time.perf_counter() - started, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    write_results(out_dir, name, result, squad_markdown(result))
    if details:
        with open(Path(out_dir) / f"{name}.questions.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return result


def squad_markdown(result: dict) -> str:
    groups = [("all", result["overall"])] + [(w, result["by_question_word"][w]) for w in QWORDS]
    groups += [(f"{b} terms shared with the answer's sentence", m)
               for b, m in result.get("by_shared_terms", {}).items()]
    if result.get("old_reader_articles", {}).get("questions"):
        groups.append(("the old reader's held-out articles", result["old_reader_articles"]))
    groups = [(g, m) for g, m in groups if m.get("questions")]
    header = ["questions", "n", "R@1", "R@3", "R@5", "answer hit", "top sentence", "cite covers", "cite precision",
              "span cov", "span EM", "span F1", "words", "abstain", "p50 ms", "p95 ms"]
    rows = [[g, m["questions"], m["recall@1"], m["recall@3"], m["recall@5"], m["answer_hit_rate"],
             m["top_sentence_correct"],
             m["answer_covers_gold"], m["citation_precision"], m["span_coverage"], m["span_em"], m["span_f1"],
             fmt(m["answer_words_mean"], 1), m["abstention_rate"], fmt(m["latency_ms_p50"], 0),
             fmt(m["latency_ms_p95"], 0)] for g, m in groups]
    base_header = ["questions", "product hit (text)", "product covers (offsets)", "product words"] + \
        [f"{b} {k}" for b in BASELINES for k in ("hit", "words")]
    base_rows = [[g, m["answer_hit_rate"], m["answer_covers_gold"], fmt(m["answer_words_mean"], 1)] +
                 [v for b in BASELINES for v in (m["baselines"][b]["hit_rate"],
                                                 fmt(m["baselines"][b]["answer_words_mean"], 1))]
                 for g, m in groups]
    b = result["index_build_seconds"]
    p = result["provenance"]
    return "\n\n".join([
        f"# SQuAD v1.1 dev: {result['articles']} held-out articles, {result['overall']['questions']} questions",
        f"Each article is one record (own corpus and index); every question through `Engine.ask`. "
        f"Revision {p.get('git_head', '?')}, reader {p.get('reader_sha256', '?')} (threshold "
        f"{fmt(p.get('reader_threshold'))}); limit per article: {result['limit_per_article']}.",
        "## Product, overall, by question word and by the terms a question shares with its answer's sentence",
        md_table(header, rows),
        "## Baselines (top sentence; same chunks and index)",
        "Baseline hit = the top sentence's offsets cover a gold answer; compare with the product's "
        "'covers' column (a citation covers a gold answer).",
        md_table(base_header, base_rows),
        "## Cost",
        md_table(["index build s/article (mean)", "median", "max", "latency p50 ms", "latency p95 ms",
                  "peak RSS MB", "runtime s", "load avg start → end"],
                 [[b["mean"], b["median"], b["max"], fmt(result["overall"]["latency_ms_p50"], 1),
                   fmt(result["overall"]["latency_ms_p95"], 1), fmt(result["peak_rss_mb"], 0),
                   fmt(result["runtime_seconds"], 0),
                   f"{p['load_average_at_start'][0]} → {result['load_average_at_end'][0]}"]]),
        "Definitions: " + "; ".join(f"**{k}**: {v}" for k, v in METRICS.items()) + ".",
    ])


# ------------------------------------------------------------------------------------------------ v2

def auroc(labels, scores) -> float | None:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if len(set(labels.tolist())) < 2:
        return None
    return float(roc_auc_score(labels, np.asarray(scores)))


def run_v2(limit: int | None = None, articles: int | None = None, out_dir: Path = RESULTS, name: str = "squad_v2",
           progress=print) -> dict:
    """SQuAD v2 (half of dev): does answerability separate answerable from unanswerable questions, and does
    the engine abstain on off-topic questions? Articles used to fit answerability are excluded."""
    started = time.perf_counter()
    info = provenance()
    selected = load_articles(SQUAD_V2_HALF, exclude=frozenset(ANSWERABILITY_TRAIN))
    if articles is not None:
        selected = selected[:articles]
    rows, off_rows, per_article = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-v2-") as tmp:
        for i, article in enumerate(selected, 1):
            engine, doc_id, index, build_seconds = open_record(article, Path(tmp) / f"a{i}")
            questions = sample_questions(article.questions, limit)
            for q in questions:
                answer, abstained = ask_unthresholded(engine, q.text)
                vector = query_vector(engine, answer)
                truths = [a[2] for a in q.answers]
                rows.append({
                    "qid": q.qid, "article": article.title, "answerable": not q.impossible,
                    "answerability": float(answer.answerability), "abstained": bool(abstained),
                    "hit": (not q.impossible and not abstained
                            and text_contains_answer(strip_markers(answer.text), truths)),
                    "baseline_max_dense": float(np.max(index.sentence_vectors @ vector)),
                    "qword": question_word(q.text)})
            for text in OFF_TOPIC:
                answer = engine.ask(text)
                off_rows.append({"article": article.title, "question": text, "abstained": bool(answer.abstained),
                                 "answerability": float(answer.answerability)})
            per_article.append({"article": article.title, "questions": len(questions),
                                "unanswerable": sum(q.impossible for q in questions),
                                "build_seconds": round(build_seconds, 3)})
            progress(f"[{i}/{len(selected)}] {article.title}: {len(questions)} questions, "
                     f"{time.perf_counter() - started:.0f}s elapsed")
    result = {
        "benchmark": "SQuAD v2 (dev half), one record per article, articles not used to fit answerability",
        "data": str(SQUAD_V2_HALF.name), "limit_per_article": limit, "articles": len(per_article),
        "excluded_articles": sorted(ANSWERABILITY_TRAIN), "provenance": info,
        "overall": v2_metrics(rows), "off_topic": off_topic_metrics(off_rows),
        "by_question_word": {w: v2_metrics([r for r in rows if r["qword"] == w]) for w in QWORDS},
        "per_article": per_article, "peak_rss_mb": round(peak_rss_mb(), 1),
        "runtime_seconds": round(time.perf_counter() - started, 1),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "definitions": {
            "auroc": "area under the ROC curve of Answer.answerability, answerable (positive) vs unanswerable",
            "baseline_auroc_max_dense": "the same for the naive score max cosine similarity of the top sentence",
            "abstain_precision": "share of abstentions that are on unanswerable questions",
            "abstain_recall": "share of unanswerable questions abstained on",
            "answerable_hit_rate": "share of answerable questions whose answer text contains a gold answer "
                                   "(abstention = miss)",
            "off_topic_abstention_rate": "share of OFF_TOPIC questions (asked of every held-out article) "
                                         "abstained on"},
    }
    write_results(out_dir, name, result, v2_markdown(result))
    return result


def v2_metrics(rows: list[dict]) -> dict:
    if not rows:
        return {"questions": 0}
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    abstained = [r for r in rows if r["abstained"]]
    labels = [int(r["answerable"]) for r in rows]
    true_abstain = sum(1 for r in abstained if not r["answerable"])
    precision = true_abstain / len(abstained) if abstained else None
    recall = true_abstain / len(unanswerable) if unanswerable else None
    return {
        "questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "auroc": auroc(labels, [r["answerability"] for r in rows]),
        "baseline_auroc_max_dense": auroc(labels, [r["baseline_max_dense"] for r in rows]),
        "abstain_precision": precision, "abstain_recall": recall,
        "abstain_f1": (2 * precision * recall / (precision + recall)) if precision and recall else None,
        "abstention_rate": len(abstained) / len(rows),
        "abstention_rate_answerable": mean(r["abstained"] for r in answerable),
        "accuracy": mean((not r["abstained"]) == r["answerable"] for r in rows),
        "answerable_hit_rate": mean(r["hit"] for r in answerable),
        "answerable_hit_rate_answered": mean(r["hit"] for r in answerable if not r["abstained"]),
    }


def off_topic_metrics(rows: list[dict]) -> dict:
    return {"questions": len(rows), "abstention_rate": mean(r["abstained"] for r in rows),
            "answerability_mean": mean(r["answerability"] for r in rows),
            "answerability_max": max((r["answerability"] for r in rows), default=None),
            "answered": sorted({r["question"] for r in rows if not r["abstained"]})}


def v2_markdown(result: dict) -> str:
    m, off, p = result["overall"], result["off_topic"], result["provenance"]
    header = ["questions", "n", "unanswerable", "AUROC", "baseline AUROC (max dense)", "abstain precision",
              "abstain recall", "accuracy", "answerable abstained", "answerable hit"]
    groups = [("all", m)] + [(w, result["by_question_word"][w]) for w in QWORDS]
    rows = [[g, x["questions"], x["unanswerable"], x["auroc"], x["baseline_auroc_max_dense"], x["abstain_precision"],
             x["abstain_recall"], x["accuracy"], x["abstention_rate_answerable"], x["answerable_hit_rate"]]
            for g, x in groups if x.get("questions")]
    return "\n\n".join([
        f"# SQuAD v2 (dev half): {result['articles']} held-out articles, {m['questions']} questions",
        f"Abstention at the shipped threshold ({fmt(p.get('reader_threshold'))}), revision {p.get('git_head', '?')}, "
        f"reader {p.get('reader_sha256', '?')}. Positive class for AUROC: answerable; for abstain "
        f"precision/recall: unanswerable.",
        md_table(header, rows),
        "## Off-topic questions", md_table(
            ["questions asked", "abstention rate", "mean answerability", "max answerability"],
            [[off["questions"], off["abstention_rate"], off["answerability_mean"], off["answerability_max"]]]),
        ("Answered off-topic: " + "; ".join(off["answered"])) if off["answered"] else "No off-topic question answered.",
        f"Runtime {result['runtime_seconds']:.0f} s, peak RSS {result['peak_rss_mb']:.0f} MB.",
    ])
