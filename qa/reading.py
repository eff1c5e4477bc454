"""Read: the candidate sentences of the retrieved passages -> a cheap shortlist -> the trained cross-encoder ->
sentences ranked by the probability that they answer, a short answer span in each, and the question's
answerability (the best candidate's probability)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .docket import named_filing
from .index import CorpusIndex
from .questions import PREFERRED_FACTS, QuestionInfo, states_cleared, states_fact
from .reader_model import ReaderOutput
from .retrieval import bm25_scores, shortlist
from .schema import Document, Passage
from .structure import is_citation
from .text import first_distinct, terms


def sentence_context(doc: Document, i: int) -> str:
    """What the reader sees before a candidate sentence, to resolve "he" or "the decision": the sentence before
    it in its paragraph, or, for a paragraph's first sentence, the document's title. A line of an opinion's caption
    is read after what it is ("The author of the opinion, the judge who wrote it:"): "SOUTER, Associate Justice." then
    answers "Who wrote the opinion?", and "July 9, 2010" no longer answers "When was he arrested?"."""
    if i in doc.roles:
        return doc.roles[i]
    position = context_position(doc, i)
    if position >= 0:
        return doc.sentences[position].text
    return "" if doc.sentences[i].text == doc.title else doc.title  # a title that is not one of the sentences


def context_position(doc: Document, i: int) -> int:
    """The position of the sentence `sentence_context` reads before sentence i, when that context is a sentence of
    the document (the one before it, or the headline); -1 when it is not (a role line's, or none)."""
    if i in doc.roles:
        return -1
    s = doc.sentences[i]
    if i > 0 and doc.sentences[i - 1].paragraph == s.paragraph:
        return i - 1
    if i > 0 and s.text != doc.title and doc.sentences[0].text == doc.title:
        return 0
    return -1


def record_contexts(index: CorpusIndex, sentence_ids: list[int]) -> list[int]:
    """`context_position` as record positions: a document's sentences are consecutive in the index."""
    out = []
    for sid in sentence_ids:
        s = index.sentences[sid]
        position = context_position(index.documents[s.doc_id], s.index)
        out.append(sid - s.index + position if position >= 0 else -1)
    return out


def is_headline(index: CorpusIndex, sentence_id: int) -> bool:
    s = index.sentences[sentence_id]
    doc = index.documents[s.doc_id]
    return s.index == 0 and s.paragraph == 0 and s.text == doc.title and len(doc.sentences) > 1


def candidate_sentences(passages: list[Passage], index: CorpusIndex, citations: bool = True) -> list[int]:
    """Every sentence of the retrieved passages once, in passage order, and each wording once (a sentence that
    an erratum or another filing repeats is read once); a headline summarises, so the sentences of the body are
    the evidence to cite. Without `citations`, a sentence that is only a citation ("See Maryland v. Dyson, 527 U.S.
    465 (1999).", `qa.structure.is_citation`) is left out, unless it is a caption line."""
    ids = dict.fromkeys(sid for p in passages for sid in p.chunk.sentence_ids if not is_headline(index, sid)
                        and (citations or not is_bare_citation(index, sid)))
    return first_distinct(ids, lambda sid: index.sentences[sid].text)


def is_bare_citation(index: CorpusIndex, sentence_id: int) -> bool:
    s = index.sentences[sentence_id]
    return s.index not in index.documents[s.doc_id].roles and is_citation(s.text)


@dataclass
class Reading:
    sentence_ids: list[int]  # the sentences the cross-encoder scored, best first (reader logit + weighted cosine)
    probabilities: list[float]  # that each answers the question (the reader's; not necessarily descending)
    # That the record answers the question, were each sentence its best (the reader's answerability head).
    answerabilities: list[float]
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # short answer, offsets within the sentence
    candidates: int = 0  # sentences in the retrieved passages, before the shortlist
    # The question's best cosine similarity to a sentence of the passages: how close the record comes to the topic.
    similarity: float = 0.0

    @property
    def answerability(self) -> float:
        """How likely it is that the record answers at all: the head's, for the best sentence."""
        return self.answerabilities[0] if self.answerabilities else 0.0


def role_sentences(role: str, passages: list[Passage], index: CorpusIndex) -> list[int] | None:
    """The caption lines with this role (`qa.structure.caption_roles`) in the documents the passages come from; None
    when none of those documents is a court paper with a caption (a news story dates nothing so)."""
    starts = document_starts(passages, index)
    documents = [index.documents[index.sentences[first].doc_id] for first in starts]
    if not any(doc.roles for doc in documents):
        return None
    return [first + i for first, doc in zip(starts, documents) for i, r in sorted(doc.roles.items()) if r == role]


def stating_sentences(fact: str, passages: list[Passage], index: CorpusIndex) -> list[int]:
    """The sentences that state the asked-for fact (`states_fact`) in the documents the passages come from."""
    return document_sentences(passages, index, lambda text: states_fact(fact, text))


def cleared_sentences(names: tuple[str, ...], passages: list[Passage], index: CorpusIndex) -> list[int]:
    """The sentences saying one of these people was cleared (`states_cleared`) in the documents the passages come
    from."""
    return document_sentences(passages, index, lambda text: states_cleared(text, names))


def document_sentences(passages: list[Passage], index: CorpusIndex, accept) -> list[int]:
    """The record positions of the sentences whose text `accept`s, in the documents the passages come from."""
    return [first + s.index for first in document_starts(passages, index)
            for s in index.documents[index.sentences[first].doc_id].sentences if accept(s.text)]


def document_starts(passages: list[Passage], index: CorpusIndex) -> list[int]:
    """The record position of the first sentence of each document the passages come from: a document's sentences
    are consecutive in the index."""
    return list(dict.fromkeys(sid - index.sentences[sid].index for p in passages for sid in p.chunk.sentence_ids[:1]))


def filing_entries(question: str, passages: list[Passage], index: CorpusIndex) -> list[int]:
    """The docket entries, in the documents the passages come from, that record the filing the question names
    ("When was the judgment entered?": the "JUDGMENT as to ..." entries, `qa.docket.named_filing`), the kind named
    in most words first ("notice of appeal" over "notice") and named whole before named without its modifiers
    ("amended judgment" for "the judgment" only when there is no plain one). Empty when it names none."""
    named = {sid: named_filing(question, index.sentences[sid].text)
             for sid in document_sentences(passages, index, lambda text: True)}
    scored = {sid: n for sid, n in named.items() if n is not None}
    if not scored:
        return []
    best = max(scored.values())
    return [sid for sid, named in scored.items() if named == best]


def read_sentences(question: str, passages: list[Passage], index: CorpusIndex, query_vector: np.ndarray,
                   model, n_candidates: int, cosine_weight: float = 0.0, second_look: float = 0.0,
                   always_read: list[int] = (), citations: bool = True) -> Reading:
    """Score the best `n_candidates` sentences of the passages (`shortlist`: dense similarity and BM25, of each
    sentence alone and in its context) with the cross-encoder in one batched forward pass, and rank them by its
    logit + `cosine_weight` x the question's cosine similarity to the sentence. When none of them answers with
    probability `second_look` or more, the next `n_candidates` of the shortlist are read too, in a second pass: a
    question in other words than the record's is the one whose answer the cheap shortlist ranks low. The
    sentences `always_read` are read in the first pass whatever the shortlist thinks of them; bare citations only
    with `citations`."""
    ids = candidate_sentences(passages, index, citations)
    if always_read:  # first, so that a decision an opinion saved twice repeats is read once, as the copy asked for
        ids = first_distinct([*always_read, *ids], lambda sid: index.sentences[sid].text)
    if not ids:
        return Reading([], [], [])
    dense = index.sentence_vectors[ids] @ query_vector
    lexical = bm25_scores(index.sentence_bm25, terms(question))
    picked = shortlist(query_vector, index.sentence_vectors, lexical, ids, record_contexts(index, ids),
                       2 * n_candidates if second_look > 0 else n_candidates)
    picked, more = picked[:n_candidates], picked[n_candidates:]
    forced = [i for i, sid in enumerate(ids) if sid in always_read and i not in picked]
    picked, more = picked + forced, [i for i in more if i not in forced]
    out = read_candidates(question, [ids[i] for i in picked], index, model)
    if more and sigmoid(out.scores).max() < second_look:
        extra = read_candidates(question, [ids[i] for i in more], index, model)
        out = ReaderOutput(np.concatenate([out.scores, extra.scores]), out.spans + extra.spans,
                           np.concatenate([out.answerability, extra.answerability]))
        picked += more
    chosen = [ids[i] for i in picked]
    probabilities = sigmoid(out.scores)
    # The bi-encoder's cosine joins the order, not the probabilities: answerability stays the reader's own.
    order = np.argsort(-(out.scores + cosine_weight * dense[picked]), kind="stable")
    spans = {sid: span for sid, span in zip(chosen, out.spans) if span is not None}
    return Reading([chosen[i] for i in order], probabilities[order].tolist(), out.answerability[order].tolist(),
                   spans, len(ids), float(dense.max()))


def keep_stating(reading: Reading, fact: str, index: CorpusIndex) -> Reading:
    """The reading with only the sentences that state the asked-for fact (`qa.questions.asked_fact`), in the same
    order; its answerability is the head's for the first of them, 0 when none states one. A preferred fact
    (`PREFERRED_FACTS`) that no sentence states leaves the reading as it was."""
    return keep_sentences(reading, lambda sid: states_fact(fact, index.sentences[sid].text), fact in PREFERRED_FACTS)


def keep_sentences(reading: Reading, wanted, preferred: bool = False) -> Reading:
    """The reading with only the sentences `wanted(sentence_id)` accepts, in the same order; when `preferred` and it
    accepts none, the reading as it was."""
    kept = [k for k, sid in enumerate(reading.sentence_ids) if wanted(sid)]
    if not kept and preferred:
        return reading
    ids = [reading.sentence_ids[k] for k in kept]
    return Reading(ids, [reading.probabilities[k] for k in kept], [reading.answerabilities[k] for k in kept],
                   {sid: reading.spans[sid] for sid in ids if sid in reading.spans}, reading.candidates,
                   reading.similarity)


def select_answer_sentences(question: QuestionInfo, reading: Reading, index: CorpusIndex,
                            max_sentences: int = 2) -> list[int]:
    """The best sentence (with the lines that share its role, `role_lines`), plus a next-best one only when it adds
    support: close in probability, or, for why/how questions, the neighbouring sentence that carries on the
    explanation. Returned in reading order."""
    if not reading.sentence_ids:
        return []
    best = reading.sentence_ids[0]
    chosen = role_lines(index, best)
    top_p = reading.probabilities[0]
    top = index.sentences[best]
    top_vec = index.sentence_vectors[best]
    for sid, p in zip(reading.sentence_ids[1:], reading.probabilities[1:]):
        if len(chosen) >= max_sentences:
            break
        if sid in chosen:
            continue
        s = index.sentences[sid]
        adjacent = s.doc_id == top.doc_id and s.paragraph == top.paragraph and abs(s.index - top.index) == 1
        redundant = float(index.sentence_vectors[sid] @ top_vec) > 0.9
        explanatory = question.wh in ("why", "how") and question.answer_type != "NUMBER"
        if not redundant and (p >= 0.85 * top_p or (explanatory and adjacent and p >= 0.5 * top_p)):
            chosen.append(sid)
    return sorted(chosen)


def role_lines(index: CorpusIndex, sentence_id: int, limit: int = 4) -> list[int]:
    """The sentence with the lines around it that carry the same role (`Document.roles`): a caption prints the panel
    ("Breyer, Chief Judge," / "Bownes, Senior Circuit Judge," / "and Selya, Circuit Judge.") or the court ("United
    States Court of Appeals" / "For the First Circuit") over several lines, and one line is part of the answer."""
    s = index.sentences[sentence_id]
    roles = index.documents[s.doc_id].roles
    role = roles.get(s.index)
    if role is None:
        return [sentence_id]
    lines = [sentence_id]
    for step in (-1, 1):
        j = sentence_id + step
        while len(lines) < limit and 0 <= j < len(index.sentences) and index.sentences[j].doc_id == s.doc_id \
                and roles.get(index.sentences[j].index) == role:
            lines.append(j)
            j += step
    return sorted(lines)


def short_span(sentence: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """The model's span, trimmed of punctuation, when it is shorter than the sentence (else nothing to mark)."""
    if span is None:
        return None
    start, end = span
    text = sentence[start:end]
    start += len(text) - len(text.lstrip(" ,;:"))
    end -= len(text) - len(text.rstrip(" ,;:."))
    if end <= start or (end - start) > 0.8 * len(sentence.strip()):
        return None
    return start, end


def read_candidates(question: str, sentence_ids: list[int], index: CorpusIndex, model):
    """One forward pass of the cross-encoder over these sentences, each with its context."""
    sentences = [index.sentences[sid] for sid in sentence_ids]
    contexts = [sentence_context(index.documents[s.doc_id], s.index) for s in sentences]
    return model.read(question, [s.text for s in sentences], contexts)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
