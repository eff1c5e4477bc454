"""Cite: turn chosen sentences into answer text with [n] markers and `Citation`s at exact document offsets.

The answer shows each sentence's reading text (whitespace collapsed, page markers and footnotes left out); the
citation's quote is the exact slice of the original document, `document_text(doc_id)[start:end]`."""

from __future__ import annotations

from .questions import QuestionInfo, short_answer_span
from .index import CorpusIndex
from .schema import Citation


def with_marker(sentence: str, number: int) -> str:
    """'... to the defense.' -> '... to the defense [1].' ; other endings get the marker appended."""
    if sentence.endswith(".") and not sentence.endswith(".."):
        return f"{sentence[:-1]} [{number}]."
    return f"{sentence} [{number}]"


def cite(sentence_ids: list[int], index: CorpusIndex, scores: dict[int, float],
         spans: dict[int, tuple[int, int]]) -> tuple[str, list[Citation], str | None]:
    """Answer text, its citations (numbered in order of appearance) and the short answer, if any. `spans` gives
    the short answer of a sentence as offsets within it; the first cited one is the answer's `short_answer`."""
    citations, parts, short = [], [], None
    for number, sid in enumerate(sentence_ids, 1):
        s = index.sentences[sid]
        doc = index.documents[s.doc_id]
        span = spans.get(sid)
        span_fields = {}
        if span is not None:
            # the span is found in the reading text; its document offsets come through the sentence's anchors
            span_start, span_end = s.document_span(*span, doc.text) if span[1] > span[0] else (s.start + span[0],) * 2
            span_fields = {"span_start": span_start, "span_end": span_end, "span_text": s.text[span[0]:span[1]]}
            if short is None:
                short = span_fields["span_text"]
        citations.append(Citation(number=number, doc_id=s.doc_id, title=doc.title, start=s.start, end=s.end,
                                  quote=doc.text[s.start:s.end], paragraph=s.paragraph, page=s.page,
                                  page_end=s.page_end, text=s.text, section=doc.section_of(s.paragraph),
                                  score=round(float(scores.get(sid, 0.0)), 4), **span_fields))
        parts.append(with_marker(s.text, number))
    return " ".join(parts), citations, short


def cite_claims(claims: list[tuple[str, int, float]], index: CorpusIndex,
                question: QuestionInfo) -> tuple[str, list[Citation], str | None]:
    """Answer text from (claim text, supporting sentence id, score) in the claims' own words, each followed by the
    number of its sentence; citations numbered in order of first appearance, at the sentences' exact offsets."""
    order = list(dict.fromkeys(sid for _, sid, _ in claims))
    scores = {}
    for _, sid, score in claims:
        scores[sid] = max(score, scores.get(sid, score))
    spans = {sid: span for sid in order
             if (span := short_answer_span(question, index.sentences[sid].text)) is not None}
    _, citations, short = cite(order, index, scores, spans)
    number = {sid: n for n, sid in enumerate(order, 1)}
    text = " ".join(with_marker(claim, number[sid]) for claim, sid, _ in claims)
    return text, citations, short


def abstention_text(passages) -> str:
    text = "The record does not say."
    if passages:
        text += " The closest passages are listed as related reading; none of them answers the question."
    return text
