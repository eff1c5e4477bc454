"""Read/answer: pick the sentences of the retrieved passages that answer the question, and a short span in them.

No extractive or generative model ships its weights on PyPI, so the default reader scores every candidate
sentence with a logistic regression over interpretable features: dense similarity (sentence, neighbours,
passage), BM25, IDF-weighted term coverage, term bigrams, proper nouns of the question found, and whether the
sentence holds the kind of thing the question asks for (a person for "who", a date for "when", a number for
"how many" ...). A second logistic regression turns the best candidate's evidence into an answerability score
used for abstention. Both are fitted by `bench/train_scorer.py` on SQuAD articles held out from every reported
figure; the weights live in `scorer.json` beside this file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .index import CorpusIndex
from .retrieval import bm25_scores
from .schema import Passage
from .text import STOPWORDS, terms, words

SCORER_PATH = Path(__file__).with_name("scorer.json")

# ------------------------------------------------------------------------------------------- question analysis

_TYPE_PATTERNS = [
    ("DATE", r"^(when\b|what (year|date|day|month|century|decade|time|era|period)\b|which (year|date|day|month|century|decade)\b|"
             r"in (what|which) (year|month|century|decade)\b|how long ago\b|since when\b|by what year\b)"),
    ("NUMBER", r"^(how (many|much|long|old|far|large|big|tall|high|deep|wide|fast|heavy|often|frequently)\b|"
               r"what (percentage|percent|proportion|fraction|number|amount|population|size|length|temperature|speed|rate)\b|"
               r"at what (age|speed|rate|temperature)\b)"),
    ("PERSON", r"^(who|whom|whose)\b|^(what|which) (person|man|woman|people|scientist|king|queen|president|leader|"
               r"judge|lawyer|attorney|prosecutor|actor|author|writer|emperor|player|coach|company|organization|group)\b"),
    ("LOCATION", r"^(where\b|(what|which|in what|in which) (city|country|state|place|location|region|continent|county|"
                 r"town|river|island|area|province|nation|street|building|site)\b)"),
    ("REASON", r"^(why\b|what (caused|causes|led to|was the reason|is the reason|were the reasons|prompted)\b|how come\b|"
               r"for what reason\b)"),
]
_LEAD = re.compile(r"^(and|but|so|also|then|ok|okay|well|now|tell me|please|can you tell me|do you know)\b[\s,]*", re.I)
WH_WORDS = ("who", "whom", "whose", "when", "where", "why", "how", "which", "what")


@dataclass(frozen=True)
class QuestionInfo:
    text: str
    wh: str
    answer_type: str  # PERSON, DATE, NUMBER, LOCATION, REASON or OTHER
    terms: tuple[str, ...]
    words: frozenset[str]
    proper: tuple[str, ...]  # capitalised words after the first, lowercased: names the answer should mention


def analyse_question(question: str) -> QuestionInfo:
    text = " ".join(question.split())
    lowered = _LEAD.sub("", text.lower()).strip()
    # A question word inside the sentence ("The armorer was who?", "In 1066, who ...") still sets the type.
    clauses = [lowered] + [lowered[m.start():] for m in re.finditer(r"\b(" + "|".join(WH_WORDS) + r")\b", lowered)]
    answer_type = "OTHER"
    for clause in clauses:
        found = next((name for name, pattern in _TYPE_PATTERNS if re.search(pattern, clause)), None)
        if found:
            answer_type = found
            break
    wh = next((w for w in words(lowered) if w in WH_WORDS), "other")
    wh = "who" if wh in ("whom", "whose") else wh
    tokens = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)
    proper = tuple(dict.fromkeys(t.lower() for i, t in enumerate(tokens)
                                 if i > 0 and t[:1].isupper() and t.lower() not in STOPWORDS))
    return QuestionInfo(text, wh, answer_type, tuple(terms(text)), frozenset(words(text)), proper)


# ------------------------------------------------------------------------------------------- answer types

_MONTHS = ("january february march april may june july august september october november december "
           "jan feb mar apr jun jul aug sep sept oct nov dec").split()
_NUMBER_WORDS = set(("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                     "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                     "hundred thousand million billion trillion dozen dozens hundreds thousands millions billions "
                     "half quarter once twice").split())
_DATE_RE = re.compile(
    r"\b(?:(?:\d{1,2}\s+)?(?:" + "|".join(m.capitalize() for m in _MONTHS) + r")\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?)?"
    r"(?:,?\s+\d{3,4})?|\d{1,2}(?:st|nd|rd|th)\s+century|\d{3,4}s|(?:1[0-9]|20)\d{2}(?:\s*(?:AD|BC|BCE|CE))?|"
    r"\d+\s*(?:BC|BCE|AD|CE)|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first)\s+century)\b")
_NUMBER_RE = re.compile(
    r"(?:[$£€]\s?)?\b\d[\d,]*(?:\.\d+)?(?:\s?%|\s+(?:percent|per cent|million|billion|trillion|thousand|hundred))?"
    r"(?:[-\s](?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|miles?|km|kilometres?|kilometers?|metres?|"
    r"meters?|feet|ft|inches|pounds?|kg|tons?|tonnes?|people|times))?\b|\b(?:" + "|".join(sorted(_NUMBER_WORDS)) +
    r")(?:[-\s](?:" + "|".join(sorted(_NUMBER_WORDS)) + r"))*(?:[-\s](?:years?|months?|weeks?|days?|hours?|people))?\b",
    re.I)
_NAME_RE = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|von|van|da|del|la|and)\s+)?[A-Z][\w’'.-]*)*")
_REASON_RE = re.compile(r"\b(because|due to|since|as a result|owing to|so that|in order to|caused|led to|after|"
                        r"resulted|result of|for failing|for|thanks to|therefore|reason)\b", re.I)


def typed_spans(answer_type: str, text: str, question: QuestionInfo) -> list[tuple[int, int]]:
    """Spans in text of the kind the question asks for, leaving out what the question itself already says."""
    if answer_type == "DATE":
        spans = [m.span() for m in _DATE_RE.finditer(text)]
    elif answer_type == "NUMBER":
        spans = [m.span() for m in _NUMBER_RE.finditer(text)]
    elif answer_type in ("PERSON", "LOCATION"):
        spans = []
        for m in _NAME_RE.finditer(text):
            start, end = m.span()
            # Trim sentence-initial capitals that are just ordinary words ("The", "While").
            parts = m.group(0).split()
            while parts and (parts[0].lower() in STOPWORDS or parts[0].lower() in _MONTHS):
                start = text.index(parts[1], start + len(parts[0])) if len(parts) > 1 else end
                parts = parts[1:]
            # A lone capitalised opener ("However, ...") is a discourse word, not a name.
            if parts and not (start == 0 and len(parts) == 1 and text[end:end + 1] == ","):
                spans.append((start, end))
    elif answer_type == "REASON":
        spans = [(m.start(), len(text.rstrip(". "))) for m in _REASON_RE.finditer(text)][:1]
    else:
        return []
    kept = []
    for start, end in spans:
        span_words = [w for w in words(text[start:end]) if w not in STOPWORDS]
        if span_words and all(w in question.words for w in span_words):
            continue  # the question's own words are not its answer
        kept.append((start, end.__index__()))
    return kept


def short_answer_span(question: QuestionInfo, text: str) -> tuple[int, int] | None:
    """The typed span nearest to where the question's terms occur in the sentence."""
    if question.answer_type in ("OTHER", "REASON"):
        return None
    spans = typed_spans(question.answer_type, text, question)
    if not spans:
        return None
    anchors = [m.start() for m in re.finditer(r"[^\W_]+", text) if set(terms(m.group(0))) & set(question.terms)]
    if question.answer_type == "LOCATION":
        # Places follow their prepositions: prefer "in Ukraine" over a name elsewhere in the sentence.
        placed = [sp for sp in spans if re.search(r"\b(in|at|from|near|to|across)\s+(the\s+)?$", text[:sp[0]])]
        spans = placed or spans
    if not anchors:
        return spans[0]

    def distance(span):
        return min(min(abs(a - span[0]), abs(a - span[1])) for a in anchors)

    return min(spans, key=distance)


# ------------------------------------------------------------------------------------------- features

FEATURES = (
    "dense", "dense_gap", "dense_rank", "dense_neighbour", "dense_passage", "passage_rank",
    "bm25_rel", "bm25_log", "coverage", "coverage_gap", "coverage_context", "bigram", "proper_found",
    "numeric_type_present", "entity_type_present", "reason_type_present", "typed_missing",
    "novelty", "length_log", "paragraph_start", "dense_x_coverage",
    # Terms other than the question's names: the predicate ("opened", "cost") often sits in the answer sentence
    # while the name sits in the one before it.
    "coverage_plain", "coverage_plain_gap", "matched_idf_max", "number_match", "question_number",
    # Soft overlap through word-piece embeddings: paraphrases that share no stem.
    "word_align", "word_align_share", "word_align_gap",
    # The same through MiniLM's contextual word-piece vectors (stored per sentence at indexing): for each piece
    # of the question, its best match in the sentence (and with its neighbours, "ctx").
    "piece_align", "piece_align_content", "piece_align_content_ctx", "piece_align_content_min",
    "piece_share_08", "piece_share_06", "piece_align_gap", "piece_align_content_gap", "piece_align_content_ctx_gap",
)
_DIGITS = re.compile(r"\d[\d,.–-]*\d|\d")


@lru_cache(maxsize=200_000)
def sentence_terms(text: str) -> tuple[str, ...]:
    return tuple(terms(text))


@lru_cache(maxsize=200_000)
def _sentence_words(text: str) -> frozenset[str]:
    return frozenset(words(text))


def term_idf(index: CorpusIndex, query_terms) -> tuple[dict[str, float], frozenset[str]]:
    """IDF over the record's sentences, and the terms that no sentence of the record contains."""
    bm25 = index.sentence_bm25
    n = bm25.scores["num_docs"]
    indptr = bm25.scores["indptr"]
    idf, unknown = {}, set()
    for t in dict.fromkeys(query_terms):
        tid = bm25.vocab_dict.get(t)
        df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
        idf[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
        if df == 0:
            unknown.add(t)
    return idf, frozenset(unknown)


def is_headline(index: CorpusIndex, sentence_id: int) -> bool:
    s = index.sentences[sentence_id]
    return s.index == 0 and s.paragraph == 0 and s.text == index.documents[s.doc_id].title and (
        len(index.documents[s.doc_id].sentences) > 1)


@dataclass
class Candidates:
    sentence_ids: list[int]
    passage_rank: list[int]
    features: np.ndarray  # rows in sentence_ids order, columns in FEATURES order
    idf: dict[str, float]
    context_terms: frozenset[str]  # every term of the retrieved passages
    unknown: frozenset[str] = frozenset()  # question terms that occur nowhere in the record


def candidate_features(question: QuestionInfo, passages: list[Passage], index: CorpusIndex,
                       query_vector: np.ndarray, word_vectors: Callable[[str], np.ndarray],
                       question_pieces: tuple[np.ndarray, np.ndarray] | None = None) -> Candidates:
    """Features of every sentence of the retrieved passages. `word_vectors(text)` gives unit-length word-piece
    vectors of a text's content words (`Embedder.word_vectors`); `question_pieces` the question's contextual
    word-piece vectors and which of them are content words (`Embedder.query_tokens`)."""
    ids, rank_of, dense_passage = [], {}, {}
    for p in passages:
        for sid in p.chunk.sentence_ids:
            if is_headline(index, sid):
                continue  # a headline summarises; the sentences of the body are the evidence to cite
            if sid not in rank_of:
                ids.append(sid)
                rank_of[sid] = p.rank
                dense_passage[sid] = p.dense_score
            else:
                dense_passage[sid] = max(dense_passage[sid], p.dense_score)
    if not ids:
        return Candidates([], [], np.zeros((0, len(FEATURES)), dtype=np.float32), {}, frozenset())
    sentences = index.sentences
    dense = index.sentence_vectors[ids] @ query_vector
    neighbours = []
    for sid in ids:
        s = sentences[sid]
        nbs = [n for n in (sid - 1, sid + 1) if 0 <= n < len(sentences) and sentences[n].doc_id == s.doc_id
               and sentences[n].paragraph == s.paragraph]
        neighbours.append(nbs)
    flat_nb = sorted({n for nbs in neighbours for n in nbs})
    nb_dense = dict(zip(flat_nb, (index.sentence_vectors[flat_nb] @ query_vector).tolist())) if flat_nb else {}
    bm25 = bm25_scores(index.sentence_bm25, list(question.terms))[ids]
    idf, unknown = term_idf(index, question.terms)
    total_idf = sum(idf.values()) or 1.0
    q_bigrams = set(zip(question.terms, question.terms[1:]))
    proper_terms = set(terms(" ".join(question.proper)))
    plain_idf = {t: w for t, w in idf.items() if t not in proper_terms}
    total_plain = sum(plain_idf.values()) or 1.0
    q_numbers = set(_DIGITS.findall(question.text))
    q_vectors = word_vectors(question.text)

    piece_rows = _piece_alignment(ids, neighbours, index, question_pieces)
    rows = []
    covs = []
    context_terms: set[str] = set()
    for i, sid in enumerate(ids):
        s = sentences[sid]
        s_terms = sentence_terms(s.text)
        s_set = set(s_terms)
        context_terms |= s_set
        ctx = set(s_set)
        for n in neighbours[i]:
            ctx |= set(sentence_terms(sentences[n].text))
        cov = sum(w for t, w in idf.items() if t in s_set) / total_idf
        cov_ctx = sum(w for t, w in idf.items() if t in ctx) / total_idf
        covs.append(cov)
        bigram = (len(q_bigrams & set(zip(s_terms, s_terms[1:]))) / len(q_bigrams)) if q_bigrams else 0.0
        s_words = _sentence_words(s.text)
        ctx_words = set(s_words).union(*(_sentence_words(sentences[n].text) for n in neighbours[i]))
        proper = (sum(p in ctx_words for p in question.proper) / len(question.proper)) if question.proper else 1.0
        typed = bool(typed_spans(question.answer_type, s.text, question)) if question.answer_type != "OTHER" else False
        numeric = question.answer_type in ("DATE", "NUMBER")
        entity = question.answer_type in ("PERSON", "LOCATION")
        novelty = (sum(t not in idf for t in s_terms) / len(s_terms)) if s_terms else 0.0
        n_words = max(1, len(s.text.split()))
        first = sid == 0 or sentences[sid - 1].doc_id != s.doc_id or sentences[sid - 1].paragraph != s.paragraph
        s_vectors = word_vectors(s.text)
        if len(q_vectors) and len(s_vectors):
            aligned = (q_vectors @ s_vectors.T).max(axis=1)
            align, align_share = float(aligned.mean()), float((aligned > 0.5).mean())
        else:
            align = align_share = 0.0
        rows.append([
            dense[i], 0.0, 0.0, max((nb_dense[n] for n in neighbours[i]), default=dense[i]), dense_passage[sid],
            1.0 / (1 + rank_of[sid]), 0.0, math.log1p(bm25[i]), cov, 0.0, cov_ctx, bigram, proper,
            float(typed and numeric), float(typed and entity), float(typed and question.answer_type == "REASON"),
            float(question.answer_type != "OTHER" and not typed), novelty, math.log(n_words), float(first),
            dense[i] * cov,
            sum(w for t, w in plain_idf.items() if t in s_set) / total_plain, 0.0,
            max((w for t, w in idf.items() if t in s_set), default=0.0),
            float(bool(q_numbers & set(_DIGITS.findall(s.text)))), float(bool(q_numbers)),
            align, align_share, 0.0, *piece_rows[i], 0.0, 0.0, 0.0,
        ])
    x = np.asarray(rows, dtype=np.float32)
    col = {name: j for j, name in enumerate(FEATURES)}
    x[:, col["dense_gap"]] = x[:, col["dense"]] - x[:, col["dense"]].max()
    order = np.argsort(-x[:, col["dense"]], kind="stable")
    ranks = np.empty(len(ids))
    ranks[order] = np.arange(len(ids))
    x[:, col["dense_rank"]] = 1.0 / (1 + ranks)
    top_bm25 = float(bm25.max())
    x[:, col["bm25_rel"]] = bm25 / top_bm25 if top_bm25 > 0 else 0.0
    x[:, col["coverage_gap"]] = x[:, col["coverage"]] - max(covs)
    x[:, col["coverage_plain_gap"]] = x[:, col["coverage_plain"]] - x[:, col["coverage_plain"]].max()
    x[:, col["word_align_gap"]] = x[:, col["word_align"]] - x[:, col["word_align"]].max()
    for name in ("piece_align", "piece_align_content", "piece_align_content_ctx"):
        x[:, col[name + "_gap"]] = x[:, col[name]] - x[:, col[name]].max()
    return Candidates(ids, [rank_of[s] for s in ids], x, idf, frozenset(context_terms), unknown)


def _piece_alignment(ids: list[int], neighbours: list[list[int]], index: CorpusIndex,
                     question_pieces: tuple[np.ndarray, np.ndarray] | None) -> list[list[float]]:
    """Per candidate: mean best-match similarity of all question pieces, of its content pieces, of its content
    pieces against the sentence with its neighbours, the worst content piece's, and the shares of content
    pieces matched above 0.8 and 0.6."""
    if question_pieces is None or not len(question_pieces[0]):
        return [[0.0] * 6 for _ in ids]
    q, content = question_pieces
    if not content.any():
        content = np.ones(len(q), dtype=bool)
    best: dict[int, np.ndarray] = {}

    def best_match(sid: int) -> np.ndarray:
        if sid not in best:
            pieces = index.sentence_tokens(sid)
            best[sid] = (q @ np.asarray(pieces, dtype=np.float32).T).max(axis=1) if len(pieces) else np.zeros(len(q))
        return best[sid]

    rows = []
    for sid, nbs in zip(ids, neighbours):
        m = best_match(sid)
        m_ctx = np.max([m] + [best_match(n) for n in nbs], axis=0)
        c, c_ctx = m[content], m_ctx[content]
        rows.append([float(m.mean()), float(c.mean()), float(c_ctx.mean()), float(c.min()),
                     float((c > 0.8).mean()), float((c > 0.6).mean())])
    return rows


ANSWERABILITY_FEATURES = (
    "top_logit", "top_probability", "margin", "top_dense", "top_coverage", "top_coverage_context", "top_bigram",
    "top_proper_found", "typed_missing", "passage_dense", "terms_missing_known_to_record", "rarest_missing_idf",
    "question_terms", "terms_unknown_to_record",
)


def answerability_features(question: QuestionInfo, candidates: Candidates, logits: np.ndarray) -> np.ndarray:
    x = candidates.features
    col = {name: j for j, name in enumerate(FEATURES)}
    order = np.argsort(-logits)
    top = order[0]
    second = logits[order[1]] if len(order) > 1 else logits[top] - 5.0
    missing = [t for t in candidates.idf if t not in candidates.context_terms]
    total_idf = sum(candidates.idf.values()) or 1.0
    return np.array([
        logits[top], 1 / (1 + math.exp(-logits[top])), logits[top] - second, x[top, col["dense"]],
        x[top, col["coverage"]], x[top, col["coverage_context"]], x[top, col["bigram"]], x[top, col["proper_found"]],
        x[top, col["typed_missing"]], x[:, col["dense_passage"]].max(),
        sum(candidates.idf[t] for t in missing if t not in candidates.unknown) / total_idf, max((candidates.idf[t] for t in missing), default=0.0),
        math.log1p(len(candidates.idf)),
        sum(candidates.idf[t] for t in candidates.unknown) / total_idf,
    ], dtype=np.float32)


# ------------------------------------------------------------------------------------------- the fitted scorer

@dataclass(frozen=True)
class LinearModel:
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    @classmethod
    def from_dict(cls, d: dict, expected: tuple[str, ...]) -> "LinearModel":
        if tuple(d["features"]) != expected:
            raise ValueError(f"scorer features {d['features']} do not match the code's {list(expected)}; "
                             "re-run bench/train_scorer.py")
        return cls(expected, np.asarray(d["mean"], np.float32), np.asarray(d["scale"], np.float32),
                   np.asarray(d["weights"], np.float32), float(d["bias"]))

    def to_dict(self) -> dict:
        return {"features": list(self.names), "mean": self.mean.tolist(), "scale": self.scale.tolist(),
                "weights": self.weights.tolist(), "bias": self.bias}


@dataclass(frozen=True)
class Scorer:
    sentence: LinearModel
    answerable: LinearModel
    threshold: float  # abstain when answerability is below this

    @classmethod
    def load(cls, path: Path = SCORER_PATH) -> "Scorer":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(LinearModel.from_dict(d["sentence"], FEATURES),
                   LinearModel.from_dict(d["answerable"], ANSWERABILITY_FEATURES), float(d["threshold"]))

    def save(self, path: Path, extra: dict | None = None) -> None:
        d = {"sentence": self.sentence.to_dict(), "answerable": self.answerable.to_dict(), "threshold": self.threshold}
        d.update(extra or {})
        Path(path).write_text(json.dumps(d, indent=1), encoding="utf-8")


@lru_cache(maxsize=4)
def default_scorer(path: str = str(SCORER_PATH)) -> Scorer:
    return Scorer.load(Path(path))


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@dataclass
class Reading:
    """What the reader concluded: ranked sentences and how likely it is that the record answers."""

    sentence_ids: list[int]  # best first
    probabilities: list[float]
    answerability: float
    candidates: Candidates
    unmentioned: tuple[str, ...] = ()  # set when the record never uses any of the question's words but names


# Verbs that carry no topic, several irregular ("say"/"said" share no stem): "What did Morrissey say about
# Hutchins?" is about Morrissey and Hutchins, whether or not the record uses "say".
_GENERIC_VERBS = frozenset("""say says saying said tell tells telling told think thinks thought mean means meant
make makes made go goes went gone give gives gave given come comes came know knows knew known feel felt
""".split())


def unmentioned_words(question: QuestionInfo, unknown_terms: frozenset[str]) -> tuple[str, ...]:
    """The question's words other than names and stopwords, when not one of them occurs anywhere in the record
    ("Who directed Rust?" of a record that never says "direct"): it asks about something the record does not
    mention, however well a sentence about the same names scores. On held-out SQuAD v1.1 articles this fires
    for 1% of (answerable) questions, about as many that were answered wrongly as right; on the seed record it
    is what keeps "who directed" and "how much in damages" from being answered with a sentence about Baldwin."""
    plain = [w for w in words(question.text) if w not in STOPWORDS and w not in question.proper
             and w not in WH_WORDS and w not in _GENERIC_VERBS]
    plain_terms = [t for w in plain for t in terms(w)]
    if plain_terms and all(t in unknown_terms for t in plain_terms):
        return tuple(dict.fromkeys(plain))
    return ()


def read(question: QuestionInfo, passages: list[Passage], index: CorpusIndex, query_vector: np.ndarray,
         scorer: Scorer, word_vectors: Callable[[str], np.ndarray],
         question_pieces: tuple[np.ndarray, np.ndarray] | None = None) -> Reading:
    candidates = candidate_features(question, passages, index, query_vector, word_vectors, question_pieces)
    if not candidates.sentence_ids:
        return Reading([], [], 0.0, candidates, unmentioned_words(question, term_idf(index, question.terms)[1]))
    logits = scorer.sentence.logits(candidates.features)
    order = np.argsort(-logits, kind="stable")
    probabilities = sigmoid(logits[order])
    unmentioned = unmentioned_words(question, candidates.unknown)
    # A question about something the record never mentions has answerability 0, whatever the sentences score.
    a = answerability_features(question, candidates, logits)
    answerability = 0.0 if unmentioned else float(sigmoid(scorer.answerable.logits(a[None, :]))[0])
    return Reading([candidates.sentence_ids[i] for i in order], probabilities.tolist(), answerability, candidates,
                   unmentioned)


def select_answer_sentences(question: QuestionInfo, reading: Reading, index: CorpusIndex,
                            max_sentences: int = 2) -> list[int]:
    """The best sentence, plus a next-best one only when it adds support: close in score, or, for why/how
    questions, the neighbouring sentence that carries on the explanation. Returned in reading order."""
    if not reading.sentence_ids:
        return []
    chosen = [reading.sentence_ids[0]]
    top_p = reading.probabilities[0]
    top = index.sentences[chosen[0]]
    top_vec = index.sentence_vectors[chosen[0]]
    for sid, p in zip(reading.sentence_ids[1:], reading.probabilities[1:]):
        if len(chosen) >= max_sentences:
            break
        s = index.sentences[sid]
        adjacent = s.doc_id == top.doc_id and s.paragraph == top.paragraph and abs(s.index - top.index) == 1
        redundant = float(index.sentence_vectors[sid] @ top_vec) > 0.9
        explanatory = question.wh in ("why", "how") and question.answer_type != "NUMBER"
        if not redundant and (p >= 0.85 * top_p or (explanatory and adjacent and p >= 0.5 * top_p)):
            chosen.append(sid)
    return chosen
