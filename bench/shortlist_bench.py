"""The reader's first stage, on the 23 held-out calibration articles of SQuAD train (every 20th by title; no reader
phase trained on them, and never the dev set): how often the sentence holding the answer is among the first n of
the shortlist, and how often the reader then puts it first (logit + the card's cosine weight, the second look at
0.3 as in the product), for `qa.retrieval.shortlist` against the fusion it replaced (the sentence's dense and BM25
ranks alone, RRF k = 60). Each question is one whole article's sentences.

    python -m bench shortlist [--no-reader] [--out DIR]
"""

from __future__ import annotations

import time

import numpy as np

from .squad_bench import md_table, provenance, write_results

SECOND_LOOK = 0.3
SIZES = (4, 6, 8)


def sentence_fusion_k60(vector, record, lexical) -> list[int]:
    """The shortlist before session 19."""
    from qa.retrieval import reciprocal_rank_fusion

    dense = record.vectors @ vector
    rankings = [np.argsort(-dense, kind="stable").tolist(),
                [i for i in np.argsort(-lexical, kind="stable").tolist() if lexical[i] > 0]]
    return [i for i, _ in reciprocal_rank_fusion(rankings, 60)]


def shipped(vector, record, lexical) -> list[int]:
    from qa.retrieval import shortlist

    everything = list(range(len(record.sentences)))
    return shortlist(vector, record.vectors, lexical, everything, record.context_positions, len(everything))


SHORTLISTS = {"sentence alone, RRF k 60 (before)": sentence_fusion_k60,
              "sentence alone and in context, RRF k 3 (shipped)": shipped}


def run(out_dir, name: str = "shortlist", use_reader: bool = True) -> dict:
    from bench.train_reader import AMBIGUOUS, CALIBRATION_EVERY, SQUAD_TRAIN, Record, load_articles
    from qa.embedding import get_embedder
    from qa.reader_model import get_reader_model
    from qa.retrieval import bm25_scores
    from qa.settings import BUNDLED_EMBEDDER, Settings
    from qa.text import terms

    started = time.time()
    settings = Settings.from_env()
    embedder = get_embedder(BUNDLED_EMBEDDER, settings.embedding_precision)
    reader = get_reader_model(precision=settings.reader_precision) if use_reader else None
    ambiguous = set(AMBIGUOUS.read_text().split())
    articles = sorted(load_articles(SQUAD_TRAIN), key=lambda a: a.title)
    held_out = [a for n, a in enumerate(articles) if n % CALIBRATION_EVERY == 0]
    depth = 2 * max(SIZES)
    found = {label: {n: [] for n in SIZES} for label in SHORTLISTS}
    first = {label: {n: [] for n in SIZES} for label in SHORTLISTS}
    read = {label: {n: [] for n in SIZES} for label in SHORTLISTS}
    for article in held_out:
        record = Record(article.title, article.text, embedder)
        questions = [q for q in article.questions if q.qid not in ambiguous and q.answers]
        for q, vector in zip(questions, embedder.encode([q.text for q in questions])):
            gold = record.sentence_at(q.answers[0][0])
            if gold < 0:
                continue
            lexical = bm25_scores(record.bm25, terms(q.text))
            orders = {label: make(vector, record, lexical)[:depth] for label, make in SHORTLISTS.items()}
            logits = {}
            if reader is not None:
                todo = sorted(set().union(*orders.values()))
                out = reader.read(q.text, [record.sentences[i] for i in todo], [record.contexts[i] for i in todo])
                logits = dict(zip(todo, out.scores.tolist()))
            for label, order in orders.items():
                for n in SIZES:
                    found[label][n].append(gold in order[:n])
                    if reader is None:
                        continue
                    picked = order[:n]
                    if max(logits[i] for i in picked) < np.log(SECOND_LOOK / (1 - SECOND_LOOK)):
                        picked = order[:2 * n]
                    weight = reader.rank_cosine_weight
                    best = max(picked, key=lambda i: logits[i] + weight * float(record.vectors[i] @ vector))
                    first[label][n].append(best == gold)
                    read[label][n].append(len(picked))
    questions = len(found[next(iter(SHORTLISTS))][SIZES[0]])
    rows = []
    for label in SHORTLISTS:
        for n in SIZES:
            rows.append([label, n, f"{np.mean(found[label][n]):.4f}",
                         f"{np.mean(first[label][n]):.4f}" if first[label][n] else "-",
                         f"{np.mean(read[label][n]):.2f}" if read[label][n] else "-"])
    result = {"questions": questions, "articles": len(held_out), "second_look": SECOND_LOOK,
              "rows": [dict(zip(("shortlist", "candidates", "answer_among_them", "reader_right_first",
                                 "sentences_read"), r)) for r in rows],
              "runtime_s": round(time.time() - started, 1), **provenance()}
    markdown = (f"# The reader's shortlist: {questions} questions of {len(held_out)} held-out calibration articles of "
                f"SQuAD train\n\nEach article is one record; the second look reads the next n candidates when none "
                f"of the first n reaches {SECOND_LOOK}.\n\n"
                + md_table(["shortlist", "candidates n", "answer among them", "reader's best is it",
                            "sentences read"], rows) + "\n")
    write_results(out_dir, name, result, markdown)
    print(markdown)
    return result
