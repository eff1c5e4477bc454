"""Dockets: find the entries of a court docket (date filed, entry number, docket text) in plain text.

A docket is a table, one row per entry. Printed or exported as text, each row starts a line with its date and
number, e.g. CourtListener's export `[2005-09-13] #187: JUDGMENT as to ...` or PACER's report
`09/13/2005   187   JUDGMENT as to ...` (whose long entries wrap onto indented lines below). An entry is what a
lawyer cites ("Dkt. 187"), so ingest reads each one as a unit: one paragraph, never merged with its neighbours.

A text is a docket when many of its lines start that way: found by layout, not by file name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A row's opening, at the left margin: a date (2005-09-13, 09/13/2005, 9/13/05), optionally in brackets, then the
# entry number as "#187", "#None" (an unnumbered minute entry) or a bare number set off by spaces, then the docket
# text. (A wrapped line of docket text is indented under the text column, even when it starts with a date.)
_DATE = r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
_ENTRY_LINE = re.compile(
    r"[ \t]{0,3}\[?(?P<date>" + _DATE + r")\]?"
    r"(?:[ \t]*#[ \t]*(?P<hash>\d{1,6}|None)[ \t]*:?|[ \t]{2,}(?P<bare>\d{1,6})(?=[ \t]{2,}))?"
    r"[ \t]*[:\-\u2013\u2014]?[ \t]+(?P<text>\S)")
_ENTERED = re.compile(r"\(Entered:\s*([0-9/\-]{6,10})\)")
# A docket has at least this many rows, and most of them are numbered: a letter that starts a few lines with a
# date ("10/14/2003 was the day ...") is not a docket.
_MIN_ENTRIES = 5


@dataclass(frozen=True)
class DocketEntry:
    """One row of a docket: the span of its lines in the text, and what they say."""

    start: int  # of the row's first character (its date)
    end: int  # after its last non-blank character
    pieces: tuple[tuple[int, int], ...]  # the spans of its lines, indentation and line ends left out
    date: str  # as printed: "2005-09-13", "09/13/2005"
    number: str | None  # "187"; None for an unnumbered entry
    entered: str | None = None  # the "(Entered: 09/13/2005)" date, when printed

    @property
    def label(self) -> str:
        """How a citation names the entry: "Docket entry 187 (2005-09-13)"."""
        if self.number is None:
            return f"Docket entry of {self.date}"
        return f"Docket entry {self.number} ({self.date})"


def find_docket_entries(text: str) -> list[DocketEntry]:
    """The entries of `text` if it is a docket (at least `_MIN_ENTRIES` lines open with a date and an entry number,
    and numbered rows are most of the rows), else []. An entry runs from its line to the next entry's line or a
    blank line; its later lines are the wrapped rest of its docket text."""
    lines: list[tuple[int, int]] = []  # (start, end) of every line
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    starts: dict[int, re.Match] = {}
    for i, (a, b) in enumerate(lines):
        m = _ENTRY_LINE.match(text, a, b)
        if m:
            starts[i] = m
    numbered = sum(1 for m in starts.values() if m.group("hash") or m.group("bare"))
    if numbered < _MIN_ENTRIES or numbered * 2 < len(starts):
        return []
    entries = []
    indices = sorted(starts)
    for k, i in enumerate(indices):
        m = starts[i]
        stop = indices[k + 1] if k + 1 < len(indices) else len(lines)
        pieces = []
        for j in range(i, stop):
            a, b = lines[j]
            piece = _strip(text, a, b)
            if piece is None:
                break  # a blank line ends the row
            pieces.append(piece)
        number = m.group("hash") or m.group("bare")
        body = " ".join(text[s:e] for s, e in pieces)
        entered = _ENTERED.search(body)
        entries.append(DocketEntry(pieces[0][0], pieces[-1][1], tuple(pieces), m.group("date"),
                                   None if number in (None, "None") else number,
                                   entered.group(1) if entered else None))
    return entries


def _strip(text: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if b > a else None


# The filing an entry records, by docket convention in capitals before the rest of the docket text: "JUDGMENT as to
# Robert Warren", "NOTICE OF APPEAL by ...", "SEALED INDICTMENT as to ...". A run of capitals ends at the first
# word in lower case; a trailing connective ("MOTION TO" of "MOTION TO Suppress") is not part of the name.
_KIND_WORD = re.compile(r"[A-Z][A-Z'’&/.-]*(?![\w])")
_CONNECTIVES = frozenset("OF TO FOR AND BY IN ON AS RE THE A AN WITH".split())
# Words that say which version of a filing it is: the question "When was the indictment filed?" is answered by the
# "SEALED INDICTMENT" entry when there is no plain one.
_KIND_MODIFIERS = frozenset("sealed unsealed amended redacted corrected superseding oral proposed joint unopposed "
                            "consent first second third final preliminary supplemental renewed".split())


def entry_kind(text: str) -> str | None:
    """The filing a docket entry records, lower-cased ("judgment", "notice of appeal", "sealed indictment"), from
    the entry as ingest reads it (its date and number first); None when the text is not an entry or its docket text
    does not open with a filing's name in capitals."""
    return _kind_and_rest(text)[0]


# An entry's head as ingest reads it, whitespace collapsed: "[2005-09-13] #187: " or "09/13/2005 187 ".
_ENTRY_HEAD = re.compile(r"\[?(?:" + _DATE + r")\]?"
                         r"(?:\s*#\s*(?:\d{1,6}|None)\s*:?|\s+\d{1,6}(?=\s))?\s*[:\-\u2013\u2014]?\s+(?=\S)")


def _kind_and_rest(text: str) -> tuple[str | None, str]:
    """The entry's kind and the docket text after it ("as to Robert Warren ...")."""
    m = _ENTRY_HEAD.match(text)
    if not m:
        return None, ""
    words: list[tuple[str, int]] = []  # each capitalised word and where it ends
    pos = m.end()
    while (w := _KIND_WORD.match(text, pos)) is not None:
        words.append((w.group().strip(".-"), w.end()))
        pos = w.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
    while words and words[-1][0] in _CONNECTIVES:
        words.pop()
    if not words:
        return None, ""
    return " ".join(w for w, _ in words).lower(), text[words[-1][1]:]


# Words that go on naming a filing after its noun ("notice of appeal", "motion to suppress"), and words after which
# the question says something else about it ("the judgment against Warren", "the motion filed by the defendant").
_NAME_GOES_ON = frozenset("of to for".split())
_NAME_ENDS = frozenset("filed file entered enter docketed docket signed sign issued issue submitted submit lodged "
                       "lodge by against in on as from with and was were be been".split())


def named_filing(question: str, entry: str) -> tuple[int, bool] | None:
    """How well a question names the filing a docket entry records (`entry_kind`): (words named, whether the kind
    is named whole), or None. "When was the indictment filed?" names "SEALED INDICTMENT as to ..." as (1, False):
    a filing's modifiers may go unsaid, its noun not. What the question says goes on naming the filing must be what
    the entry's text goes on with: "the notice of appeal" is not "NOTICE of Filing of Clarification"."""
    kind, rest = _kind_and_rest(entry)
    if kind is None:
        return None
    lowered = " ".join(re.findall(r"[a-z0-9]+", question.lower()))
    core = kind.split()
    while len(core) > 1 and core[0] in _KIND_MODIFIERS:
        core = core[1:]
    for phrase, whole in ((kind, True), (" ".join(core), False)):
        m = re.search(r"\b" + re.escape(phrase) + r"s?\b", lowered)
        if m is None:
            continue
        goes_on = lowered[m.end():].split()
        if goes_on and goes_on[0] in _NAME_GOES_ON:
            named = []
            for word in goes_on:
                if word in _NAME_ENDS:
                    break
                named.append(word)
            if re.findall(r"[a-z0-9]+", rest.lower())[:len(named)] != named:
                return None
        return len(phrase.split()), whole
    return None
