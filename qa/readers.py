"""Every answerer behind one call (`QA_READER=sentence|extractive|generative`): `answer_events(query, stream)`
yields `Delta`s (generated text, generative only, when streaming) and then the final `Answer`. The engine
retrieves; this module reads, verifies and cites. Each stage lives in its own module: `qa.reading` (the
embedded, trained sentence reader), `qa.extractive`, `qa.generation`, `qa.verification`, `qa.citing`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .citing import abstention_text, cite, cite_claims, with_marker
from .errors import QAError
from .extractive import DEFAULT_THRESHOLD, cite_span, get_reader
from .generation import build_messages, get_generator
from .index import CorpusIndex
from .questions import (PREFERRED_WITHIN, QuestionInfo, asked_caption_date, asked_fact, asks_about_filing,
                        asks_for_authority, presumes_conviction, states_fact)
from .reader_model import get_reader_model
from .reading import (cleared_sentences, filing_entries, keep_sentences, keep_stating,
                      read_sentences, role_sentences, select_answer_sentences, short_span, stating_sentences)
from .schema import Answer, Delta, Passage
from .settings import BUNDLED_EMBEDDER, Settings
from .structure import DISPOSITION
from .verification import verify


@dataclass
class Query:
    """What the engine hands a reader: the question after retrieval."""

    question: str
    resolved: str
    info: QuestionInfo
    passages: list[Passage]
    index: CorpusIndex
    settings: Settings
    embedder: object
    timings: dict
    started: float
    query_vector: object = None


def answer_events(q: Query, stream: bool = False) -> Iterator[Delta | Answer]:
    if q.settings.reader == "sentence":
        yield sentence_answer(q)
    elif q.settings.reader == "extractive":
        yield extractive_answer(q)
    elif q.settings.reader == "generative":
        yield from generative_events(q, stream)
    else:
        raise QAError(f"Unknown reader '{q.settings.reader}'.")


def _answer(q: Query, **fields) -> Answer:
    q.timings["total"] = (time.perf_counter() - q.started) * 1000.0
    return Answer(question=q.question, passages=q.passages, timings=q.timings, reader=q.settings.reader,
                  resolved_question=q.resolved if q.resolved != q.question else None, **fields)


def sentence_answer(q: Query) -> Answer:
    """The embedded reader: verbatim sentences of the record chosen by the trained cross-encoder, the short answer
    marked; abstains when the best sentence's probability of answering is below the calibrated threshold."""
    t = time.perf_counter()
    model = get_reader_model(precision=q.settings.reader_precision)
    # The cosine weight and the off-topic floor were calibrated on the bundled MiniLM's cosines (card.json); another
    # embedding model's are on another scale, so with one the reader's own score decides.
    bundled = q.settings.embedding_model == BUNDLED_EMBEDDER
    fact = asked_fact(q.info)
    # A docket records a filing in an entry that opens with its name; other entries only mention it.
    filings = filing_entries(q.resolved, q.passages, q.index) if asks_about_filing(q.info) else []
    # "Why was Baldwin sentenced?" of a record saying his charges were dropped: that sentence answers.
    cleared = cleared_sentences(q.info.proper, q.passages, q.index) if presumes_conviction(q.info) else []
    # "When was the case argued?" of an opinion: its caption's date line, or nothing ("Roa-Medina argues ..." 0.55).
    role = asked_caption_date(q.info)
    dated = role_sentences(role, q.passages, q.index) if role else None
    # A bare citation ("See Maryland v. Dyson, 527 U.S. 465 (1999).") answers only a question about authority.
    reading = read_sentences(q.resolved, q.passages, q.index, q.query_vector, model, q.settings.reader_candidates,
                             model.rank_cosine_weight if bundled else 0.0, q.settings.reader_second_look,
                             [*(dated or []), *always_read(q, fact, filings, cleared)],
                             citations=asks_for_authority(q.info))
    if dated is not None:  # required: an opinion that prints no such line does not say
        reading = keep_sentences(reading, set(dated).__contains__)
    if cleared:  # before any stated fact: "How long was Baldwin sentenced to?" asks for a term he never got
        reading = keep_sentences(reading, set(cleared).__contains__, preferred=True)
    elif filings:
        reading = keep_sentences(reading, set(filings).__contains__, preferred=True)
    if fact and not (reading.sentence_ids and reading.sentence_ids[0] in cleared):
        # "How old is she?" is answered only by a sentence that gives an age
        reading = keep_stating(reading, fact, q.index)
        if fact in PREFERRED_WITHIN:  # "sentenced him to 15 years" before "punishable by ten years"
            reading = keep_stating(reading, PREFERRED_WITHIN[fact], q.index)
    # "What did the court do with the appeal?" asks for the court's decision, and "We affirm." is it, in words the
    # reader does not tie to the question (answerability 0.02-0.09 on the golden cases): the kind decides. So does
    # the entry recording the filing asked about (it gives the date and who filed it), and the sentence saying that
    # the person whose conviction the question takes as given was cleared (the premise is false).
    best = reading.sentence_ids[0] if reading.sentence_ids else None
    decided = best is not None and (
        best in filings or best in cleared or best in (dated or ())
        or (fact == "OUTCOME" and states_fact(fact, q.index.sentences[best].text))
        or (fact == "TERM" and sentence_of_the_party(q, best)))
    calibrated = q.settings.abstain_threshold is None  # an explicit threshold replaces all of the calibration
    threshold = model.threshold if calibrated else q.settings.abstain_threshold
    # Off-topic: no sentence of the record comes near the question (below what 99.5% of answerable training
    # questions reach) and the reader is unsure; the reader alone answered 9% of off-topic questions. A confident
    # reader wins: a short follow-up ("What is the family continuing?") is far from every sentence, yet answered.
    off_topic = (calibrated and bundled and reading.similarity < model.similarity_floor
                 and reading.answerability < model.off_topic_sure)
    abstained = not reading.sentence_ids or (not decided and (off_topic or reading.answerability < threshold))
    q.timings["read"] = (time.perf_counter() - t) * 1000.0
    if abstained:
        return _answer(q, text=abstention_text(q.passages), abstained=True, citations=[],
                       answerability=reading.answerability)
    t = time.perf_counter()
    chosen = select_answer_sentences(q.info, reading, q.index, q.settings.max_answer_sentences)
    # The short answer comes from the best sentence only: a second sentence supports, it does not answer.
    span = short_span(q.index.sentences[best].text, reading.spans.get(best))
    scores = dict(zip(reading.sentence_ids, reading.probabilities))
    text, citations, short = cite(chosen, q.index, scores, {best: span} if span else {})
    q.timings["cite"] = (time.perf_counter() - t) * 1000.0
    return _answer(q, text=text, abstained=False, citations=citations, answerability=reading.answerability,
                   short_answer=short)


def always_read(q: Query, fact: str | None, filings: list[int], cleared: list[int]) -> list[int]:
    """The sentences read whatever the shortlist thinks of them, since the answer is of a kind the question's words do
    not find: the court's decision ("Affirmed." shares no word with "Was the conviction upheld?"), the entry
    recording a filing (one of a hundred dated entries), the sentence stating a charge ("indicted on one count of"
    loses to "had earlier been charged"), a penalty or a statute, and the one saying the person asked about was
    cleared. At most `reader_candidates` of each kind, the nearest to the question."""
    n = q.settings.reader_candidates
    if fact == "OUTCOME":
        kinds = role_sentences(DISPOSITION, q.passages, q.index) or []  # "We affirm."
    elif fact == "CHARGE":
        kinds = nearest(stating_sentences(fact, q.passages, q.index), q, n)
    elif fact in PREFERRED_WITHIN:  # the best kind (a penalty imposed) and the kind at all (a docket's "60 Mos.")
        half = max(1, n // 2)
        kinds = (nearest(stating_sentences(PREFERRED_WITHIN[fact], q.passages, q.index), q, half)
                 + nearest(stating_sentences(fact, q.passages, q.index), q, half))
    else:
        kinds = nearest(filings, q, n)
    return list(dict.fromkeys([*nearest(cleared, q, n), *kinds]))


def sentence_of_the_party(q: Query, sentence_id: int) -> bool:
    """Whether the sentence states the penalty imposed in a court paper whose case name names everyone the question
    names ("What sentence did Weekes receive?" of "United States v. Weekes"): the penalty that paper imposes is
    theirs. The reader gives such sentences 0.004-0.07 ("The district court sentenced him to 15 years'
    imprisonment"), as if legal prose answered nothing."""
    sentence = q.index.sentences[sentence_id]
    title = q.index.documents[sentence.doc_id].title.lower()
    return (bool(q.info.proper) and " v. " in title and all(name in title for name in q.info.proper)
            and states_fact("IMPOSED", sentence.text))


def nearest(sentence_ids: list[int], q: Query, limit: int) -> list[int]:
    """The `limit` sentences closest to the question: a long docket has a hundred ORDER entries."""
    if len(sentence_ids) <= limit:
        return sentence_ids
    similarity = q.index.sentence_vectors[sentence_ids] @ q.query_vector
    return [sentence_ids[i] for i in sorted(np.argsort(-similarity, kind="stable")[:limit])]


def extractive_answer(q: Query) -> Answer:
    if not q.settings.reader_model:
        raise QAError("QA_READER=extractive needs QA_READER_MODEL: a transformers question-answering model id in "
                      "your Hugging Face cache or a local folder (e.g. a SQuAD2 reader).")
    t = time.perf_counter()
    reading = get_reader(q.settings.reader_model).read(q.resolved, q.passages, q.index)
    threshold = DEFAULT_THRESHOLD if q.settings.abstain_threshold is None else q.settings.abstain_threshold
    abstained = reading.span is None or reading.answerability < threshold
    q.timings["read"] = (time.perf_counter() - t) * 1000.0
    if abstained:
        return _answer(q, text=abstention_text(q.passages), abstained=True, citations=[],
                       answerability=reading.answerability)
    citation = cite_span(reading.span, q.index)
    return _answer(q, text=with_marker(citation.span_text, 1), abstained=False, citations=[citation],
                   answerability=reading.answerability, short_answer=citation.span_text)


def generative_events(q: Query, stream: bool) -> Iterator[Delta | Answer]:
    s = q.settings
    if not q.passages:
        yield _answer(q, text=abstention_text(q.passages), abstained=True, citations=[], answerability=0.0)
        return
    generator = get_generator(s.llm_base_url, s.llm_model, s.llm_api_key, s.llm_timeout, s.llm_max_tokens)
    messages = build_messages(q.resolved, q.passages, q.index)
    t = time.perf_counter()
    if stream:
        pieces = []
        for piece in generator.stream(messages):
            pieces.append(piece)
            yield Delta(piece)
        raw = "".join(pieces)
    else:
        raw = generator.complete(messages)
    q.timings["generate"] = (time.perf_counter() - t) * 1000.0

    t = time.perf_counter()
    checked = verify(raw, q.passages, q.index, q.embedder, q.resolved)
    q.timings["verify"] = (time.perf_counter() - t) * 1000.0
    n_claims = len(checked.supported) + len(checked.dropped)
    answerability = len(checked.supported) / n_claims if n_claims else 0.0
    if checked.abstained:
        yield _answer(q, text=abstention_text(q.passages), abstained=True, citations=[], dropped=checked.dropped,
                      answerability=answerability)
        return
    t = time.perf_counter()
    text, citations, short = cite_claims(
        [(sup.claim.text, sup.sentence_id, sup.similarity) for sup in checked.supported], q.index, q.info)
    q.timings["cite"] = (time.perf_counter() - t) * 1000.0
    yield _answer(q, text=text, abstained=False, citations=citations, dropped=checked.dropped,
                  answerability=answerability, short_answer=short)
