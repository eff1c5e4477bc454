"""Golden Q&A regression suite: real end-to-end calls of qa.ask() on the seed record, real model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import qa

CASES = yaml.safe_load((Path(__file__).parent / "golden" / "rust_case.yaml").read_text(encoding="utf-8"))["cases"]


def check_case(case: dict, ask=qa.ask, document_text=qa.document_text) -> list[str]:
    """What is wrong with the answer to one golden case; empty when it passes. `ask` and `document_text` are those of
    the record the case is about (by default the seed record's; tests/test_golden_court.py passes an Engine's)."""
    history = []
    for turn in case.get("turns", []):
        history.append(ask(turn, history=list(history)))
    answer = ask(case["question"], history=history)
    expect, problems = case["expect"], []
    text = answer.text.lower()

    for c in answer.citations:  # every citation must resolve exactly, whatever the case asks
        if document_text(c.doc_id)[c.start:c.end] != c.quote:
            problems.append(f"citation [{c.number}] does not resolve to its quote")
        if f"[{c.number}]" not in answer.text:
            problems.append(f"citation [{c.number}] has no marker in the text")
    abstain = expect.get("abstain", False)
    if abstain is True and not answer.abstained:
        problems.append(f"should abstain, answered: {answer.text!r}")
    if abstain is False and answer.abstained:
        problems.append(f"abstained (answerability {answer.answerability:.2f})")
    if answer.abstained and answer.citations:
        problems.append("an abstention must make no cited claims")
    if answer.abstained:
        return problems
    for phrase in expect.get("contains", []):
        if phrase.lower() not in text:
            problems.append(f"answer lacks {phrase!r}: {answer.text!r}")
    for phrase in expect.get("not_contains", []):
        if phrase.lower() in text:
            problems.append(f"answer affirms {phrase!r}")
    if "cites" in expect:  # one phrase, or a list of which any one will do
        phrases = expect["cites"] if isinstance(expect["cites"], list) else [expect["cites"]]
        covered = False
        for c in answer.citations:
            doc = document_text(c.doc_id)
            for phrase in phrases:  # any occurrence: a docket repeats its text (the seed's phrases occur once)
                at = doc.find(phrase)
                while at >= 0 and not covered:
                    covered = c.start <= at and at + len(phrase) <= c.end
                    at = doc.find(phrase, at + 1)
        if not covered:
            problems.append(f"no citation covers {phrases!r}: {[c.quote[:60] for c in answer.citations]}")
    if "short" in expect and expect["short"].lower() not in (answer.short_answer or "").lower():
        problems.append(f"short answer {answer.short_answer!r} lacks {expect['short']!r}")
    return problems


def judge(case: dict, problems: list[str]) -> None:
    """A known gap is a bug report: it is reported as xfail while it fails, and fails once it passes, so that its
    marker goes with the bug."""
    if case.get("known_gap"):
        if problems:
            pytest.xfail(f"known gap: {case['known_gap']}: {'; '.join(problems)}")
        pytest.fail(f"known gap {case['id']!r} passes now: remove its known_gap marker")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden(case):
    judge(case, check_case(case))


def test_golden_suite_has_the_required_coverage():
    kinds = [c["expect"].get("abstain", False) for c in CASES]
    assert len(CASES) >= 70
    assert sum(1 for c in CASES if c["id"].startswith("para-")) >= 20
    assert kinds.count(True) >= 14
    assert kinds.count("either") >= 2
    assert sum(1 for c in CASES if c.get("turns")) >= 8
