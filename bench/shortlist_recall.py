"""First-stage recall on the held-out calibration articles of SQuAD train (never the dev set): how often the
sentence holding the answer is among the first n of `qa.retrieval.shortlist`, over a whole article and over the
20-odd sentences a retrieval leaves (the union of its 12 best by dense similarity and by BM25).

    python -m bench.shortlist_recall
"""

from __future__ import annotations

import numpy as np

from bench.train_reader import AMBIGUOUS, CALIBRATION_EVERY, SQUAD_TRAIN, Record
from bench.squad_data import load_articles


def calibration_rows():
    from qa.embedding import get_embedder
    from qa.retrieval import bm25_scores
    from qa.settings import BUNDLED_EMBEDDER, Settings
    from qa.text import terms

    embedder = get_embedder(BUNDLED_EMBEDDER, Settings().embedding_precision)
    ambiguous = set(AMBIGUOUS.read_text().split())
    articles = sorted(load_articles(SQUAD_TRAIN), key=lambda a: a.title)
    for n, article in enumerate(articles):
        if n % CALIBRATION_EVERY:
            continue
        record = Record(article.title, article.text, embedder)
        questions = [q for q in article.questions if q.qid not in ambiguous and q.answers]
        for q, v in zip(questions, embedder.encode([q.text for q in questions])):
            gold = record.sentence_at(q.answers[0][0])
            if gold >= 0:
                yield record.vectors @ v, bm25_scores(record.bm25, terms(q.text)), record.follows, gold


def main() -> None:
    from qa.retrieval import shortlist

    rows = list(calibration_rows())
    print(f"{len(rows)} questions")
    for k, weight in ((60, 0.0), (3, 0.0), (60, 0.2), (3, 0.2), (3, 0.4)):
        for n in (8, 16):
            whole = np.mean([g in shortlist(d, l, n, f, k, weight) for d, l, f, g in rows])
            kept = []
            for d, l, f, g in rows:
                ids = np.array(sorted(set(np.argsort(-d)[:12].tolist()) |
                                      {i for i in np.argsort(-l)[:12].tolist() if l[i] > 0}))
                follows = np.array([i > 0 and ids[i] == ids[i - 1] + 1 and f[ids[i]] for i in range(len(ids))])
                kept.append(g in ids[shortlist(d[ids], l[ids], n, follows, k, weight)].tolist())
            print(f"k {k:2d} neighbour weight {weight:.1f} recall@{n:2d}: whole article {whole:.4f}, "
                  f"retrieved sentences {np.mean(kept):.4f}")


if __name__ == "__main__":
    main()
