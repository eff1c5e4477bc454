"""Verify a generated answer against the record before anyone sees it as an answer.

The LLM's text is split into sentences ("claims"), each with the passage numbers it cited. Every claim is compared
with every sentence of the retrieved passages (the cited ones and the others):

- similarity: cosine of the embedder's vectors (the index's sentence vectors, the claim encoded now);
- coverage: the share of the claim's content terms (`qa.text.terms`, stemmed, stopwords out) that the sentence
  contains, each term weighted by its IDF over the record's sentences (`term_idf`), so that a name or
  a rare word the record never says ("murder" where the record says "manslaughter") costs more than a common one.

A claim is supported by a sentence when similarity >= MIN_SIMILARITY and coverage >= MIN_COVERAGE. It is kept,
cited by its best-supporting sentence (exact offsets; a sentence of a passage it cited wins a near tie), even when
the model put the wrong number on it; otherwise it is dropped and reported in `Answer.dropped`. Sentences of the
record that address an AI ("ignore previous instructions ...") never count as support, and a claim that is itself
such an instruction is dropped: the prompt asks the model to treat passages as data, and this is what holds when
it does not. Two more rules catch what similarity misses: a content word that occurs nowhere in the record (nor in
the question) counts twice in coverage, as it is likely new information ("acquitted" where the record says
"convicted"); and a claim negated where its sentence is not, or the reverse ("was not convicted"), is unsupported. An answer with no supported claim is an
abstention. What this cannot catch: a contradiction in the record's own words (no entailment model ships on PyPI).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .documents import split_sentences
from .generation import NO_ANSWER
from .index import CorpusIndex
from .schema import Passage
from .text import terms

# Thresholds, set on the seed record with the scripted cases of tests/test_generative.py and a dozen paraphrases
# and inventions (measured): close paraphrases of one record sentence scored similarity 0.67-0.87 and coverage 0.77-1.0;
# invented claims that reuse the record's names ("Baldwin was convicted of murder", "fined five million dollars")
# scored coverage 0.04-0.51, because their new facts are the rare terms; loose paraphrases that merge a sentence
# with an allegation made elsewhere ("prosecutors withheld evidence") scored ~0.55 and are dropped: strict on
# purpose, since a dropped sentence costs less than a false citation.
MIN_SIMILARITY = 0.55
MIN_COVERAGE = 0.6
UNKNOWN_WEIGHT = 2.0  # weight multiplier of a claim term that the record never uses
CITED_BONUS = 0.05  # how much a sentence of a passage the model cited is preferred, in (similarity + coverage)

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_ADDRESSES_AI = re.compile(
    r"\b(?:ignore|disregard|forget|override)\W+(?:\w+\W+){0,4}?(?:instructions?|rules|directions|prompts?|guidelines)"
    r"\b|\b(?:system prompt|prompt injection)\b|\b(?:ai|a\.i\.|assistants?|language models?|llms?|chatbots?)\b"
    r"[^.]{0,80}\b(?:must|should|always|never|ignore|instead|respond|reply|answer|say|tell|output|write)\b|"
    r"\b(?:you are now|new instructions?)\b", re.I)


_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+\s*")
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none|nothing|without|cannot)\b|n[’']t\b", re.I)


@lru_cache(maxsize=200_000)
def sentence_terms(text: str) -> tuple[str, ...]:
    return tuple(terms(text))


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


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def addresses_an_ai(text: str) -> bool:
    """True for text that instructs a model rather than states a fact (prompt injection, or its echo)."""
    return bool(_ADDRESSES_AI.search(text))


@dataclass(frozen=True)
class Claim:
    text: str  # the sentence without its [n] markers
    cited: tuple[int, ...]  # passage numbers it cited (1-based)


@dataclass(frozen=True)
class Support:
    claim: Claim
    sentence_id: int  # row in the index's sentence table
    similarity: float
    coverage: float
    retargeted: bool  # the supporting sentence is not in a passage the claim cited


@dataclass
class Verification:
    supported: list[Support]
    dropped: list[str]
    said_no_answer: bool  # the model answered with the no-answer phrase
    claims: list[Claim] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        return not self.supported


def split_claims(text: str) -> list[Claim]:
    """Sentences of the generated text with their cited numbers. A segment that is only markers ("[2]" after the
    full stop) belongs to the sentence before it."""
    text = " ".join(text.split())
    claims: list[Claim] = []
    for start, end in split_sentences(text, 0, len(text)):
        segment = text[start:end]
        lead = _LEADING_MARKERS.match(segment)
        if lead and claims:  # "... Baldwin. [2] The armorer ...": the [2] closes the sentence before
            numbers = tuple(int(n) for m in MARKER.finditer(lead.group(0)) for n in re.split(r"\s*[,;]\s*", m.group(1)))
            claims[-1] = Claim(claims[-1].text, claims[-1].cited + numbers)
            segment = segment[lead.end():]
        cited = tuple(int(n) for m in MARKER.finditer(segment) for n in re.split(r"\s*[,;]\s*", m.group(1)))
        bare = MARKER.sub("", segment)
        bare = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(bare.split())).strip()
        if not re.search(r"[^\W_]", bare):
            if claims and cited:
                claims[-1] = Claim(claims[-1].text, claims[-1].cited + cited)
            continue
        claims.append(Claim(bare, cited))
    return claims


def is_no_answer(text: str) -> bool:
    norm = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    return norm.startswith(" ".join(re.sub(r"[^\w\s]", " ", NO_ANSWER.lower()).split()))


def verify(text: str, passages: list[Passage], index: CorpusIndex, embedder, question: str = "") -> Verification:
    claims = split_claims(text)
    said_no = any(is_no_answer(c.text) for c in claims)
    claims = [c for c in claims if not is_no_answer(c.text)]
    # Evidence: each passage sentence once, with the passage numbers that contain it; AI-addressed text excluded.
    evidence: dict[int, set[int]] = {}
    for number, p in enumerate(passages, 1):
        for sid in p.chunk.sentence_ids:
            if not addresses_an_ai(index.sentences[sid].text):
                evidence.setdefault(sid, set()).add(number)
    if not claims:
        return Verification([], [], said_no, claims)
    dropped, supported = [], []
    sids = list(evidence)
    claim_terms = [set(terms(c.text)) for c in claims]
    idf, unknown = term_idf(index, sorted(set().union(*claim_terms)))
    unknown = unknown - set(terms(question))
    similarity = (embedder.encode([c.text for c in claims]) @ index.sentence_vectors[sids].T) if sids else None
    sentence_term_sets = [set(sentence_terms(index.sentences[sid].text)) for sid in sids]
    for i, claim in enumerate(claims):
        if addresses_an_ai(claim.text) or not claim_terms[i] or not sids:
            dropped.append(claim.text)
            continue
        weights = {t: idf[t] * (UNKNOWN_WEIGHT if t in unknown else 1.0) for t in claim_terms[i]}
        total = sum(weights.values()) or 1.0
        best, best_key = None, -np.inf
        for j, sid in enumerate(sids):
            sim = float(similarity[i, j])
            cov = sum(w for t, w in weights.items() if t in sentence_term_sets[j]) / total
            if sim < MIN_SIMILARITY or cov < MIN_COVERAGE:
                continue
            if negated(claim.text) != negated(index.sentences[sid].text):
                continue
            cited_here = bool(evidence[sid] & set(claim.cited))
            key = sim + cov + (CITED_BONUS if cited_here else 0.0)
            if key > best_key:
                best_key = key
                best = Support(claim, sid, round(sim, 4), round(cov, 4), not cited_here)
        if best is None:
            dropped.append(claim.text)
        else:
            supported.append(best)
    return Verification(supported, dropped, said_no, claims)
