"""Ingest: files in the corpus directory -> `Document`s with paragraphs and sentences at exact character offsets.

Text comes from the file itself (.txt, .md), from BeautifulSoup (.html, scripts and styles dropped) or from
pypdf's text layer (.pdf, page spans kept; a scanned page without one is read by OCR, `qa.ocr`).
`layout.recover_layout` finds its paragraphs, pages and footnotes (hard-wrapped, double-spaced print included);
each paragraph's reading text (`layout.clean_text`) is split into sentences by nupunkt, and each sentence keeps
the exact span of the original text it came from.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from pathlib import Path

from .docket import DocketEntry, find_docket_entries
from .errors import DocumentTooLargeError, UnreadableDocumentError, UnsupportedDocumentError
from .layout import Block, Layout, clean_text, recover_layout
from .ocr import recognise_pages, scanned_pages
from .schema import Document, Sentence
from .structure import (SectionPath, caption_parties, caption_roles, case_name, disposition_roles, parse_heading,
                        part_heading, starts_caption)

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
_MD_PREFIX = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")
# A "sentence" longer than this is split at word boundaries (it is a run-on line, not prose), and the splitter is
# given at most _SEGMENT_BLOCK_CHARS at once: both keep sentence splitting linear in the length of the text.
MAX_SENTENCE_CHARS = 1500
_SEGMENT_BLOCK_CHARS = 20_000
_HAS_WORD = re.compile(r"\w")
_CLOSERS = "\"')]}\u201d\u2019"
_SECTION_LABEL = re.compile(r"(?:[A-Z]|[IVXL]{1,5}|\d{1,2}|[a-z])\.")
# Abbreviations that stand before a number ("amend. 706", "cmt. n.1", "app. C"): what follows them goes on.
_NUMBERED_ABBREVIATIONS = {"amend.", "app.", "cmt.", "n.", "nn.", "p.", "pp.", "ch.", "cl.", "art.", "para.",
                           "subd.", "supp.", "sec.", "ex.", "no.", "nos.", "vol.", "pt.", "tit.", "r.", "fig."}
_LIKELY_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s+")
# Formats that are often renamed to .txt by mistake; the text checks would reject most of them anyway, this gives
# the message a name. (A PDF made only of ASCII would otherwise pass as text.)
_SIGNATURES = ((b"%PDF-", "a PDF"), (b"PK\x03\x04", "a ZIP archive (.docx, .xlsx, .zip)"),
               (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .xls)"), (b"\x89PNG", "a PNG image"),
               (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"), (b"\x1f\x8b", "a gzip archive"),
               (b"\x7fELF", "a program"), (b"MZ\x90\x00", "a Windows program"))
_BINARY_CONTROLS = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_HTML_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
_HTML_BLOCKS = ("p", "div", "section", "article", "main", "header", "footer", "li", "ul", "ol", "table", "tr",
                "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "br", "hr", "dd", "dt",
                "figcaption", "aside", "nav", "title")


def list_corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files under corpus_dir, skipping hidden files and folders, in a stable order."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return []
    files = []
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file() or path.is_symlink():
            continue
        if path.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(path)
    return files


def doc_id_for(path: Path, corpus_dir: Path) -> str:
    return path.relative_to(corpus_dir).as_posix()


def load_document(path: Path, corpus_dir: Path, max_bytes: int = 50_000_000) -> Document:
    """Read one file into a Document, or raise an `UnreadableDocumentError` that names the file and the fix."""
    path = Path(path)
    doc_id = doc_id_for(path, corpus_dir)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedDocumentError(
            f"{doc_id}: unsupported file type '{suffix}'. Supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}.")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentTooLargeError(f"{doc_id}: {size:,} bytes is over the {max_bytes:,}-byte document limit.")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocumentError(f"{doc_id}: cannot be read ({exc.strerror or exc}).") from exc
    return parse_document(data, doc_id, suffix)


def parse_document(data: bytes, doc_id: str, suffix: str) -> Document:
    suffix = suffix.lower()
    check_content(data, doc_id, suffix)
    sha = hashlib.sha256(data).hexdigest()
    pages = None
    if suffix == ".pdf":
        text, pages = _pdf_text(data, doc_id)
        title = ""
    elif suffix in {".html", ".htm"}:
        text, title = _html_text(_decode(data, doc_id), doc_id)
    else:
        text = _decode(data, doc_id)
        title = ""
    text, form_feeds = _normalise_newlines(text)
    if not text.strip():
        raise UnreadableDocumentError(f"{doc_id}: contains no text" + (
            " (no page has a text layer, nor a scan that OCR could read)." if suffix == ".pdf"
            else "."))
    # Physical page breaks: a PDF's pages, or the form feeds that start each page of a printed text file.
    physical = [start for start, _ in pages] if pages else ([0] + [f for f in form_feeds if f > 0] if form_feeds else None)
    # Text made from HTML has one block per line already: nothing in it was wrapped for print.
    layout = recover_layout(text, physical, wrapped=False if suffix in {".html", ".htm"} else None)
    markdown = suffix in {".md", ".markdown"}
    entries = find_docket_entries(text)
    blocks = with_docket_entries(layout.blocks, entries, layout.furniture) if entries else layout.blocks
    paragraphs, sentences, sections = _read_blocks(text, doc_id, layout, blocks, markdown,
                                                   {e.start: e for e in entries})
    if not sentences:  # nothing but what looks like page furniture ("-4-" alone): keep it rather than lose it
        lines = [Block("paragraph", (m.span(),)) for m in re.finditer(r"[^\n]*\S[^\n]*", text)]
        paragraphs, sentences, sections = _read_blocks(text, doc_id, Layout(lines), lines, markdown)
    caption = None if markdown else case_name(text)
    if not title:
        # a court paper is known by its case name; other text by its first line
        title = caption or _title_from_text(text, paragraphs, markdown) or Path(doc_id).stem
    texts = [s.text for s in sentences]
    # a court paper's caption lines and dispositions, each read and found after what it is
    roles = {**disposition_roles(texts), **caption_roles(texts, caption_parties(text))} if caption else {}
    return Document(doc_id=doc_id, title=title, text=text, sha256=sha, sentences=sentences,
                    paragraphs=paragraphs, pages=pages, sections=sections, roles=roles)


def with_docket_entries(blocks: list[Block], entries: list[DocketEntry],
                        furniture: list[tuple[int, int]] = ()) -> list[Block]:
    """The blocks with each docket entry as one block of its own, in place of whatever the layout made of its
    lines: an entry is cited as a unit, and a wrapped entry must not run into the next one. Lines the layout found
    to be page furniture (a "Page 3 of 12" footer, a running header between two lines of an entry) stay out."""
    from bisect import bisect_right

    starts = [e.start for e in entries]
    furniture_starts = {a for a, _ in furniture}

    def inside(position: int) -> bool:
        k = bisect_right(starts, position) - 1
        return k >= 0 and position < entries[k].end
    kept = []
    for b in blocks:
        # A block the layout ran on from the line above the first row (a table's "Date Filed  #  Docket Text"
        # header) into the rows keeps only its own lines: the rows are read once, as entries.
        pieces = tuple(piece for piece in b.pieces if not inside(piece[0]))
        if pieces:
            kept.append(b if len(pieces) == len(b.pieces) else Block(b.kind, pieces))
    for e in entries:  # the first line is the row itself, with its date: never furniture
        pieces = e.pieces[:1] + tuple(p for p in e.pieces[1:] if p[0] not in furniture_starts)
        kept.append(Block("docket_entry", pieces))
    return sorted(kept, key=lambda b: b.start)


def _read_blocks(text: str, doc_id: str, layout: Layout, blocks: list[Block], markdown: bool,
                 entries: dict[int, DocketEntry] | None = None):
    """Paragraph spans, sentences and sections of the blocks that have any sentences, each sentence at its exact
    original span with its reading text and page(s); a paragraph's section is the heading it is under (or the
    docket entry it is). `entries`: the docket entries of the "docket_entry" blocks, by start offset."""
    paragraphs: list[tuple[int, int]] = []
    sentences: list[Sentence] = []
    sections: list[str | None] = []
    path = SectionPath()
    for block in blocks:
        pieces = block.pieces
        heading_level = None
        if markdown:  # "# ", "- ", "1. ", "> " mark the block; they are not its text
            p0, p1 = pieces[0]
            m = _MD_PREFIX.match(text[p0:p1])  # on the slice: "^" would not match at a `pos` inside the text
            if m and p0 + m.end() < p1:
                pieces = ((p0 + m.end(), p1),) + pieces[1:]
                if m.group().startswith("#"):
                    heading_level = m.group().count("#")
        clean, offsets = clean_text(text, pieces, layout.footnote_marks)
        entry = (entries or {}).get(block.start) if block.kind == "docket_entry" else None
        # A docket entry is read whole, its date and number first, so every question about it finds them.
        spans = _bounded(clean, 0, len(clean), MAX_SENTENCE_CHARS) if entry is not None else _segment(clean)
        if not spans:
            continue
        if heading_level is not None:
            path.enter(parse_heading("#" * heading_level + " " + clean))  # the "#"s were cut from the reading text
        elif block.kind == "heading" and (heading := parse_heading(clean)) is not None:
            path.enter(heading)
        elif block.kind == "paragraph" and (part := part_heading(clean)) is not None:
            path.enter(part)
        elif any(starts_caption(text[a:b].strip()) for a, b in pieces):
            path.close()  # a case number on a line of its own: another document's caption begins
        p_index = len(paragraphs)
        paragraphs.append((block.start, block.end))
        sections.append(entry.label if entry is not None else path.label)
        for s, e in spans:
            start, end = offsets.span(s, e, clean, text)
            page = layout.page_of(start)
            last = layout.page_of(end - 1)
            sentences.append(Sentence(doc_id, len(sentences), start, end, p_index, page, clean[s:e],
                                      last if last != page else None, offsets.sub(s, e).anchors))
    return paragraphs, sentences, sections


def check_content(data: bytes, doc_id: str, suffix: str) -> None:
    """The bytes are what the extension says, judged by content: a PDF starts with `%PDF-`; .txt .md .html are
    UTF-8 text without NUL bytes and not another format renamed. Raises an `UnreadableDocumentError` subclass."""
    suffix = suffix.lower()
    head = data[:16].lstrip()
    if suffix == ".pdf":
        if not head.startswith(b"%PDF-"):
            kind = _known_format(head)
            raise UnsupportedDocumentError(f"{doc_id}: is not a PDF (it does not start with %PDF-"
                                           + (f"; it looks like {kind}" if kind else "") + ").")
        return
    kind = _known_format(head)
    if kind:
        raise UnsupportedDocumentError(f"{doc_id}: looks like {kind}, not {suffix} text"
                                       + ("; give it the .pdf extension." if kind == "a PDF" else "."))
    if b"\x00" in data:
        raise UnreadableDocumentError(f"{doc_id}: looks like a binary file, not text (it has NUL bytes; "
                                      "UTF-16 text must be saved as UTF-8).")
    text = _decode(data, doc_id)
    sample = text[:65536]
    controls = len(_BINARY_CONTROLS.findall(sample))
    if controls > max(8, len(sample) // 100):
        raise UnreadableDocumentError(f"{doc_id}: looks like a binary file, not text "
                                      f"({controls} control characters in its first {len(sample):,}).")


def _known_format(head: bytes) -> str | None:
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end] (newlines in it count as spaces), at exact offsets."""
    chunk = text[start:end].replace("\n", " ")
    return [(start + s, start + e) for s, e in _segment(chunk)]


def _segment(chunk: str) -> list[tuple[int, int]]:
    """Sentence spans of chunk, trimmed. nupunkt, a Punkt model trained on legal text, keeps "18 U.S.C. §
    924(c)", "Id. at 313", "F.3d", "Cir.", "Hon.", "cmt.", "cert. denied" and "Fed. R. Evid." inside their
    sentences (pysbd cut after the last four). Bounded for hostile input: the splitter sees at most
    `_SEGMENT_BLOCK_CHARS` at a time, cut where a sentence most likely ends, and a "sentence" longer than
    `MAX_SENTENCE_CHARS` (megabytes of words without a full stop) is split at word boundaries."""
    spans: list[tuple[int, int]] = []
    for b0, b1 in _blocks(chunk, _SEGMENT_BLOCK_CHARS):
        for s, e in _segment_block(chunk, b0, b1):
            if spans and _continues(chunk, spans[-1], s, e) and e - spans[-1][0] <= MAX_SENTENCE_CHARS:
                spans[-1] = (spans[-1][0], e)
                continue
            spans.extend(_bounded(chunk, s, e, MAX_SENTENCE_CHARS))
    return spans


def _blocks(chunk: str, limit: int):
    """(start, end) pieces of chunk no longer than limit, each ending after sentence-final punctuation when the
    second half of the window has one, else after a space, else at the limit."""
    pos, n = 0, len(chunk)
    while n - pos > limit:
        lo, hi = pos + limit // 2, pos + limit
        cut = None
        for m in _LIKELY_END.finditer(chunk, lo, hi):
            cut = m.end()
        if cut is None:
            space = chunk.rfind(" ", lo, hi)
            cut = space + 1 if space >= lo else hi
        yield pos, cut
        pos = cut
    yield pos, n


def _continues(chunk: str, previous: tuple[int, int], s: int, e: int) -> bool:
    """A piece the splitter cut off that belongs to the sentence before: the end of a quotation ('"), cert.
    denied, ...'), the rest of an open parenthesis, or a number after an abbreviation the model does not know
    ("amend. 706")."""
    # A straight quote before a word opens a quotation: '... 543 U.S. 1074 (2005). "Police may search ...' is two
    # sentences, and only a heading's label ('A. "Based on a Sentencing Range"') runs on into one.
    opens_quote = chunk[s] in "\"'" and chunk[s + 1:s + 2].isalnum()
    if (chunk[s] in _CLOSERS and not opens_quote) or not _HAS_WORD.search(chunk, s, e):
        return True
    before = chunk[previous[0]:previous[1]]
    if opens_quote:
        return _SECTION_LABEL.fullmatch(before) is not None
    if before.count("(") > before.count(")") and ")" in chunk[s:min(e, s + 200)]:
        return True  # "(D. Me. | Feb. 29, 2008)": a parenthesis is not closed across a sentence end
    last_word = chunk[max(previous[0], chunk.rfind(" ", previous[0], previous[1]) + 1):previous[1]]
    return chunk[s].isdigit() and last_word.lower() in _NUMBERED_ABBREVIATIONS


def _segment_block(chunk: str, b0: int, b1: int) -> list[tuple[int, int]]:
    import nupunkt

    spans = []
    for s, e in nupunkt.sent_spans(chunk[b0:b1]):  # contiguous spans: trailing whitespace is trimmed here
        span = _trim(chunk, b0 + s, b0 + e)
        if span:
            spans.append(span)
    return spans


def _bounded(chunk: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split chunk[start:end] into pieces of at most limit characters at whitespace (or at the limit when a
    stretch has none), trimmed; offsets stay exact."""
    out = []
    while end - start > limit:
        cut = start + limit
        for i in range(start + limit, start + limit // 2, -1):
            if chunk[i].isspace():
                cut = i
                break
        piece = _trim(chunk, start, cut)
        if piece:
            out.append(piece)
        start = cut
        while start < end and chunk[start].isspace():
            start += 1
    piece = _trim(chunk, start, end)
    if piece:
        out.append(piece)
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _normalise_newlines(text: str) -> tuple[str, list[int]]:
    """The text with Unix newlines and control characters as spaces, and where its form feeds were: a printed
    text file starts each page with one. (Each control character becomes one space, so offsets agree.)"""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    form_feeds = [m.start() for m in re.finditer("\f", text)]
    # Other control characters break display and tokenisers; tabs and newlines stay.
    return re.sub(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text), form_feeds


def _decode(data: bytes, doc_id: str) -> str:
    if b"\x00" in data:
        raise UnreadableDocumentError(f"{doc_id}: looks like a binary file, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(
            f"{doc_id}: is not valid UTF-8 text (byte {exc.start}); save it as UTF-8 and add it again.") from exc


def _html_text(html: str, doc_id: str) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(html, "html.parser")
    except Exception as exc:  # the parser's failures are varied; any of them means the same to the user
        raise UnreadableDocumentError(f"{doc_id}: HTML could not be parsed ({exc}).") from exc
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    raw = _html_visible_text(soup)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw)]
    if not title:
        h1 = next((p for p in paragraphs if p), "")
        title = h1 if len(h1) <= 150 else ""
    return "\n\n".join(p for p in paragraphs if p), title


def _html_visible_text(soup) -> str:
    """The text of the page with a blank line around each block element and without scripts, styles, comments.
    One pass with an explicit stack: no recursion limit on deeply nested pages, and linear time (inserting the
    blank lines into the tree instead is quadratic in the nesting depth)."""
    from bs4.element import CData, NavigableString, Tag

    out, stack = [], [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append("\n\n")
        elif isinstance(node, Tag):
            if node.name in _HTML_DROP:
                continue
            if node.name in _HTML_BLOCKS:
                out.append("\n\n")
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes or processing instructions
            out.append(str(node))
    return "".join(out)


def _pdf_text(data: bytes, doc_id: str) -> tuple[str, list[tuple[int, int]]]:
    """The PDF's text and each page's (start, end) span in it. A page's text comes from its text layer or, when it
    is a scan (no text layer, or only a filing stamp, over an image), from OCR (qa/ocr.py): so a mixed PDF reads
    both kinds of page, and a sentence on a scanned page gets its page number like any other."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{doc_id}: the PDF is encrypted; save an unencrypted copy.")
        texts = [(page.extract_text() or "") for page in reader.pages]
        scanned = scanned_pages(reader.pages, texts)
    except UnreadableDocumentError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed files
        raise UnreadableDocumentError(f"{doc_id}: the PDF could not be read ({type(exc).__name__}: {exc}).") from exc
    if scanned:  # a PDF with a text layer on every page never touches OCR
        for page, text in zip(scanned, recognise_pages(data, doc_id, scanned)):
            if text.strip() or not page.stamped:  # OCR of a stamped page reads its stamp too: it replaces it
                texts[page.index] = text
    parts, pages, pos = [], [], 0
    for text in texts:
        text = text.strip()
        pages.append((pos, pos + len(text)))
        parts.append(text)
        pos += len(text) + 2
    return "\n\n".join(parts), pages


def _title_from_text(text: str, paragraphs: list[tuple[int, int]], markdown: bool) -> str:
    if markdown:
        m = re.search(r"^#{1,6}\s+(.+)$", text, re.M)
        if m:
            return m.group(1).strip()
    if paragraphs:
        first_line = text[paragraphs[0][0]:paragraphs[0][1]].split("\n", 1)[0].strip()
        if len(first_line) <= 150:
            return _MD_PREFIX.sub("", first_line) if markdown else first_line
    return ""
