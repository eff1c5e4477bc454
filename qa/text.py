"""Word-level text handling shared by BM25, the reader's shortlist and answer verification: one tokeniser, so that
what BM25 matched and what verification counts as overlap are the same terms. Stemming is Snowball (PyStemmer)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can could did didn't do does doesn't doing don't down during each few for from further had
has have having he he'd he'll he's her here hers herself him himself his how i i'd i'm if in into is isn't it
it's its itself just let's me more most my myself no nor not of off on once only or other ought our ours
ourselves out over own same she she's should so some such than that that's the their theirs them themselves
then there there's these they they're this those through to too under until up very was wasn't we were what
what's when where which while who whom whose why will with would you your yours yourself yourselves
many much one ones s t name named called kind type year years did does else ever
happen happened happens occur occurred occurs take place took get got
""".split())


# Changes when tokenisation changes, so that indexes built with the old terms are rebuilt.
TOKENIZER_VERSION = hashlib.sha1((" ".join(sorted(STOPWORDS)) + WORD.pattern + "snowball-english").encode()).hexdigest()[:12]


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Stemmed content words: the unit of BM25 and of lexical overlap."""
    kept = [w for w in words(text) if w not in STOPWORDS]
    kept = [w[:-2] if w.endswith("'s") else w for w in kept]
    return _stemmer().stemWords(kept)


def term_lists(texts: list[str]) -> list[list[str]]:
    return [terms(t) for t in texts]


def first_distinct(items, text_of) -> list:
    """The items in order, each wording once (texts that differ only in whitespace are one). A record often holds a
    text twice (an exhibit filed with two motions, an opinion saved twice): the copy is one passage, and the reader
    reads another passage in its place rather than the same words again."""
    seen, kept = set(), []
    for item in items:
        key = " ".join(text_of(item).split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept
