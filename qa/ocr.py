"""OCR: the text of PDF pages that have no text layer (scanned pages), read by Debian's tesseract.

Each page is rendered to a grey image by poppler's `pdftoppm` and read by tesseract through `pytesseract`. Both run
as child processes, which is what makes a hostile page safe to read: a child can be given a deadline and a memory
cap and be killed, where an image decoded inside this process (pypdf's `page.images` + Pillow) could not be stopped.
Rendering the page, rather than pulling out its embedded images, also reads what a person sees: several image
strips, masks, rotation, and the JBIG2 and CCITT scans that pypdf cannot decode.

The work is bounded per document (`MAX_OCR_PAGES`, `OCR_SECONDS_PER_DOCUMENT`) and leaves nothing behind: the page
images live in a temporary folder for the length of one call, and the recognised text is kept only in the index.
`scripts/install-ocr.sh` installs the two programs; `pytesseract` is a dependency of the package.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import OCRLimitError, OCRUnavailableError, UnreadableDocumentError

log = logging.getLogger(__name__)

# How an unreadable scan is listed (`python -m qa docs`); the index looks for it to re-read such files once OCR is
# installed.
NEEDS_OCR = "scanned: install OCR to read it"
INSTALL_HINT = "run scripts/install-ocr.sh (Debian's tesseract-ocr, tesseract-ocr-eng and poppler-utils)"
# A scanned court record of a few hundred pages takes tesseract minutes to hours on a laptop CPU: past these a
# document is refused with a message rather than holding up every question while the index is built.
MAX_OCR_PAGES = 50
OCR_SECONDS_PER_DOCUMENT = 300.0
# 300 dpi is what tesseract is tuned for. A page with a huge MediaBox is rendered at a lower resolution so that its
# image is at most _MAX_SIDE_PIXELS on its longer side (about 25 MP of grey: bounded memory for both programs).
_DPI = 300
_MAX_SIDE_PIXELS = 5000
# pdftoppm decodes each embedded image at its full size before scaling it to the page: an image is refused before
# rendering past _MAX_IMAGE_PIXELS (a Letter page scanned at 1200 dpi is 135 MP; a decompression bomb declares
# billions), and pdftoppm's address space is capped for whatever gets past that.
_MAX_IMAGE_PIXELS = 200_000_000
_RENDER_MEMORY_BYTES = 2 * 1024 ** 3
_LANGUAGE = "eng"


@dataclass(frozen=True)
class ScannedPage:
    """A page to OCR: its index in the PDF (0-based), its size in points (1/72 in) as pdftoppm will draw it, the
    pixel count its largest image declares, and whether it has a (stamp-sized) text layer of its own."""
    index: int
    width: float
    height: float
    image_pixels: int = 0
    stamped: bool = False


def scanned_pages(pages, texts: list[str]) -> list[ScannedPage]:
    """The pypdf `pages` (with their text layers `texts`) that OCR should read: a page without a text layer that
    draws an image, and a page whose text layer is only a stamp over a page-sized image. The second is how a court
    files a scan: the e-filing system stamps "Case 1:20-cv-01234 Document 5 Filed 01/02/21 Page 1 of 3" on it as
    text, and reading only that text would lose the page."""
    found = []
    for index, (page, text) in enumerate(zip(pages, texts)):
        chars = len("".join(text.split()))
        if chars >= _STAMP_CHARS:
            continue
        pixels = largest_image(page)
        if pixels is None or (chars and pixels < _PAGE_SCAN_PIXELS):
            continue  # nothing to read, or a logo or seal beside a short text: the text layer is the page
        found.append(ScannedPage(index, float(page.cropbox.width), float(page.cropbox.height), pixels, chars > 0))
    return found


# A text layer under this many characters (not counting spaces) may be a stamp; the ECF header above is 55.
_STAMP_CHARS = 150
# An image of at least this many pixels is a scanned page, not a logo: a Letter page at 100 dpi is 935,000.
_PAGE_SCAN_PIXELS = 900_000


def missing_tools() -> list[str]:
    """The OCR programs and Python package that are not installed here (empty when OCR can run)."""
    missing = []
    try:
        import pytesseract
    except ImportError:
        missing.append("the pytesseract package")
        tesseract = "tesseract"
    else:
        tesseract = pytesseract.pytesseract.tesseract_cmd
    found = shutil.which(tesseract)
    if found is None:
        missing.append("tesseract")
    elif not _has_language(found):
        missing.append(f"tesseract's '{_LANGUAGE}' language data")
    if shutil.which("pdftoppm") is None:
        missing.append("pdftoppm")
    return missing


@functools.lru_cache(maxsize=8)
def _has_language(tesseract: str) -> bool:
    """Whether this tesseract has the language we read (asked once per tesseract: the index asks on every
    staleness check while a scan waits for OCR, and without this a tesseract lacking the data would rebuild the
    index on every question)."""
    try:
        result = subprocess.run([tesseract, "--list-langs"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return _LANGUAGE in result.stdout.decode("utf-8", "replace").split()


def ocr_available() -> bool:
    return not missing_tools()


def resolution_for(page: ScannedPage) -> int:
    """Dots per inch to render the page at: _DPI, or less where that would make an image over _MAX_SIDE_PIXELS."""
    longest = max(page.width, page.height)
    if not longest > 0:  # a missing or nonsense MediaBox: pdftoppm falls back to a Letter page
        return _DPI
    return max(1, min(_DPI, int(_MAX_SIDE_PIXELS * 72 / longest)))


def recognise_pages(data: bytes, doc_id: str, pages: list[ScannedPage], max_pages: int | None = None,
                    seconds: float | None = None) -> list[str]:
    """The text tesseract reads on each of `pages` of the PDF `data`, in order. Raises `OCRUnavailableError` when
    OCR is not installed (unless every page is stamped: then it logs a warning and reads nothing), `OCRLimitError`
    past the page, image-size or time limit, `UnreadableDocumentError` when a page cannot be drawn or read."""
    max_pages = MAX_OCR_PAGES if max_pages is None else max_pages
    seconds = OCR_SECONDS_PER_DOCUMENT if seconds is None else seconds
    if not pages:
        return []
    missing = missing_tools()
    if missing and all(page.stamped for page in pages):
        # Every page has some text of its own: read that rather than nothing, and say what was missed.
        log.warning("%s: %s of stamped scans read from the text layer alone (%s not installed: %s)", doc_id,
                    _pages(len(pages)), " and ".join(missing), INSTALL_HINT)
        return [""] * len(pages)
    if missing:
        pages = [page for page in pages if not page.stamped]
        raise OCRUnavailableError(
            f"{doc_id}: {NEEDS_OCR} ({_pages(len(pages))} without a text layer, and "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_HINT}, "
            "then re-index with `python -m qa index`).")
    if len(pages) > max_pages:
        raise OCRLimitError(
            f"{doc_id}: scanned: {len(pages)} scanned pages, over the OCR limit of {max_pages} pages per "
            f"document. {_LIMIT_FIX}")
    oversized = next((page for page in pages if page.image_pixels > _MAX_IMAGE_PIXELS), None)
    if oversized is not None:
        raise OCRLimitError(
            f"{doc_id}: scanned: page {oversized.index + 1} draws an image of {oversized.image_pixels:,} pixels, "
            f"over the OCR limit of {_MAX_IMAGE_PIXELS:,}. {_LIMIT_FIX}")
    deadline = time.monotonic() + seconds
    texts = []
    with tempfile.TemporaryDirectory(prefix="qa-ocr-") as folder:
        pdf = Path(folder) / "document.pdf"
        pdf.write_bytes(data)
        for done, page in enumerate(pages):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _out_of_time(doc_id, seconds, done, len(pages))
            image = _render(pdf, page, Path(folder), remaining, doc_id, seconds, done, len(pages))
            texts.append(_read(image, page, deadline - time.monotonic(), doc_id, seconds, done, len(pages)))
            image.unlink()  # one page image on disk at a time
    return texts


_LIMIT_FIX = ("Add a text layer with an OCR program (for example `ocrmypdf in.pdf out.pdf`) and put that copy in "
              "the corpus, or split the PDF.")


def _pages(n: int) -> str:
    return f"{n} page" + ("" if n == 1 else "s")


def _out_of_time(doc_id: str, seconds: float, done: int, total: int) -> OCRLimitError:
    return OCRLimitError(f"{doc_id}: scanned: OCR stopped at the limit of {seconds:g} s per document, after "
                         f"{done} of {total} scanned {'page' if total == 1 else 'pages'}. {_LIMIT_FIX}")


def _memory_capped(command: list[str]) -> list[str]:
    """`command` run under util-linux's prlimit with an address-space cap. (Not `preexec_fn` + `resource`: that is
    unsafe in a process with threads, as the app is.) Where prlimit is missing the time limit still holds."""
    prlimit = shutil.which("prlimit")
    return [prlimit, f"--as={_RENDER_MEMORY_BYTES}", "--", *command] if prlimit else command


def _render(pdf: Path, page: ScannedPage, folder: Path, timeout: float, doc_id: str, seconds: float, done: int,
            total: int) -> Path:
    """The page as a grey PGM image in `folder`, drawn by pdftoppm (1-based page numbers) within `timeout`."""
    number = str(page.index + 1)
    out = folder / f"page-{number}"
    command = ["pdftoppm", "-f", number, "-l", number, "-r", str(resolution_for(page)), "-gray", "-singlefile",
               str(pdf), str(out)]
    try:
        result = subprocess.run(_memory_capped(command), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise _out_of_time(doc_id, seconds, done, total) from None
    except OSError as exc:  # pdftoppm went missing between the check and now
        raise OCRUnavailableError(f"{doc_id}: {NEEDS_OCR} (pdftoppm: {exc.strerror or exc}; "
                                  f"{INSTALL_HINT}).") from exc
    image = out.with_suffix(".pgm")
    if result.returncode != 0 or not image.is_file():
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UnreadableDocumentError(
            f"{doc_id}: page {number} has no text layer and could not be drawn for OCR "
            f"({reason[-1] if reason else f'pdftoppm exit status {result.returncode}'}).")
    return image


def _read(image: Path, page: ScannedPage, timeout: float, doc_id: str, seconds: float, done: int,
          total: int) -> str:
    """tesseract's text for one page image (its page-end form feed dropped)."""
    import pytesseract

    if timeout <= 0:
        raise _out_of_time(doc_id, seconds, done, total)
    try:
        text = pytesseract.image_to_string(str(image), lang=_LANGUAGE, timeout=timeout)
    except pytesseract.TesseractNotFoundError as exc:
        raise OCRUnavailableError(f"{doc_id}: {NEEDS_OCR} (tesseract was not found; "
                                  f"{INSTALL_HINT}).") from exc
    except pytesseract.TesseractError as exc:
        if "language" in str(exc.message).lower():  # tesseract without its English data (tesseract-ocr-eng)
            raise OCRUnavailableError(f"{doc_id}: {NEEDS_OCR} (tesseract has no '{_LANGUAGE}' "
                                      f"language data; {INSTALL_HINT}).") from exc
        raise UnreadableDocumentError(f"{doc_id}: tesseract could not read page {page.index + 1} "
                                      f"({exc.message or exc.status}).") from exc
    except RuntimeError as exc:  # pytesseract's way of saying its timeout killed tesseract
        if "timeout" in str(exc).lower():
            raise _out_of_time(doc_id, seconds, done, total) from None
        raise
    return text.replace("\x0c", "").strip()


def largest_image(page) -> int | None:
    """The pixel count (width x height, as declared) of the largest image XObject that a pypdf page paints,
    directly or inside a form XObject (how scanners, and Pillow, put a scan on a page); None when it paints none.
    Inline images (`BI ... EI`, small by design) are not looked for. A hostile file's resources may be deep, wide
    or cyclic: at most _MAX_XOBJECTS are looked at, and anything unreadable is not an image."""
    stack, looked_at, largest = [page.get("/Resources")], 0, None
    while stack and looked_at < _MAX_XOBJECTS:
        try:
            resources = stack.pop()
            resources = resources.get_object() if resources is not None else None
            xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
            xobjects = xobjects.get_object() if xobjects is not None else None
            for ref in (xobjects.values() if hasattr(xobjects, "values") else ()):
                looked_at += 1
                if looked_at > _MAX_XOBJECTS:
                    break
                xobject = ref.get_object()
                subtype = xobject.get("/Subtype") if hasattr(xobject, "get") else None
                if subtype == "/Image":
                    pixels = _declared_pixels(xobject)
                    largest = pixels if largest is None else max(largest, pixels)
                elif subtype == "/Form":
                    stack.append(xobject.get("/Resources"))
        except Exception:  # pypdf raises many types on malformed objects
            continue
    return largest


def _declared_pixels(image) -> int:
    try:
        return max(0, int(image.get("/Width", 0))) * max(0, int(image.get("/Height", 0)))
    except (TypeError, ValueError):
        return 0


_MAX_XOBJECTS = 1000
