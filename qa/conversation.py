"""Follow-ups: rewrite a question that leans on earlier turns ("What was she convicted of?") into one that
stands alone, before retrieval. Rules, not a model: a personal pronoun becomes the person the previous answer
named (or, across several pronoun turns, the person the conversation is still about); a fragment ("And the judge?") borrows the previous question's question word; any other dangling
reference ("it", "there", or "the family" when the previous answer spoke of a family) carries the previous question
along as context for retrieval and the reader."""

from __future__ import annotations

import re

from .questions import analyse_question, short_answer_span, typed_spans
from .schema import Answer
from .text import terms

_PERSON_PRONOUN = re.compile(r"\b(she|he|her|him|his|hers|they|them|their)\b", re.I)
_OTHER_REFERENCE = re.compile(r"\b(it|its|this|that|these|those|there|then|the same)\b", re.I)
_DEFINITE = re.compile(r"\bthe\s+([^\W\d_][\w’'-]*)", re.I)
_FRAGMENT_LEAD = re.compile(r"^\s*(and|what about|how about|and what about|also)\b[\s,]*", re.I)
_WH_HEAD = re.compile(r"^\s*((?:who|whom|whose|what|when|where|why|how|which)(?:\s+\w+)?)\b", re.I)


def _turn(turn) -> tuple[str, str, str | None]:
    if isinstance(turn, Answer):
        return turn.question, turn.text, turn.short_answer
    question, answer = turn
    return str(question), str(answer), None


def person_in_focus(history: list, max_turns: int = 4) -> str | None:
    """The person the conversation is about: the answer to the latest "who" question, provided every turn
    since then referred back to them with a pronoun ("Who is the prosecutor?" / "What did she withdraw?" /
    "What did she say?"). None once a turn has moved on to something else."""
    for turn in reversed(history[-max_turns:]):
        q, text, short = _turn(turn)
        info = analyse_question(q)
        if info.answer_type == "PERSON":
            # the reader's short answer may name several people ("Robert Warren (1), Viki Warren (2), appointing
            # Theron Mullinax"): the one meant is the name nearest the question's words
            if short is None or len(typed_spans("PERSON", short, info)) > 1:
                source = text if short is None else short
                span = short_answer_span(info, source)
                short = source[span[0]:span[1]] if span else short
            return short
        if not _PERSON_PRONOUN.search(q):
            return None
    return None


def _names_what_was_said(question: str, turn) -> bool:
    """Whether a definite noun of the question ("the family") is one the previous answer used: "What is the family
    continuing?" after an answer about Hutchins' family is about that family, and too short to be found alone."""
    if isinstance(turn, Answer) and turn.abstained:
        return False
    said = set(terms(_turn(turn)[1]))
    return any(set(terms(m.group(1))) & said for m in _DEFINITE.finditer(question))


def resolve_followup(question: str, history: list | None) -> str:
    """The question as it would be asked without the conversation; unchanged when it already stands alone."""
    if not history:
        return question
    prev_q, _, _ = _turn(history[-1])
    person = person_in_focus(history)
    info = analyse_question(question)

    if person and _PERSON_PRONOUN.search(question):
        def substitute(m: re.Match) -> str:
            word = m.group(1).lower()
            rest = question[m.end():]
            possessive = word in ("his", "their", "hers") or (
                word == "her" and re.match(r"\s+[a-z]", rest) is not None and not re.match(
                    r"\s+(to|for|from|with|by|about|in|of|on|at|and|or)\b", rest))
            return f"{person}'s" if possessive else person
        return _PERSON_PRONOUN.sub(substitute, question, count=1)

    no_wh = info.wh == "other"
    if no_wh and len(question.split()) <= 6:
        fragment = _FRAGMENT_LEAD.sub("", question).strip().rstrip("?").strip()
        head = _WH_HEAD.match(prev_q)
        if head and fragment:
            return f"{head.group(1)} {fragment}?"

    if (_PERSON_PRONOUN.search(question) or _OTHER_REFERENCE.search(question) or _FRAGMENT_LEAD.match(question)
            or _names_what_was_said(question, history[-1])):
        # Keep the previous question's subject in view for retrieval.
        return f"{question} ({prev_q.strip().rstrip('?')})"
    return question
