"""Fit the default reader's two logistic regressions (sentence scorer, answerability) on held-out SQuAD
articles and write qa/scorer.json.

    python -m bench.train_scorer

Sentence scorer: every candidate sentence of the retrieved passages of each SQuAD v1.1 question in
SCORER_TRAIN, labelled 1 when it contains a gold answer span (by offsets). Answerability: the best
candidate's evidence for every SQuAD v2 question in ANSWERABILITY_TRAIN plus off-topic questions, labelled
by whether the question is answerable; the threshold maximises accuracy there. No reported figure uses
these articles (bench/squad_data.py lists them)."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from qa import Engine
from qa.answering import (ANSWERABILITY_FEATURES, FEATURES, SCORER_PATH, LinearModel, Scorer, analyse_question,
                          answerability_features, candidate_features)
from qa.retrieval import retrieve
from qa.text import terms

from .squad_data import (ANSWERABILITY_TRAIN, OFF_TOPIC, SCORER_TRAIN, SQUAD_V1, SQUAD_V2_HALF, load_articles,
                         span_covers_answer, write_corpus)


def article_candidates(article, workdir: Path, questions, settings_overrides=None):
    """(question, candidates, labels) for each question, through the product's own retrieval."""
    engine = Engine(corpus_dir=workdir / "corpus", index_dir=workdir / "index", **(settings_overrides or {}))
    write_corpus(article, workdir / "corpus")
    index = engine.index
    vectors = engine.embedder.encode([q.text for q in questions])
    out = []
    for q, vector in zip(questions, vectors):
        info = analyse_question(q.text)
        passages = retrieve(index, vector, terms(q.text), engine.settings.top_k, engine.settings.fusion_depth,
                            engine.settings.rrf_k)
        cands = candidate_features(info, passages, index, vector)
        labels = np.array([span_covers_answer(index.sentences[s].start, index.sentences[s].end, q.answers)
                           for s in cands.sentence_ids], dtype=np.int8)
        out.append((q, info, cands, labels))
    return out


def fit_linear(x: np.ndarray, y: np.ndarray, names, c: float = 1.0, class_weight=None) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    model = LogisticRegression(C=c, max_iter=2000, class_weight=class_weight).fit((x - mean) / scale, y)
    return LinearModel(tuple(names), mean.astype(np.float32), scale.astype(np.float32),
                       model.coef_[0].astype(np.float32), float(model.intercept_[0]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=SCORER_PATH)
    parser.add_argument("--answerable-abstain", type=float, default=0.10,
                        help="share of answerable training questions allowed to abstain (sets the threshold)")
    parser.add_argument("--cache", type=Path, help="keep per-article indexes here between runs")
    args = parser.parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = args.cache or Path(tmp)
        xs, ys = [], []
        for article in load_articles(SQUAD_V1, titles=SCORER_TRAIN):
            for q, info, cands, labels in article_candidates(article, tmp / article.title, article.questions):
                if labels.any():  # a retrieval miss teaches the reader nothing
                    xs.append(cands.features)
                    ys.append(labels)
        x, y = np.concatenate(xs), np.concatenate(ys)
        sentence_model = fit_linear(x, y, FEATURES)
        print(f"sentence scorer: {len(xs)} questions, {len(y)} candidates, {y.mean():.3f} positive")
        for name, w in sorted(zip(FEATURES, sentence_model.weights), key=lambda p: -abs(p[1])):
            print(f"  {name:24s} {w:+.3f}")

        ax, ay = [], []
        for article in load_articles(SQUAD_V2_HALF, titles=ANSWERABILITY_TRAIN):
            from .squad_data import Question

            extra = [Question(f"offtopic-{i}", t, [], True) for i, t in enumerate(OFF_TOPIC)]
            for q, info, cands, labels in article_candidates(article, tmp / ("v2-" + article.title),
                                                             article.questions + extra):
                if not cands.sentence_ids:
                    continue
                logits = sentence_model.logits(cands.features)
                ax.append(answerability_features(info, cands, logits))
                ay.append(0 if q.impossible else 1)
        ax, ay = np.stack(ax), np.array(ay)
        answer_model = fit_linear(ax, ay, ANSWERABILITY_FEATURES, class_weight="balanced")
        probs = 1 / (1 + np.exp(-answer_model.logits(ax)))
        # SQuAD v2's unanswerable questions are written to look answerable; a threshold that catches most of
        # them would refuse most real questions. We keep abstention on answerable questions near
        # ANSWERABLE_ABSTAIN_TARGET and let the citation carry the rest: a reader can check it.
        threshold = float(np.quantile(probs[ay == 1], args.answerable_abstain))
        caught = (probs[ay == 0] < threshold).mean()
        print(f"answerability: {len(ay)} questions ({(ay == 0).mean():.3f} unanswerable); threshold "
              f"{threshold:.3f} abstains on {args.answerable_abstain:.0%} of answerable, {caught:.1%} of unanswerable")
        for name, w in sorted(zip(ANSWERABILITY_FEATURES, answer_model.weights), key=lambda p: -abs(p[1])):
            print(f"  {name:28s} {w:+.3f}")
    Scorer(sentence_model, answer_model, threshold).save(args.out, extra={
        "trained_on": {"sentence": list(SCORER_TRAIN), "answerable": list(ANSWERABILITY_TRAIN),
                       "off_topic_questions": len(OFF_TOPIC)},
        "answerable_abstain_target": args.answerable_abstain})
    print(f"wrote {args.out} in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
