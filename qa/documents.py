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
    """Sentence spans inside text[start:end], located exactly (pysbd may normalise what it returns)."""
    # Newlines inside a paragraph are wrapping, not boundaries; same length keeps offsets valid.
    chunk = text[start:end].replace("\n", " ")
    spans, cursor = [], 0
    for segment in _segmenter().segment(chunk):
        segment = segment.strip()
        if not segment:
            continue
        found = chunk.find(segment, cursor)
        if found < 0:  # pysbd changed the text: keep the rest as one sentence rather than lose it
            span = _trim(chunk, cursor, len(chunk))
            if span:
                spans.append(span)
            cursor = len(chunk)
            break
        spans.append((found, found + len(segment)))
        cursor = found + len(segment)
    tail = _trim(chunk, cursor, len(chunk))
    if tail:
        spans.append(tail)
    return [(start + s, start + e) for s, e in spans]


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
    if b"\x00" in data[:8192]:
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
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    raw = soup.get_text("")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", raw)]
    if not title:
        h1 = next((p for p in paragraphs if p), "")
        title = h1 if len(h1) <= 150 else ""
    return "\n\n".join(p for p in paragraphs if p), title


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
