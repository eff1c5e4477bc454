"""Ingest: files in the corpus directory -> `Document`s with paragraphs and sentences at exact character offsets.

Text comes from the file itself (.txt, .md), from BeautifulSoup (.html, scripts and styles dropped) or from
pypdf's text layer (.pdf, page spans kept). Sentences come from pysbd, a rule-based splitter that needs no
downloaded data; we locate each sentence in the text ourselves so offsets are exact.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from functools import lru_cache
from pathlib import Path

from .errors import DocumentTooLargeError, UnreadableDocumentError, UnsupportedDocumentError
from .schema import Document, Sentence

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MD_PREFIX = re.compile(r"^(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")
# A "sentence" longer than this is split at word boundaries (it is a run-on line, not prose), and pysbd is
# given at most _SEGMENT_BLOCK_CHARS at once: both keep sentence splitting linear in the length of the text.
MAX_SENTENCE_CHARS = 1500
_SEGMENT_BLOCK_CHARS = 3000
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
    text = _normalise_newlines(text)
    if not text.strip():
        raise UnreadableDocumentError(f"{doc_id}: contains no text" + (
            " (a scanned PDF without a text layer needs OCR first)." if suffix == ".pdf" else "."))
    blank_line_mode = suffix == ".pdf" or suffix in {".html", ".htm"} or bool(_BLANK_LINE.search(text.strip()))
    paragraphs = split_paragraphs(text, blank_line_mode)
    markdown = suffix in {".md", ".markdown"}
    sentences = []
    for p_index, (p_start, p_end) in enumerate(paragraphs):
        if markdown:
            m = _MD_PREFIX.match(text, p_start, p_end)
            if m:
                p_start = m.end()
        for start, end in split_sentences(text, p_start, p_end):
            page = _page_of(pages, start) if pages else None
            sentences.append(Sentence(doc_id, len(sentences), start, end, p_index, page, text[start:end]))
    if not title:
        title = _title_from_text(text, paragraphs, markdown) or Path(doc_id).stem
    return Document(doc_id=doc_id, title=title, text=text, sha256=sha, sentences=sentences,
                    paragraphs=paragraphs, pages=pages)


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


def split_paragraphs(text: str, blank_line_mode: bool) -> list[tuple[int, int]]:
    """Paragraph spans, trimmed of surrounding whitespace. Without blank lines in a text, each line is one."""
    separator = _BLANK_LINE if blank_line_mode else re.compile(r"\n")
    spans, pos = [], 0
    for m in list(separator.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        span = _trim(text, pos, end)
        if span:
            spans.append(span)
        if m:
            pos = m.end()
    return spans


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside text[start:end], located exactly (pysbd may normalise what it returns).

    Bounded for hostile input: pysbd is quadratic on some texts (many abbreviations, many repeated sentences),
    so it sees at most `_SEGMENT_BLOCK_CHARS` at a time, cut where a sentence most likely ends; and a "sentence"
    longer than `MAX_SENTENCE_CHARS` (megabytes of words without a full stop) is split at word boundaries."""
    # Newlines inside a paragraph are wrapping, not boundaries; same length keeps offsets valid.
    chunk = text[start:end].replace("\n", " ")
    spans = []
    for b0, b1 in _blocks(chunk, _SEGMENT_BLOCK_CHARS):
        for s, e in _segment_block(chunk, b0, b1):
            spans.extend(_bounded(chunk, s, e, MAX_SENTENCE_CHARS))
    return [(start + s, start + e) for s, e in spans]


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


def _segment_block(chunk: str, b0: int, b1: int) -> list[tuple[int, int]]:
    block = chunk[b0:b1]
    spans, cursor = [], 0
    # The processor's sentences, located by us from a moving cursor: pysbd's own `segment` maps them back with
    # a search over the whole text per sentence, quadratic when sentences repeat.
    for segment in _segmenter().processor(block).process() or []:
        segment = segment.strip()
        if not segment:
            continue
        found = block.find(segment, cursor)
        if found < 0:  # pysbd changed the text: keep the rest as one sentence rather than lose it
            span = _trim(block, cursor, len(block))
            if span:
                spans.append(span)
            cursor = len(block)
            break
        spans.append((found, found + len(segment)))
        cursor = found + len(segment)
    tail = _trim(block, cursor, len(block))
    if tail:
        spans.append(tail)
    return [(b0 + s, b0 + e) for s, e in spans]


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


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _normalise_newlines(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    # Other control characters break display and tokenisers; tabs and newlines stay.
    return re.sub(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)


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
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{doc_id}: the PDF is encrypted; save an unencrypted copy.")
        texts = [(page.extract_text() or "") for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed files
        raise UnreadableDocumentError(f"{doc_id}: the PDF could not be read ({type(exc).__name__}: {exc}).") from exc
    parts, pages, pos = [], [], 0
    for text in texts:
        text = text.strip()
        pages.append((pos, pos + len(text)))
        parts.append(text)
        pos += len(text) + 2
    return "\n\n".join(parts), pages


def _page_of(pages: list[tuple[int, int]], offset: int) -> int:
    for number, (start, end) in enumerate(pages, 1):
        if offset < end + 2:
            return number
    return len(pages)


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
