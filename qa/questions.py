"""Question analysis: what kind of thing a question asks for (a person for "who", a date for "when", a number
for "how many" ...), and the spans of that kind in a sentence. Follow-up resolution uses it to find the person a
conversation is about, and the generative reader's citations use it to mark a short answer."""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

from .docket import entry_kind
from .structure import ARGUED, ISSUED, states_disposition
from .text import STOPWORDS, terms, words

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
    anchors = [m.span() for m in re.finditer(r"[^\W_]+", text) if set(terms(m.group(0))) & set(question.terms)]
    if question.answer_type == "LOCATION":
        # Places follow their prepositions: prefer "in Ukraine" over a name elsewhere in the sentence.
        placed = [sp for sp in spans if re.search(r"\b(in|at|from|near|to|across)\s+(the\s+)?$", text[:sp[0]])]
        spans = placed or spans
    if not anchors:
        return spans[0]

    def distance(span):
        # the gap between the span and a word of the question: "appointing Theron Mullinax" is next to "appointed"
        return min(max(a_start - span[1], span[0] - a_end, 0) for a_start, a_end in anchors)

    return min(spans, key=distance)


# ------------------------------------------------------------------------------------------- stated facts

# An age, a calendar date or a sum of money is a fact a sentence states or does not: a sentence that gives no age
# cannot say how old someone is, however close its words come ("the armorer ... is serving an 18-month sentence" for
# "How old is the armorer?"). The trained reader misses this (SQuAD rarely asks a paragraph what it lacks), so such a
# question is answered only from a sentence that states one. Measured on SQuAD train (`python -m bench.stated_facts`):
# the sentence holding the answer states an age for 170 of 184 age questions, a date for 446 of 452 date questions
# and an amount for 294 of 296 money questions; most of the misses are eras ("What age did Portugal pioneer?").
_AGE_QUESTION = re.compile(
    r"^(?:how old\b|at what age\b|"
    r"(?:what|which) age (?=(?:did|do|does|is|was|were|are|can|must|should|will|would|could|may)\b)|"
    r"what (?:is|was|were|are) (?:(?:the|a|his|her|their|its|[\w-]+['’]s?|median|average|mean|"
    r"minimum|maximum|youngest|oldest|lowest|highest) ){1,3}ages?\b(?! (?:group|range|bracket)))")
_DAY_QUESTION = re.compile(r"^(?:(?:on|by|since|until|from) )?(?:what|which) (?:date|day)\b")
_NUMBER_NAMES = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
                 "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety").split()


def _age_number(max_digits: int) -> str:
    """An age as digits or words: "45", "forty-five"."""
    return (r"(?:\d{1,%d}|(?:" % max_digits + "|".join(_NUMBER_NAMES)
            + r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?)")


_N = _age_number(3)
_SMALL_N = _age_number(2)  # after "at": "at 17", not "at 138" (a page)
_SPAN = r"(?:years?|months?|weeks?|days?|decades?|centuries|century|millennia|millennium)"
_NOT_AN_AGE = (r"(?![-,.]?\d)(?![- ]?(?:%|percent|[ap]\.?m\b|o'clock|" + _SPAN +
               r"|points?|feet|metres?|meters?|miles?|km|times|people|per|mph|degrees?))")
_AGE_RE = re.compile(
    r"\b" + _N + r"[- ]" + _SPAN + r"[- ]old\b|\b(?:several|many|a few|few|some|hundreds of|thousands of|millions of) "
    + _SPAN + r" old\b|\b(?:century|decades?|years?|centuries)[- ]old\b|"
    r"\b" + _N + r" (?:years?|months?) of age\b|\bages? (?:[\w'’-]+ ){0,5}?(?:was|is|were|are|of|at|to) "
    r"(?:about |around |only |just )?[\d.]*\d\b|\b(?:as (?:young|old) as|above|over the age of) " + _N + r"\b|"
    r"\bage[ds]? (?:of )?(?:about |around |only |just )?" + _N + r"\b|"
    r"\bage \(\d{1,3}\)|\b(?:then|aged?) " + _N + r"\b|\((?:then |aged? )" + _N + r"\)|"
    # "Smith, 45, said": the news apposition
    r"\b[A-Z][\w'’.-]+, \d{1,3}, |"
    r"\b(?:he|she|they|i|we) (?:was|were|is|are|turned) (?:then |about |only |just |nearly |almost |over |under )?" + _N
    + r"\b" + _NOT_AN_AGE + r"|"
    r"\b(?:was|were|turned) (?:then |about |only |just |nearly |almost |over |under )?" + _N
    + r" (?:when|at the time)\b|"
    # "at 17", but not a pin cite ("Id. at 34", "471 U.S. at 80", "553 F.3d at 32")
    r"(?<!\.\s)(?<!\dd\s)(?<!\dth\s)\bat (?:only |just |about |around )?" + _SMALL_N + r"\b" + _NOT_AN_AGE + r"|"
    r"\b\d{1,3}(?:st|nd|rd|th) birthday\b|\bborn\b|\b[\d,.]+(?: million| billion| thousand)? years ago\b|"
    r"\bin (?:his|her|their) (?:early |mid-|mid |late )?(?:teens|twenties|thirties|forties|fifties|sixties|seventies|"
    r"eighties|nineties)\b|\b" + _N + r" or (?:older|younger|over|under)\b|\bteenager\b|"
    # a thing's age is when it began
    r"\b(?:dates?|dating|dated) (?:back )?(?:from|to)\b|"
    r"\b(?:built|founded|established|constructed|erected|completed|formed|opened|created) (?:in|around|about|circa)\b",
    re.I)
_DAY_RE = re.compile(
    r"\b(?:" + "|".join(m.capitalize() for m in _MONTHS) + r")\.? \d{1,2}\b|\b\d{1,2} (?:" +
    "|".join(m.capitalize() for m in _MONTHS) + r")\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|"
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?\b|"
    r"\b(?:Christmas|New Year's|Easter|Independence|Memorial|Labor|Thanksgiving)(?: Day| Eve)?\b|"
    r"\b(?:the )?\d{1,2}(?:st|nd|rd|th) (?:of|day)\b|\b(?:today|yesterday|tomorrow)\b", re.I)
# "How much did he pay?": money, or a share of something ("20%", "twice as much"); not a duration or a count.
_MONEY_QUESTION = re.compile(
    r"^how much (?!time\b)(?:money\b|(?:did|does|do|was|were|is|are|will|would|had|has|have)\b.*\b(?:pay|paid|pays|"
    r"cost|costs|spend|spent|spends|earn|earned|earns|owe|owed|owes|fined?|damages|worth|charge|charged|charges|"
    r"settle|settled|award|awarded|donate|donated|invest|invested|bail|bond|salary|budget|price|fee|fees|"
    r"compensation|restitution|forfeit|forfeited|forfeiture)\b)")
_CURRENCY = (r"(?:(?:US |Swiss |Canadian |Australian |New Zealand |Hong Kong )?(?:USD|EUR|GBP|dollars?|pounds?|euros?|"
             r"cents?|yen|francs?|marks?|rupees?|yuan|pesos?|lire|shillings?|guineas?|crowns?|rubles?|roubles?|rials?|"
             r"dirhams?|pence|penny|halfpenny)\b)")
_AMOUNT_RE = re.compile(
    r"[$£€¥₹¢]\s?[\d.]|\d\s?¢|\b(?:USD|GBP|EUR|US\$|Rs\.?)\s?\d|"
    r"\b\d[\d,.]*\s*(?:million |billion |trillion |thousand |hundred )?" + _CURRENCY + "|"
    r"\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred|thousand|million|billion|"
    r"several|\w+-\w+) (?:million |billion |thousand |hundred )?" + _CURRENCY + "|"
    r"\b\d[\d,.]*\s*(?:million|billion|trillion)\b|\b(?:millions|billions) of\b|\bfree\b|\bnothing\b|"
    r"\d\s?%|\bper ?cent\b|\b(?:twice|double|doubled|triple|tripled|half|halved|times)\b", re.I)

# "What sentence did she receive?", "How long was he sentenced to?": a penalty, which a sentence states or does not.
# A sentencing memorandum or a motion to reduce a sentence names the sentence and gives no term.
_TERM_QUESTION = re.compile(
    r"^(?:what|which) (?:(?:prison|jail|custodial) )?(?:sentences?|terms? of (?:imprisonment|incarceration)|"
    r"(?:prison|jail) terms?)\b(?=.*\b(?:did|does|do|was|were|is|are|will|would|has|have|had)\b.*\b(?:receive|received|"
    r"receives|get|got|gets|given|give|gave|impose|imposed|serve|serving|served|face|faces|faced|hand|handed|"
    r"sentence|sentenced)\b)|"
    r"^what (?:is|was|were|are|will be|would be) (?:(?:[\w-]+ ){0,3}?[\w-]+['’]s?|his|her|their) "
    r"(?:(?:prison|jail) )?sentence\b|"
    r"^what (?:is|was|were|are|will be|would be) the (?:(?:prison|jail) )?sentence (?:on|for) (?:count|the charge)\b|"
    r"^what (?:is|was|were|are) the (?:(?:prison|jail|final|criminal) )?sentences?\W*$|"
    r"^how long (?:is|was|were|are|will|would|did|does|do|has|have|had)\b.*\b(?:sentenced?|sentences|prison|jail|"
    r"behind bars|imprisoned|imprisonment|incarcerated|incarceration|locked up)\b|"
    r"^how much (?:time|prison time|jail time)\b.*\b(?:sentenced?|prison|jail|behind bars|imprisoned|incarcerated|"
    r"locked up)\b")
_TERM_NUMBER = (r"(?:\d[\d.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                + "|".join(_NUMBER_NAMES[12:]) + r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?")
# A duration is a term only in a sentence about a penalty: "worked at the branch for twelve years" is not one.
_DURATION_RE = re.compile(
    r"\b" + _TERM_NUMBER + r"(?:[- ]and[- ](?:a|one)[- ]half)?(?:[- ](?:and[- ])?(?:a[- ])?half)?[- ]?"
    r"(?:years?|months?|weeks?|days?|mos\b\.?|yrs\b\.?|mths?\b\.?)", re.I)
_PENALTY_CONTEXT_RE = re.compile(
    r"\b(?:sentenc\w*|prison|imprison\w*|jail\w*|incarcerat\w*|custody|confinement|probation|behind bars|"
    r"judgment|revocation|revoked|term|serv(?:e|es|ed|ing)|mos)\b", re.I)
_PENALTY_RE = re.compile(
    r"\blife (?:imprisonment|sentences?|terms?|in prison|without)|\bto life\b|\bdeath (?:sentence|penalty)\b|"
    r"\bsentenced to death\b|\bprobation\b|\btime served\b|\bsuspended sentence\b|\bcommunity service\b|"
    r"\b(?:home|house)[- ](?:confinement|detention|arrest)\b|\bsupervised release\b|\bfined\b|\d fines?\b|"
    r"\bfines? of\b|(?<!returned )\bexecut(?:ed|ion)\b|\b(?:hanged|exiled|banished)\b", re.I)

# Of the sentences stating a penalty, one saying what was imposed answers a sentencing question before a guidelines
# range ("a sentence range of 77 to 96 months") or what a crime is punishable by ("punishable by ten years").
_IMPOSED_RE = re.compile(
    r"\bsentenced\b(?:(?! by\b)[^.;]){0,60}?\bto\b|\bimpos(?:ed|ing)\b[^.;]{0,40}?\b(?:sentence|term|imprisonment)\b|"
    r"\b(?:receive|received|receives|receiving)\b[^.;]{0,30}\bsentence\b|\bserving\b|"
    r"\b(?:ordered|ordering)\b[^.;]{0,30}\b(?:prison|serve|imprisonment|custody)\b", re.I)

# Every alternative of _PENALTY_RE holds one of these.
_PENALTY_WORDS = ("life", "death", "probation", "served", "suspended", "community", "confinement", "detention",
                  "arrest", "supervised", "fine", "execut", "hanged", "exiled", "banished")

# "What was the outcome of the appeal?", "What did the First Circuit do with the appeal?", "Was the conviction
# upheld?": how the court decided, which an opinion states in set words ("We affirm.", `states_disposition`). A
# question about one holding ("What did the court decide about the hearsay?") is not one.
_COURT = r"(?:the )?(?:[\w.’'-]+ ){0,3}?(?:court|circuit|panel|justices|judges)(?: of appeals?)?"
_CASE = (r"(?:the |his |her |their |its |this |that )?(?:[\w’'-]+ )?"
         r"(?:appeals?|case|conviction|sentence|judgment|petition|motion)")
_OUTCOME_QUESTION = re.compile(
    r"^what (?:was|is|were|are|will be) the (?:final )?(?:results?|outcomes?|dispositions?|upshot) (?:of|in|on|from)\b"
    r"(?=.*\b(?:appeals?|case|court|conviction|sentence|judgment|petition|motion|trial|review|lawsuit|suit)\b)|"
    r"^what (?:was|is) the " + _COURT + r"['’]s? (?:decision|ruling|holding|disposition|judgment)\W*$|"
    r"^(?:what|how) did " + _COURT + r" (?:decide|hold|rule|conclude)(?: (?:on|in|about) " + _CASE + r")?\W*$|"
    r"^what did " + _COURT + r" do(?: (?:with|about|on|in) " + _CASE + r"\b.*)?\W*$|"
    r"^did " + _COURT + r" (?:affirm|reverse|vacate|uphold|overturn|remand|dismiss|grant|deny)\b|"
    r"^(?:was|were|is|are) " + _CASE + r"s? (?:upheld|affirmed|reversed|vacated|overturned|set aside|remanded)\b|"
    r"^did (?:the )?[\w’'-]+ (?:win|lose) " + _CASE + r"\b|"
    r"^what happened (?:to|with|in) " + _CASE + r"\b|"
    r"^how did " + _CASE + r" (?:turn out|end|come out|go)\b")

# "What was Weekes charged with?", "What were the charges against him?": the offense of this case, which the sentence
# saying what he was indicted, charged or pleaded guilty to states; not a sentence about his earlier convictions.
_CHARGE_QUESTION = re.compile(
    r"^(?:what|which) (?:(?:crimes?|offen[cs]es?|charges?|counts?|felon(?:y|ies)|violations?) )?"
    r"(?:was|were|is|are|had|has|did)\b.*\b(?:(?:charged|indicted)(?: (?:with|for|on|under)\b(?! doing\b).*)?\W*$|"
    r"(?:prosecuted|convicted) (?:for|on|under|of)\b|found guilty (?:of|on)\b)|"
    r"^what (?:was|were|are|is) (?:the |his |her |their )?(?:criminal |federal |original )?charges?\b(?! for\b)|"
    r"^(?:what|which) (?:crimes?|offen[cs]es?|charges?|counts?) (?:did|does|do) .*\b(?:face|faced|facing)\b")
# What the charge was, not that there were charges: "charged with", "indicted on", "counts of", "pleaded guilty",
# "convicted of", "accused of", "held on suspicion of", "manslaughter charges against"; not "no longer facing
# charges", "the statute under which he was charged defines ...".
_CHARGE_RE = re.compile(
    r"\bcharg(?:ed|ing)\b[^.;,]{0,60}?\b(?:with|for|in (?:a|an|one|two|three|four|five|six|\d+) counts?)\b|"
    r"\bindicted\b|\bindictment (?:against|for|charg|alleg)|\bcharges? (?:of|against)\b|\baccused of\b|"
    r"\bcharges? (?:were |was )?(?:reduced|amended) to\b|"
    r"\barrested (?:for|on)\b|\bon suspicion of\b|\bcounts? (?:of|charging)\b|\bguilty plea\b|"
    r"\b(?:pleaded|pled|plead|pleads|pleading) guilty\b|\bconvicted (?:of|on|for)\b|\bfound guilty\b", re.I)
# Every alternative of _CHARGE_RE holds one of these.
_CHARGE_WORDS = ("charg", "indict", "accused", "arrested", "suspicion", "count", "guilty", "convicted")
_COUNTS_RE = re.compile(r"\b(?:\d+|" + "|".join(_NUMBER_NAMES) +
                        r")(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))? counts?\b", re.I)

# "What statute was he convicted under?", "Under what statute was he charged?": a statute, which a sentence citing
# one gives ("in violation of 18 U.S.C. § 1343"); best one that also states the charge, not the statute of a motion
# he filed or a guideline ("U.S.S.G. § 4A1.2").
_STATUTE_QUESTION = re.compile(
    r"^(?:under |in violation of )?(?:what|which) (?:federal |state |criminal )?(?:statutes?|laws?|code sections?|"
    r"sections? of (?:the )?(?:code|law)|provisions?)\b.*\b(?:convicted|charged|indicted|prosecuted|violated?|"
    r"violating|breached?|broke|break)\b")
_STATUTE_RE = re.compile(r"\b(?<!S\.)U\.\s?S\.\s?C\.(?:\s?A\.)?|(?<!U\.S\.S\.G\. )(?<!U\.S\.S\.G\.)§|"
                         r"\bGen\. Laws\b|\bPenal Code\b|\bRev\. Stat\.", re.I)

# "When was the case argued?", "When was the opinion issued?": a date an opinion's caption gives on a line of its own
# ("Argued May 4, 2010", "July 9, 2010": the ARGUED and ISSUED roles), or does not give at all.
_CAPTION_DATE_QUESTIONS = (
    (ARGUED, re.compile(r"^(?:when|on what (?:date|day)|what (?:date|day)) (?:was|were|did) (?:the )?"
                        r"(?:case|appeal|matter|oral arguments?)s? (?:argued|heard|submitted)\b|"
                        r"^when did (?:the )?(?:court|panel|judges) hear (?:the )?(?:case|appeal|argument)")),
    (ISSUED, re.compile(r"^(?:when|on what (?:date|day)|what (?:date|day)) (?:was|were|did) (?:the )?"
                        r"(?:case|appeal|opinion|decision)s? (?:decided|issued|released|handed down)\b|"
                        r"^when did (?:the )?(?:court|panel) (?:decide|rule on|issue)\b")),
)


def asked_caption_date(question: QuestionInfo) -> str | None:
    """The caption role (`ARGUED`, `ISSUED`) of the date the question asks for, or None."""
    lowered = _LEAD.sub("", question.text.lower()).strip()
    return next((role for role, pattern in _CAPTION_DATE_QUESTIONS if pattern.search(lowered)), None)


# "Which case did the court rely on?", "What statute ...?": a question a bare citation answers.
_AUTHORITY_QUESTION = re.compile(r"\b(?:cases?|precedents?|authority|authorities|cite|cites|cited|citations?|"
                                 r"relied|rely|relies|statutes?|sections?|rules?|guidelines?|u\.s\.c|code|§)\b|§")


def asks_for_authority(question: QuestionInfo) -> bool:
    return bool(_AUTHORITY_QUESTION.search(question.text.lower()))


# "When was the judgment entered?", "Who signed the plea agreement?": when a filing was made or who made it, which a
# docket answers with the entry that records the filing (`qa.docket.entry_kind`), not with the entries that mention
# it ("Judgment Returned Executed", an order about the plea agreements).
_FILING_QUESTION = re.compile(
    r"^(?:(?:on )?(?:what|which) (?:date|day)|when)\b.*\b(?:filed|entered|docketed|signed|issued|submitted|lodged)\b|"
    r"^when did .*\b(?:file|enter|docket|sign|issue|submit|lodge)\b|"
    r"^who (?:filed|signed|entered|issued|submitted|lodged)\b")


def asks_about_filing(question: QuestionInfo) -> bool:
    return bool(_FILING_QUESTION.search(_LEAD.sub("", question.text.lower()).strip()))


# "Why was Baldwin sentenced to prison?", "When was Alec Baldwin convicted?": a question that takes a named person's
# conviction or sentence as given. When the record says that person was cleared ("Baldwin's charges have been
# dropped"), that is the answer: the premise is false.
_PRESUMES_CONVICTION = re.compile(r"\b(?:convicted|sentenced|found guilty|imprisoned|jailed|incarcerated|"
                                  r"behind bars|in prison|serving (?:a |an |his |her |their )?(?:\S+ )?sentence)\b")
_OUTCOME_WORD = r"(?:dropped|dismissed|withdrawn|overturned|vacated|reversed|quashed|thrown out)"


def presumes_conviction(question: QuestionInfo) -> bool:
    return bool(question.proper) and bool(_PRESUMES_CONVICTION.search(question.text.lower()))


def states_cleared(text: str, names: tuple[str, ...]) -> bool:
    """Whether the sentence says one of these people was cleared: "Baldwin's charges have been dropped", "a decision
    to dismiss involuntary manslaughter charges against Baldwin", "Alec Baldwin is no longer facing charges", "Smith
    was acquitted". Said of another person, or with no name, it is not; nor is a motion or a contention that it
    should be ("moved to dismiss the charges against Smith", "his contention that his conviction should be
    vacated")."""
    if not names:
        return False
    who = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    done = r"(?:were|was|have been|has been|had been|are|is|got) (?:\w+ )?" + _OUTCOME_WORD
    for m in re.finditer(
            who + r"['’]s? (?:\w+ ){0,2}(?:charges?|case|conviction|indictment) " + done + r"|"
            r"\b(?:dropped|dismissed|dismiss|drop|withdrew|withdrawn|overturned|vacated)\b"
            r"[^.;]{0,50}?\b(?:charges?|conviction|indictment|case) against (?:\w+ ){0,2}" + who + r"\b|"
            r"\b(?:charges?|conviction|indictment|case) against (?:\w+ ){0,2}" + who + r"\b[^.;]{0,40}?\b" + done + "|"
            + who + r" (?:was|were|has been|had been|is|is now) "
            r"(?:acquitted|cleared|exonerated|pardoned|found not guilty)|"
            + who + r" (?:is|was|are|were) no longer (?:facing|charged)", text, re.I):
        if not _ASKED_FOR.search(text[max(0, m.start() - 25):m.start() + 12]):
            return True
    return False


# "moved to dismiss", "a motion to drop", "asked the court to vacate": asked for, not done.
_ASKED_FOR = re.compile(r"\b(?:moved?|moving|motion|sought|seeks?|ask(?:s|ed)?|request(?:s|ed)?|urg(?:es|ed)|"
                        r"argu(?:es|ed)|contend(?:s|ed)?|should|would|may|might|could)\b", re.I)


# Numbers of legal text that look like years: "18 U.S.C. §§ 1344 and 2", "No. 08-2056", and the year of a cited
# case, which dates that case and not this one: "286 F.3d 47, 49 (1st Cir. 2002)", "553 U.S. 377 (2008)".
_NOT_A_YEAR = re.compile(
    r"§+\s*[\w.()-]+(?:(?:,\s*|\s+(?:and|or|to)\s+)[\w.()-]+)*|\bNos?\.\s*[\d-]+|"
    r"\b\d{1,4} (?:[A-Z][\w.]*\s?){1,4}\d{1,5}(?:, \d{1,5}(?:[-–]\d{1,5})?)*\s*\([^()]{0,40}\d{4}\)")


# A court paper states its decision in set words ("We affirm."); a news story tells an outcome in its own ("the
# charges were dropped"), which no pattern lists. So a sentence stating a disposition is preferred, not required;
# and so is one stating a charge, which a record may tell in words the pattern lacks.
PREFERRED_FACTS = ("OUTCOME", "CHARGE", "IMPOSED", "STATUTE", "CHARGED_UNDER")
# Within the sentences stating the asked-for fact, those stating this one come first: the penalty imposed, the
# statute cited for the charge.
PREFERRED_WITHIN = {"TERM": "IMPOSED", "STATUTE": "CHARGED_UNDER"}


def asked_fact(question: QuestionInfo) -> str | None:
    """"AGE", "DATE", "AMOUNT" or "TERM" when the question asks for an age, a calendar date, an amount of money or
    a criminal sentence, which only a sentence that states one answers; "OUTCOME", "STATUTE" or "CHARGE" when it
    asks how a court decided, under which statute or what someone was charged with, which a sentence stating the
    decision, the statute or the charge answers best (`PREFERRED_FACTS`); None for every other question."""
    lowered = _LEAD.sub("", question.text.lower()).strip()
    return next((fact for fact, pattern in _FACT_QUESTIONS if pattern.search(lowered)), None)


# The first that matches: "What statute was he charged under?" asks for a statute, not for the charge.
_FACT_QUESTIONS = (("AGE", _AGE_QUESTION), ("DATE", _DAY_QUESTION), ("AMOUNT", _MONEY_QUESTION),
                   ("TERM", _TERM_QUESTION), ("OUTCOME", _OUTCOME_QUESTION), ("STATUTE", _STATUTE_QUESTION),
                   ("CHARGE", _CHARGE_QUESTION))


@lru_cache(maxsize=1 << 16)
def states_fact(fact: str, text: str) -> bool:
    """Whether the sentence states a fact of the kind `asked_fact` returned: an age ("45-year-old", "Smith, 45,",
    "at 17", "born in 1960"), a date ("March 3", "3/3/2021", "Monday", a year), an amount ("$1,000,000",
    "40 Swiss francs", "20%"), a sentence imposed ("30 months in prison", "76 Mos. on Ct. 34", "probation"), a
    court's disposition ("We affirm.", `qa.structure.states_disposition`) or a charge ("indicted on one count of")."""
    if fact == "AGE":
        return bool(_AGE_RE.search(text))
    if fact == "AMOUNT":
        return bool(_AMOUNT_RE.search(text))
    if fact == "TERM":
        # Cheap tests first: most sentences of a long record have none of the words (the patterns cost 25-250 us).
        lowered = text.lower()
        return bool((any(w in lowered for w in _PENALTY_WORDS) and _PENALTY_RE.search(text))
                    or (_PENALTY_CONTEXT_RE.search(text) and _DURATION_RE.search(text)))
    if fact == "IMPOSED":  # a docket's judgment entry imposes what it states: "JUDGMENT as to ... 60 Mos."
        kind = entry_kind(text)
        return states_fact("TERM", text) and bool(_IMPOSED_RE.search(text) or (kind and "judgment" in kind))
    if fact == "OUTCOME":
        return states_disposition(text)
    if fact == "CHARGE":
        lowered = text.lower()
        return bool((any(w in lowered for w in _CHARGE_WORDS) and _CHARGE_RE.search(text))
                    or ("count" in lowered and _COUNTS_RE.search(text)))
    if fact == "STATUTE":
        lowered = text.lower()
        return bool(("§" in text or "u.s.c." in lowered.replace(" ", "") or "gen. laws" in lowered
                     or "penal code" in lowered or "rev. stat." in lowered) and _STATUTE_RE.search(text))
    if fact == "CHARGED_UNDER":
        return states_fact("STATUTE", text) and bool(states_fact("CHARGE", text) or re.search(r"\bviolat", text, re.I))
    return bool(_DAY_RE.search(text) or _DATE_RE.search(_NOT_A_YEAR.sub(" ", text)))


# ------------------------------------------------------------------------------------------- abbreviations

# What court papers abbreviate and people write out, or the other way round: a docket's "Motion for Extension of Time
# to Report to BOP" shares nothing with "more time to report to the Bureau of Prisons", and the reader does not know
# the abbreviation (0.02 that the entry answers; 0.13 once the question also says "BOP").
ABBREVIATIONS = {
    "ACCA": "Armed Career Criminal Act",
    "AUSA": "Assistant United States Attorney",
    "ATF": "Bureau of Alcohol, Tobacco, Firearms and Explosives",
    "BOP": "Bureau of Prisons",
    "CJA": "Criminal Justice Act",
    "DEA": "Drug Enforcement Administration",
    "FBI": "Federal Bureau of Investigation",
    "FPD": "Federal Public Defender",
    "GAL": "guardian ad litem",
    "IFP": "in forma pauperis",
    "PSR": "presentence report",
    "SOR": "statement of reasons",
    "TRO": "temporary restraining order",
    "USCA": "United States Court of Appeals",
    "USPO": "United States Probation Office",
}


def expand_abbreviations(question: str, record_has) -> str:
    """The question with the other form of each abbreviation it writes out or uses, in parentheses, where the record
    uses that other form (`record_has(text)`: whether all of the text's terms occur in the record): "... report to
    the Bureau of Prisons (BOP)?" of a docket that says "BOP", "Who was the AUSA (Assistant United States Attorney)?"
    of an opinion that writes it out. Unchanged when the record already uses the question's form or neither."""
    for short, long in ABBREVIATIONS.items():
        short_at = re.search(rf"\b{short}\b", question)
        long_at = re.search(rf"\b{re.escape(long)}\b", question, re.I)
        if long_at and not short_at and record_has(short):
            question = f"{question[:long_at.end()]} ({short}){question[long_at.end():]}"
        elif short_at and not long_at and record_has(long):
            question = f"{question[:short_at.end()]} ({long}){question[short_at.end():]}"
    return question
