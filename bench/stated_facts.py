"""How often the sentence that answers an age, date or money question states the fact, on SQuAD train (training data:
the rule in `qa.questions.states_fact` was checked here, never on the evaluation sets).

    python -m bench.stated_facts [--misses N]

Prints, for each kind of asked-for fact, the questions that ask for it and the share whose answer sentence (the
sentence of the paragraph holding the first gold answer) states one. A miss is a question the trained reader
would abstain on, so the share is the rule's recall."""

from __future__ import annotations

import argparse
import json
import random

from qa.documents import split_sentences
from qa.questions import analyse_question, asked_fact, states_fact

from .train_reader import SQUAD_TRAIN


def answer_sentences(path=SQUAD_TRAIN):
    """(question, gold answer, the sentence holding it, asked fact) for each question asking for an age, a date
    or a sum of money."""
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            context, spans = paragraph["context"], None
            for qa in paragraph["qas"]:
                fact = asked_fact(analyse_question(qa["question"]))
                if fact is None:
                    continue
                spans = spans or split_sentences(context, 0, len(context))
                answer = qa["answers"][0]
                at = answer["answer_start"]
                sentence = next((context[s:e] for s, e in spans if s <= at < e), None)
                if sentence is not None:
                    yield qa["question"], answer["text"], sentence, fact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", type=int, default=10, help="misses to print per kind (a seeded sample)")
    args = parser.parse_args()
    found: dict[str, list[tuple[str, str, str]]] = {}
    counts: dict[str, int] = {}
    for question, answer, sentence, fact in answer_sentences():
        counts[fact] = counts.get(fact, 0) + 1
        if not states_fact(fact, sentence):
            found.setdefault(fact, []).append((question, answer, sentence))
    rng = random.Random(0)
    for fact, n in sorted(counts.items()):
        misses = found.get(fact, [])
        print(f"{fact}: {n} questions, answer sentence states one for {n - len(misses)} ({1 - len(misses) / n:.3f})")
        for question, answer, sentence in rng.sample(misses, min(args.misses, len(misses))):
            print(f"    {question!r} -> {answer!r}: {sentence[:140]!r}")


if __name__ == "__main__":
    main()
