"""Layout: recover paragraphs, pages and footnotes from plain text laid out for print, before sentence splitting.

Court opinions, dockets and PDF text layers are hard-wrapped (a newline at the end of every printed line), often
double-spaced (a blank line after every line), with page numbers (`-4-`, `Page 4 of 12`), running headers,
footnote numbers and footnote text in the middle of the prose. This module reads the lines of a document once and
returns its `Block`s (paragraphs, headings, list items, footnotes) as pieces of the ORIGINAL text, the page of
every offset, and the footnote marks to drop from the prose. It never rewrites the text: `clean_text` builds what
a reader reads (whitespace collapsed, hyphenated line breaks joined, HTML entities decoded, footnote marks
dropped) together with an `OffsetMap` back into the original, so a citation's quote is still an exact slice.

Everything here is one pass over the lines plus dictionary look-ups: linear in the length of the text.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field

# A page number alone on its line: "-4-", "- 4 -", "Page 4", "Page 4 of 12".
_PAGE_MARKER = re.compile(r"[-\u2013\u2014]\s*(\d{1,4})\s*[-\u2013\u2014]|[Pp](?:age|AGE)\s+(\d{1,4})(?:\s+(?:of|OF)\s+\d{1,4})?")
# A number or asterisks alone on a line: a footnote's number (left, followed by its text) or a page number (centred).
_BARE_MARK = re.compile(r"\d{1,3}|\*{1,3}")
# A footnote reference glued to the word before it: "time.1", "Facts1", "Equicredit.16", "[sic]."3", "Gibson*",
# "Justice,*". `_is_reference` checks the letter before it, so "F.2d", "1B1.10", "4A1.3" and "n.1(A)" are left alone.
_INLINE_REF = re.compile(r"([.,;:!?'\")\]\u201d\u2019]{0,3})(\d{1,3}|\*{1,3})(?=\s|$)")
# A footnote whose number starts its first line, "1.  The government argues": two spaces or more after the dot.
_NOTE_LEAD = re.compile(r"(\d{1,3})\.\s{2,}(?=\S)")
# Headings of legal writing: "I.", "II. Factual Background", "A. The Defendant", "3. Restitution" (no full stop at
# the end: a line "A. Smith was there." is prose), and Markdown's "# Title".
_HEADING = re.compile(r"(?:[IVXLC]{1,7}|[A-Z]|\d{1,2})\.(?:\s+[A-Z\"'(][^.;:,]{0,80})?|#{1,6}\s+\S.{0,150}")
# A list item: "(1)", "(a)", "1.", "a)", "iv)", "-", "*", a bullet.
_LIST_ITEM = re.compile(r"(?:\(\d{1,2}\)|\([a-z]{1,4}\)|\d{1,2}[.)]|[a-z]{1,4}\)|[-*+\u2022\u25cf])\s+\S")
_BULLET = re.compile(r"[-*+\u2022\u25cf]\s+\S")  # always an item: prose does not start a line with "- "
_TERMINAL = ".!?:;\"')]\u201d\u2019"
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_WORD = re.compile(r"\S+")
# A line indented this far that also stops well short of the right margin is centred: a caption line, a date, a
# heading, a page number. (A paragraph's first line may be indented as far, but it runs to the margin.)
_CENTRED_INDENT = 15
_CENTRED_SHORT_OF_MARGIN = 8
# A paragraph's last line is usually much shorter than the document's typical line.
_SHORT_LINE = 0.6


@dataclass(frozen=True)
class Block:
    """A paragraph, heading, list item or footnote: the spans of its lines in the original text, in order (page
    furniture and footnotes between them left out). `start`/`end` span the whole block, furniture included."""

    kind: str  # "paragraph", "heading", "list_item" or "footnote"
    pieces: tuple[tuple[int, int], ...]

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]


@dataclass
class Layout:
    blocks: list[Block]
    # (offset, page number) where each page starts, in order; empty when the text has no page structure.
    page_starts: list[tuple[int, int]] = field(default_factory=list)
    # Footnote marks ("1", "16", "*") whose references are dropped from the prose they are glued to.
    footnote_marks: frozenset[str] = frozenset()
    # Spans of lines kept out of every block: page markers, running headers and footers, footnote numbers.
    furniture: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self):
        self._offsets = [s for s, _ in self.page_starts]

    def page_of(self, offset: int) -> int | None:
        """The page that `offset` is on; None when the text has no pages."""
        if not self.page_starts:
            return None
        return self.page_starts[max(bisect_right(self._offsets, offset) - 1, 0)][1]


@dataclass(frozen=True)
class OffsetMap:
    """Where the characters of a cleaned text sit in the original: (clean offset, original offset) at each jump.
    Between two anchors the texts run in step. No anchors means the clean text IS the original slice."""

    start: int  # original offset of clean offset 0
    anchors: tuple[tuple[int, int], ...] = ()

    def __post_init__(self):
        # the clean offsets alone, for bisection: a paragraph's map is asked once per sentence
        object.__setattr__(self, "_clean", [c for c, _ in self.anchors])

    def to_original(self, i: int) -> int:
        """The original offset of clean character i."""
        k = bisect_right(self._clean, i)  # anchors at or before i
        if k == 0:
            return self.start + i
        c, o = self.anchors[k - 1]
        return o + (i - c)

    def span(self, i: int, j: int, clean: str | None = None, original: str | None = None) -> tuple[int, int]:
        """Original (start, end) of the clean span [i, j), j > i. A decoded HTML entity is one clean character at
        the entity's "&": given both texts, a span that ends with one ends after its ";"."""
        start, end = self.to_original(i), self.to_original(j - 1) + 1
        if clean is not None and original is not None and original[end - 1:end] == "&":
            m = _ENTITY.match(original, end - 1)
            if m and _decoded_entity(m.group()) == clean[j - 1]:
                end = m.end()
        return start, end

    def sub(self, i: int, j: int) -> "OffsetMap":
        """The map of clean[i:j], rebased to start at 0; anchors dropped when the slice is a plain copy."""
        start = self.to_original(i)
        anchors = tuple((c - i, o) for c, o in self.anchors[bisect_right(self._clean, i):bisect_left(self._clean, j)])
        return OffsetMap(start, () if all(o - start == c for c, o in anchors) else anchors)


# ---------------------------------------------------------------------------------------------- clean text

def clean_text(text: str, pieces, footnote_marks: frozenset[str] = frozenset()) -> tuple[str, OffsetMap]:
    """The reading text of a block: its words joined by single spaces, a word hyphenated across a line break
    joined (the hyphen kept: "Roa-" + "Medina" is "Roa-Medina", and we cannot tell "home-made" from "accept-ance"
    without a dictionary), HTML entities decoded, footnote references dropped. With the map back to `text`."""
    out: list[str] = []
    anchors: list[tuple[int, int]] = []
    length = 0
    delta = None  # original offset minus clean offset while the two run in step
    first_start = pieces[0][0] if pieces else 0

    def emit(s: str, original: int):
        nonlocal length, delta
        if delta != original - length:
            anchors.append((length, original))
            delta = original - length
        out.append(s)
        length += len(s)

    for p_start, p_end in pieces:
        for m in _WORD.finditer(text, p_start, p_end):
            w0, word = m.start(), m.group()
            if footnote_marks and (word[-1].isdigit() or word[-1] == "*"):
                ref = _INLINE_REF.search(word, max(0, len(word) - 7))
                while ref is not None and not _is_reference(word, ref):
                    ref = _INLINE_REF.search(word, ref.start() + 1)
                if ref is not None and ref.group(2) in footnote_marks:
                    word = word[:ref.start(2)]
            if out:
                joins_hyphen = out[-1].endswith("-") and len(out[-1]) > 1 and out[-1][-2].isalnum() \
                    and word[0].isalnum() and _gap_is_line_break(text, w0)
                if not joins_hyphen:
                    emit(" ", w0 - 1)
            if "&" in word and ";" in word:
                _emit_entities(word, w0, emit)
            else:
                emit(word, w0)
    clean = "".join(out)
    if not anchors:
        return clean, OffsetMap(first_start)
    base = anchors[0][1]  # the first word, at clean offset 0
    jumps = tuple(anchors[1:])
    return clean, OffsetMap(base, () if all(o - base == c for c, o in jumps) else jumps)


def _is_reference(text: str, m: re.Match) -> bool:
    """A footnote reference follows a word: a lowercase letter ("Facts1"), or punctuation after anything but a
    digit ("VI.2", '. . . .").4'); not "1B1.10", nor a note of another opinion ("at 313 n.1")."""
    before = m.start() - 1
    if before < 0 or text[before].isspace() or text[before].isdigit():
        return False
    if not m.group(1):
        return text[before].islower()
    if text[before] == "n" and (before == 0 or not text[before - 1].isalpha() or text[before - 1:before + 1] == "nn"):
        return False  # "n.1", "nn.1-2": a note in a cited opinion
    return True


def _gap_is_line_break(text: str, word_start: int) -> bool:
    i = word_start - 1
    while i >= 0 and text[i].isspace():
        if text[i] == "\n":
            return True
        i -= 1
    return False


def _decoded_entity(entity: str) -> str | None:
    """The character an HTML entity stands for; None for "&nbsp;" and control characters, which stay as written
    (a word does not break inside), and for names that are not entities."""
    decoded = html.unescape(entity)
    return None if decoded == entity or not decoded.isprintable() or decoded.isspace() else decoded


def _emit_entities(word: str, w0: int, emit) -> None:
    pos = 0
    for e in _ENTITY.finditer(word):
        decoded = _decoded_entity(e.group())
        if decoded is None:
            continue
        if e.start() > pos:
            emit(word[pos:e.start()], w0 + pos)
        emit(decoded, w0 + e.start())
        pos = e.end()
    if pos < len(word):
        emit(word[pos:], w0 + pos)


# ---------------------------------------------------------------------------------------------- lines

@dataclass
class _Line:
    start: int  # of the text, without indentation
    end: int  # without trailing whitespace
    indent: int
    text: str  # stripped

    @property
    def ends_sentence(self) -> bool:
        return self.text[-1] in _TERMINAL


def _lines(text: str) -> list[_Line | None]:
    """Every line of text, None for a blank one. (Which blank lines are empty, rather than spaces left where an
    underline was, is `_empty_lines`.)"""
    lines, pos, n = [], 0, len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        raw = text[pos:end]
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            lines.append(_Line(pos + lead, pos + lead + len(stripped), lead, stripped))
        else:
            lines.append(None)
        if nl < 0:
            break
        pos = nl + 1
    return lines


def _empty_lines(text: str, lines) -> list[bool]:
    """True for a line with nothing on it. Only these count as the gaps of the line spacing: old opinions leave a
    line of spaces where an underline was, between two lines of one paragraph."""
    out, pos = [], 0
    for ln in lines:
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        out.append(ln is None and end == pos)
        pos = end + 1
    return out


# ---------------------------------------------------------------------------------------------- layout

def recover_layout(text: str, page_starts: list[int] | None = None, wrapped: bool | None = None) -> Layout:
    """Blocks, pages and footnotes of `text`. `page_starts`: offsets where physical pages begin (form feeds in a
    text file, pages of a PDF), numbered from 1; without them, page markers in the text number the pages.
    `wrapped`: whether lines were broken for print; None to judge from the lines (text made from HTML is not)."""
    lines = _lines(text)
    empty = _empty_lines(text, lines)
    kinds = [None if ln is None else "text" for ln in lines]  # text, marker, furniture, fnmark, footnote

    markers: list[tuple[int, int]] = []  # (line, page number)
    for i, ln in enumerate(lines):
        if ln is not None:
            m = _PAGE_MARKER.fullmatch(ln.text)
            if m:
                kinds[i] = "marker"
                markers.append((i, int(m.group(1) or m.group(2))))

    # Footnote references in the prose, to confirm that a number alone on a line starts a footnote.
    refs = {m.group(2) for m in _INLINE_REF.finditer(text) if _is_reference(text, m)}
    double = _double_spaced(lines)
    breaks = set()  # lines where a physical page starts
    if page_starts:
        line_of = {ln.start - ln.indent: i for i, ln in enumerate(lines) if ln is not None}
        breaks = {line_of.get(_line_start(text, p)) for p in page_starts}
    footnote_marks = set()
    furniture_spans: list[tuple[int, int]] = []  # footnote numbers at the start of a note's first line
    footnote_of: dict[int, int] = {}  # line -> index of the footnote it belongs to
    n_footnotes = 0
    i = 0
    while i < len(lines):
        ln = lines[i]
        lead = _NOTE_LEAD.match(ln.text) if ln is not None and kinds[i] == "text" and ln.indent <= 2 else None
        if lead and lead.group(1) in refs and _after_rule(lines, empty, i):
            # "1.  The government argues ...": the number starts the note's first line, under a rule of spaces
            footnote_marks.add(lead.group(1))
            furniture_spans.append((ln.start, ln.start + lead.end(1) + 1))
            cut = lead.end()
            lines[i] = _Line(ln.start + cut, ln.end, ln.indent + cut, ln.text[cut:])
            kinds[i], footnote_of[i] = "footnote", n_footnotes
            j, blank_run = i + 1, 0
        elif ln is not None and kinds[i] == "text" and _BARE_MARK.fullmatch(ln.text):
            nxt = _next_text(lines, i + 1, max_blank=1)
            is_note = (ln.indent < _CENTRED_INDENT and ln.text in refs and nxt is not None
                       and kinds[nxt] == "text" and not _BARE_MARK.fullmatch(lines[nxt].text))
            if not is_note:
                kinds[i] = "furniture"  # a page number, or a stray mark
                i += 1
                continue
            kinds[i] = "fnmark"
            footnote_marks.add(ln.text)
            j, blank_run = i + 1, 0
        else:
            i += 1
            continue
        i = _mark_footnote(lines, kinds, empty, j, n_footnotes, footnote_of, breaks, refs, double)
        n_footnotes += 1

    n_footnotes = _mark_continued_footnotes(lines, kinds, empty, markers, footnote_of, n_footnotes)

    pages = _page_starts(text, lines, kinds, markers, page_starts)
    if len(pages) >= 3:
        _mark_running_heads(lines, kinds, pages)

    body = [i for i, k in enumerate(kinds) if k == "text"]
    if wrapped is None:
        wrapped = _is_hard_wrapped([lines[i] for i in body])
    blocks: list[tuple[int, Block]] = []  # (first line, block), sorted later
    if wrapped:
        spacing = _line_spacing(kinds, body, empty)
        typical = _median([len(lines[i].text) for i in body])
        margin = _median([lines[i].indent + len(lines[i].text) for i in body])
        blocks.extend(_group(lines, kinds, empty, body, spacing, typical, "paragraph", margin))
        notes: dict[int, list[int]] = {}
        for i, f in footnote_of.items():
            notes.setdefault(f, []).append(i)
        for f in sorted(notes):
            grouped = _group(lines, kinds, empty, sorted(notes[f]), 0, typical, "footnote")
            blocks.extend((first, Block("footnote", b.pieces)) for first, b in grouped)
    else:
        for i, k in enumerate(kinds):
            if k in ("text", "footnote"):
                ln = lines[i]
                kind = "footnote" if k == "footnote" else ("heading" if _is_heading(ln) else "paragraph")
                blocks.append((i, Block(kind, ((ln.start, ln.end),))))
    blocks.sort(key=lambda item: item[0])
    furniture = [(lines[i].start, lines[i].end) for i, k in enumerate(kinds) if k in ("marker", "furniture", "fnmark")]
    furniture = sorted(furniture + furniture_spans)
    return Layout([b for _, b in blocks], pages, frozenset(footnote_marks), furniture)


def _mark_footnote(lines, kinds, empty, j, note, footnote_of, breaks, refs, double) -> int:
    """Mark lines from j on as footnote `note`, to the page's end (its marker or the next page), the next
    footnote, or a blank line in double-spaced text (footnotes are single-spaced there; two in single-spaced
    text). Returns the first line after it."""
    blank_run = 0
    while j < len(lines) and kinds[j] != "marker" and j not in breaks and blank_run < (1 if double else 2):
        ln = lines[j]
        if ln is not None and ln.indent < _CENTRED_INDENT and ln.text in refs and _BARE_MARK.fullmatch(ln.text):
            break
        if ln is not None:
            kinds[j] = "footnote"
            footnote_of[j] = note
            blank_run = 0
        elif empty[j]:
            blank_run += 1
        j += 1
    return j


def _after_rule(lines, empty, i: int) -> bool:
    """The nearest line above that is not empty holds only spaces: what is left of the rule above footnotes."""
    j = i - 1
    while j >= 0 and empty[j]:
        j -= 1
    return j >= 0 and lines[j] is None


def _next_text(lines, i: int, max_blank: int) -> int | None:
    blanks = 0
    while i < len(lines):
        if lines[i] is not None:
            return i
        blanks += 1
        if blanks > max_blank:
            return None
        i += 1
    return None


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _double_spaced(lines) -> bool:
    """Most printed lines are followed by one blank line."""
    one = more = 0
    for a, b in zip(lines, lines[1:]):
        if a is not None:
            if b is None:
                one += 1
            else:
                more += 1
    return one > 2 * more


def _mark_continued_footnotes(lines, kinds, empty, markers, footnote_of, n_footnotes) -> int:
    """A footnote that runs over to the next page goes on at its foot without a number. In double-spaced text it
    shows as single-spaced lines just above the page marker, set off from the double-spaced prose above them by
    two or more blank lines."""
    for m, _ in markers:
        j = m - 1
        while j >= 0 and lines[j] is None:
            j -= 1
        run = []
        while j >= 0 and lines[j] is not None and kinds[j] == "text":
            run.append(j)
            j -= 1
        blanks = 0
        while j >= 0 and lines[j] is None:
            blanks += empty[j]
            j -= 1
        prose_double_spaced = j >= 2 and lines[j] is not None and empty[j - 1] and lines[j - 2] is not None
        if len(run) >= 2 and blanks >= 2 and prose_double_spaced:
            for i in run:
                kinds[i] = "footnote"
                footnote_of[i] = n_footnotes
            n_footnotes += 1
    return n_footnotes


def _page_starts(text, lines, kinds, markers, physical) -> list[tuple[int, int]]:
    """(offset, number) at each page start. Physical page breaks (form feeds, PDF pages) say where pages start,
    numbered by the page markers on them where there are any (a lawyer cites the printed number, and an excerpt
    need not start on page 1). Without them a page marker closes its page (a footer), unless the first marker
    comes before any prose (then markers are headers and open their page)."""
    if physical:
        printed: list[int | None] = [None] * len(physical)
        for i, number in markers:
            k = bisect_right(physical, lines[i].start) - 1
            if k >= 0 and printed[k] is None:
                printed[k] = number
        known = [(k, n) for k, n in enumerate(printed) if n is not None]
        if not known or any(b[1] - a[1] != b[0] - a[0] for a, b in zip(known, known[1:])):
            return [(offset, n) for n, offset in enumerate(physical, 1)]  # no markers, or they disagree
        k0, n0 = known[0]
        return [(offset, n0 + k - k0) for k, offset in enumerate(physical)]
    if not markers:
        return []
    first_text = next((i for i, k in enumerate(kinds) if k == "text"), len(lines))
    if markers[0][0] < first_text:  # headers: "Page 3" opens page 3
        return [(lines[i].start, number) for i, number in markers]
    starts = [(0, markers[0][1])]
    for i, number in markers:
        starts.append((lines[i].end, number + 1))
    return starts


def _mark_running_heads(lines, kinds, pages) -> None:
    """Lines repeated at the top or bottom of most pages (a case caption, "CONFIDENTIAL", a docket stamp) are
    furniture. Digits are ignored when comparing, so "Page 3 of 12" and "Filed 10/14/03" repeat too."""
    bounds = [s for s, _ in pages]
    edges: dict[int, list[int]] = {}  # page index -> text lines at its top and bottom
    per_page: dict[int, list[int]] = {}
    for i, ln in enumerate(lines):
        if ln is not None and kinds[i] in ("text", "footnote"):
            per_page.setdefault(bisect_right(bounds, ln.start) - 1, []).append(i)
    for p, idx in per_page.items():
        edges[p] = idx[:2] + idx[-2:] if len(idx) > 4 else list(idx)
    key = {i: re.sub(r"\d+", "#", " ".join(lines[i].text.lower().split())) for e in edges.values() for i in e}
    counts = Counter(k for e in edges.values() for k in {key[i] for i in e})
    threshold = max(3, len(pages) // 2)
    for e in edges.values():
        for i in e:
            if counts[key[i]] >= threshold and len(lines[i].text) <= 120:
                kinds[i] = "furniture"


def _is_hard_wrapped(body: list[_Line]) -> bool:
    """Printed text: most lines stop mid-sentence, and lines are short. A file with one paragraph per line (an
    article, a docket with one entry per line, HTML or a Markdown file without wrapping) is not."""
    if len(body) < 2:
        return False
    open_ended = sum(1 for ln in body if not ln.ends_sentence)
    lengths = sorted(len(ln.text) for ln in body)
    return open_ended * 3 >= len(body) and lengths[(len(lengths) * 3) // 4] <= 120


def _line_spacing(kinds, body, empty) -> int:
    """1 for double-spaced text (a blank line after each printed line), else 0."""
    gaps = Counter()
    for a, b in zip(body, body[1:]):
        if all(kinds[j] is None for j in range(a + 1, b)):
            gaps[min(sum(empty[a + 1:b]), 2)] += 1
    # Paragraphs set apart by blank lines give gaps of 1 too, but between far fewer lines than gaps of 0.
    # (Quotations, lists and captions are single-spaced inside double-spaced opinions: 1.5 to 1 is enough.)
    return 1 if gaps[1] >= 3 and gaps[1] * 2 >= gaps[0] * 3 else 0


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2] if values else 0


def _is_heading(ln: _Line) -> bool:
    return len(ln.text) <= 90 and bool(_HEADING.fullmatch(ln.text))


def _centred(lines, i: int, margin: int) -> bool:
    """Indented far and stopping well short of the right margin, and not one of a run of lines that share their
    indent (an indented quotation) nor the first line of a paragraph whose next line starts further left."""
    ln = lines[i]
    if not _geometry_centred(ln, margin):
        return False
    for j in (i - 1, i + 1):
        other = lines[j] if 0 <= j < len(lines) else None
        if other is not None and abs(other.indent - ln.indent) <= 1:
            return False
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    return not (nxt is not None and nxt.indent < ln.indent and not ln.ends_sentence and nxt.text[0].islower()
                and not _geometry_centred(nxt, margin))


def _geometry_centred(ln: _Line, margin: int) -> bool:
    return ln.indent >= _CENTRED_INDENT and ln.indent + len(ln.text) <= margin - _CENTRED_SHORT_OF_MARGIN


def _group(lines, kinds, empty, idx: list[int], spacing: int, typical: int, kind: str, margin: int = 0):
    """Blocks of consecutive lines. A new block starts after more blank lines than the text's spacing, at a
    heading, a centred line or a list item, or where the line before ends a sentence and either is short (the
    last line of a paragraph) or the new line is indented further (the first line of a paragraph). Page furniture
    and footnotes between two lines are transparent: the paragraph goes on across the page break."""
    out = []
    current: list[int] = []
    prev: int | None = None
    prev_standalone = prev_heading = False

    def close():
        if current:
            pieces = tuple((lines[i].start, lines[i].end) for i in current)
            first = lines[current[0]]
            block_kind = kind
            if kind == "paragraph":
                if _is_heading(first) and len(current) <= 2:
                    block_kind = "heading"
                elif _LIST_ITEM.match(first.text):
                    block_kind = "list_item"
            out.append((current[0], Block(block_kind, pieces)))

    def gap(a: int, b: int) -> int | None:
        """Empty lines between lines a and b; None when furniture or a footnote stands between them."""
        return None if any(kinds[j] is not None for j in range(a + 1, b)) else sum(empty[a + 1:b])

    for n, i in enumerate(idx):
        ln = lines[i]
        centred = kind == "paragraph" and _centred(lines, i, margin)
        if prev is None:
            heading = _is_heading(ln)
            new, standalone = True, heading or centred
        else:
            p = lines[prev]
            between = range(prev + 1, i)
            transparent = any(kinds[j] is not None for j in between)
            blanks = 0 if transparent else sum(empty[prev + 1:i])
            # The spacing here: the document's, or a blank line both before and after this line (a double-spaced
            # stretch of a short text, whose count of gaps cannot tell).
            # (At the last line, the gap before the line above stands in for the gap after.)
            after = gap(i, idx[n + 1]) if n + 1 < len(idx) else (gap(idx[n - 2], prev) if n >= 2 else None)
            local = max(spacing, min(blanks, after)) if after is not None and not transparent else spacing
            # "A. Smith testified" at the start of a wrapped line is prose: a heading follows a finished sentence.
            heading = _is_heading(ln) and (p.ends_sentence or prev_standalone or blanks > local or transparent)
            standalone = heading or centred
            if prev_heading and blanks < local and not transparent and not p.ends_sentence:
                new, standalone, heading = False, True, True  # a heading wrapped onto a second line
                current.append(i)
                prev, prev_standalone, prev_heading = i, standalone, heading
                continue
            new = (blanks > local or standalone or prev_standalone
                   or (p.ends_sentence and (ln.indent > p.indent + 1 or len(p.text) < typical * _SHORT_LINE))
                   or _BULLET.match(ln.text) is not None
                   or (_LIST_ITEM.match(ln.text) is not None and p.text[-1] in ".:;"
                       # single-spaced lines in double-spaced text are a quotation or a list, set apart
                       and (local == 0 or ln.indent > p.indent + 1 or blanks < local or ln.indent >= 2)))
        if new:
            close()
            current = []
        current.append(i)
        prev, prev_standalone, prev_heading = i, standalone, heading
    close()
    return out
