"""Scanned PDFs: pages without a text layer are read by OCR (qa/ocr.py), with page numbers; without OCR installed
such a PDF is listed as "scanned: install OCR to read it"; OCR is bounded in pages, time and image size.

Each test makes its scan itself: Pillow draws the text on a white page and saves it as a PDF, which has an image
and no text layer. The tests that run tesseract skip with a message when it is not installed."""

from __future__ import annotations

import io
import time
import zlib

import pytest

from qa import ocr
from qa.documents import parse_document
from qa.errors import OCRLimitError, OCRUnavailableError, UnreadableDocumentError
from tests.conftest import SEED, assert_sentence_offsets, make_pdf

needs_ocr = pytest.mark.skipif(not ocr.ocr_available(), reason=(
    f"OCR is not installed ({', '.join(ocr.missing_tools())} missing): run scripts/install-ocr.sh "
    "and pip install pytesseract"))

FIRST = ["The hearing was held on July 9, 2021.", "The court denied the motion to dismiss."]
SECOND = ["The plaintiff appealed the order.", "The appeal was dismissed in March."]


def scanned_pdf(pages: list[list[str]]) -> bytes:
    """A PDF of Letter pages scanned at 200 dpi: each page an image with its lines of text, and no text layer."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=36)  # Pillow's own font: no system fonts needed
    images = []
    for lines in pages:
        image = Image.new("L", (1700, 2200), 255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(lines):
            draw.text((150, 400 + 70 * row), line, font=font, fill=0)  # below a filing stamp
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=200, save_all=True, append_images=images[1:])
    return out.getvalue()


def joined(*pdfs: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def sentences_by_page(doc) -> list[tuple[int, str]]:
    return [(s.page, s.text) for s in doc.sentences]


def test_the_scan_made_here_has_no_text_layer():
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(scanned_pdf([FIRST])))
    assert not reader.pages[0].extract_text().strip()
    assert ocr.largest_image(reader.pages[0]) == 1700 * 2200


@needs_ocr
def test_a_scanned_pdf_is_read_with_page_numbers():
    doc = parse_document(scanned_pdf([FIRST, SECOND]), "scan.pdf", ".pdf")
    assert sentences_by_page(doc) == [(1, FIRST[0]), (1, FIRST[1]), (2, SECOND[0]), (2, SECOND[1])]
    assert_sentence_offsets(doc)
    assert len(doc.pages) == 2 and doc.text[slice(*doc.pages[1])].startswith("The plaintiff")


@needs_ocr
def test_a_mixed_pdf_reads_its_text_layer_and_ocrs_its_scanned_page(monkeypatch):
    recognised = []
    real = ocr.recognise_pages
    monkeypatch.setattr("qa.documents.recognise_pages",
                        lambda data, doc_id, pages: recognised.extend(p.index for p in pages) or real(data, doc_id, pages))
    typed = "The clerk entered the judgment on Monday."
    doc = parse_document(joined(make_pdf([typed]), scanned_pdf([SECOND])), "mixed.pdf", ".pdf")
    assert recognised == [1]  # only the page without a text layer went to OCR
    assert sentences_by_page(doc) == [(1, typed), (2, SECOND[0]), (2, SECOND[1])]
    assert_sentence_offsets(doc)


@pytest.mark.parametrize("how", ["no programs on PATH", "tesseract command not found"])
def test_without_ocr_a_scan_is_listed_as_needing_it(monkeypatch, tmp_path, how):
    if how == "no programs on PATH":
        monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: neither tesseract nor pdftoppm
    else:
        pytesseract = pytest.importorskip("pytesseract")
        monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "tesseract"))
    assert not ocr.ocr_available()
    with pytest.raises(OCRUnavailableError) as caught:
        parse_document(joined(make_pdf(["A typed page."]), scanned_pdf([FIRST])), "mixed.pdf", ".pdf")
    message = str(caught.value)
    assert message.startswith("mixed.pdf: scanned: install OCR to read it")
    assert "scripts/install-ocr.sh" in message and "1 page without a text layer" in message
    assert "tesseract" in message
    # A PDF whose pages all have a text layer needs no OCR, installed or not.
    assert sentences_by_page(parse_document(make_pdf(["A typed page."]), "typed.pdf", ".pdf")) == [(1, "A typed page.")]


STAMP = "Case 1:20-cv-01234 Document 5 Filed 01/02/21 Page 1 of 1"


def overlaid(under: bytes, over: bytes) -> bytes:
    """A one-page PDF: the first page of `over` drawn on top of the first page of `under`."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(under)))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(over)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stamped_scan() -> bytes:
    """A scanned page that an e-filing system stamped with a one-line text layer, as courts file scans."""
    return overlaid(scanned_pdf([FIRST]), make_pdf([STAMP]))


@needs_ocr
def test_a_scan_with_only_a_filing_stamp_as_text_is_read_by_ocr():
    doc = parse_document(stamped_scan(), "filed.pdf", ".pdf")
    read = " ".join(s.text for s in doc.sentences)
    assert FIRST[0] in read and FIRST[1] in read and {s.page for s in doc.sentences} == {1}
    assert doc.text.startswith("Case 1:20-cv-01234 Document 5")  # the stamp is on the drawn page: OCR reads it too
    assert_sentence_offsets(doc)


def test_without_ocr_a_stamped_scan_keeps_its_stamp_and_says_what_was_missed(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))
    with caplog.at_level("WARNING", logger="qa.ocr"):
        doc = parse_document(stamped_scan(), "filed.pdf", ".pdf")
    assert doc.text == STAMP
    assert "filed.pdf: 1 page of stamped scans read from the text layer alone" in caplog.text
    assert "scripts/install-ocr.sh" in caplog.text


def test_a_logo_beside_a_short_text_is_not_a_scan(monkeypatch):
    from PIL import Image
    from pypdf import PdfReader

    monkeypatch.setattr("qa.documents.recognise_pages", lambda *a: pytest.fail("OCR was asked to read a text page"))
    logo = io.BytesIO()
    Image.new("L", (300, 300), 0).save(logo, "PDF", resolution=300)  # a 1-inch seal
    cover = overlaid(make_pdf(["EXHIBIT A"]), logo.getvalue())
    assert ocr.scanned_pages(PdfReader(io.BytesIO(cover)).pages, ["EXHIBIT A"]) == []
    assert parse_document(cover, "cover.pdf", ".pdf").text == "EXHIBIT A"


def test_a_blank_page_without_an_image_is_not_sent_to_ocr(monkeypatch):
    monkeypatch.setattr("qa.documents.recognise_pages", lambda *a: pytest.fail("OCR was asked to read a blank page"))
    doc = parse_document(make_pdf(["The first page.", "", "The third page."]), "blank.pdf", ".pdf")
    assert sentences_by_page(doc) == [(1, "The first page."), (3, "The third page.")]


@needs_ocr
def test_ocr_stops_at_its_page_limit(monkeypatch):
    monkeypatch.setattr(ocr, "MAX_OCR_PAGES", 1)
    with pytest.raises(OCRLimitError, match=r"scan\.pdf: scanned: 2 scanned pages, over the OCR limit of 1 pages "
                                            r"per document\. Add a text layer"):
        parse_document(scanned_pdf([FIRST, SECOND]), "scan.pdf", ".pdf")


@needs_ocr
def test_ocr_stops_at_its_time_limit(monkeypatch):
    monkeypatch.setattr(ocr, "OCR_SECONDS_PER_DOCUMENT", 0.01)  # less than starting pdftoppm takes
    started = time.monotonic()
    with pytest.raises(OCRLimitError, match=r"OCR stopped at the limit of 0\.01 s per document, after 0 of 2 scanned pages"):
        parse_document(scanned_pdf([FIRST, SECOND]), "scan.pdf", ".pdf")
    assert time.monotonic() - started < 5


def image_pdf(width: int, height: int, stream: bytes) -> bytes:
    """A one-page PDF that paints one grey image XObject of the declared size, its data `stream` (Flate)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /XObject << /Im0 5 0 R >> >> >>"]
    draw = b"q 612 0 0 792 0 0 cm /Im0 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
    objects.append(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                   b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
                   % (width, height, len(stream), stream))
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@needs_ocr
def test_an_image_too_large_to_render_is_refused_before_rendering():
    # 100,000 x 100,000 grey pixels (10 GB decoded) declared by a few bytes: a decompression bomb.
    bomb = image_pdf(100_000, 100_000, zlib.compress(b"\0" * 1000))
    started = time.monotonic()
    with pytest.raises(OCRLimitError, match=r"bomb\.pdf: scanned: page 1 draws an image of 10,000,000,000 pixels, "
                                            r"over the OCR limit"):
        parse_document(bomb, "bomb.pdf", ".pdf")
    assert time.monotonic() - started < 5


@needs_ocr
def test_a_large_blank_scan_is_read_or_refused_within_the_time_limit(monkeypatch):
    # 150 MP of white, under the image limit: pdftoppm must decode all of it. The time limit bounds the wait.
    monkeypatch.setattr(ocr, "OCR_SECONDS_PER_DOCUMENT", 3.0)
    side = 12_000
    big = image_pdf(side, side, zlib.compress(b"\xff" * (side * side), 1))
    started = time.monotonic()
    with pytest.raises(UnreadableDocumentError, match=r"big\.pdf: (contains no text|scanned: OCR stopped)"):
        parse_document(big, "big.pdf", ".pdf")
    assert time.monotonic() - started < 15


@needs_ocr
def test_an_unrenderable_scan_is_a_clear_error():
    # The image claims 100 x 100 pixels but its data is not Flate: pdftoppm draws nothing readable.
    broken = image_pdf(100, 100, b"this is not deflated data")
    with pytest.raises(UnreadableDocumentError, match=r"^broken\.pdf: "):
        parse_document(broken, "broken.pdf", ".pdf")


@needs_ocr
def test_pdftoppm_runs_under_a_memory_cap(monkeypatch):
    import shutil

    if shutil.which("prlimit") is None:
        pytest.skip("util-linux's prlimit is not installed: pdftoppm runs without a memory cap")
    monkeypatch.setattr(ocr, "_RENDER_MEMORY_BYTES", 5_000_000)  # too little even to load its libraries
    with pytest.raises(UnreadableDocumentError, match=r"^scan\.pdf: page 1 has no text layer and could not be "
                                                      r"drawn for OCR \(.+\)\.$"):
        parse_document(scanned_pdf([FIRST]), "scan.pdf", ".pdf")


def test_the_render_resolution_keeps_page_images_bounded():
    assert ocr.resolution_for(ocr.ScannedPage(0, 612, 792)) == 300  # Letter at 300 dpi: 2550 x 3300
    poster = ocr.ScannedPage(0, 14_400, 14_400)  # 200 in square
    assert ocr.resolution_for(poster) * 14_400 / 72 <= 5000
    assert ocr.resolution_for(ocr.ScannedPage(0, 0, 0)) == 300


def test_the_index_lists_a_scan_without_ocr_reads_it_once_ocr_is_installed_and_ocrs_an_upload_once(seed_corpus, tmp_path, monkeypatch):
    from qa import Engine
    from qa.index import is_stale

    pytesseract = pytest.importorskip("pytesseract")
    installed = pytesseract.pytesseract.tesseract_cmd
    (seed_corpus / "scan.pdf").write_bytes(scanned_pdf([FIRST]))
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "tesseract"))
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    index = engine.refresh()
    status = {d["doc_id"]: d["status"] for d in engine.documents()}
    assert status[SEED.name] == "indexed"
    assert status["scan.pdf"].startswith("scan.pdf: scanned: install OCR to read it")
    assert is_stale(index, engine.settings, seed_corpus) is None  # still no OCR: no rebuild on every question
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", installed)
    if not ocr.ocr_available():
        pytest.skip(f"OCR is not installed ({', '.join(ocr.missing_tools())} missing): the re-read is not tested")
    assert "OCR is installed now" in is_stale(index, engine.settings, seed_corpus)
    engine.refresh()
    assert {d["doc_id"]: d["status"] for d in engine.documents()}["scan.pdf"] == "indexed"
    assert [s.text for s in engine.index.documents["scan.pdf"].sentences] == FIRST

    # An upload is checked by reading it; the index uses that reading rather than running OCR a second time.
    calls = []
    real = ocr.recognise_pages
    monkeypatch.setattr("qa.documents.recognise_pages", lambda *a: calls.append(a[1]) or real(*a))
    assert engine.add_document("upload.pdf", scanned_pdf([FIRST, SECOND])) == "upload.pdf"
    assert calls == ["upload.pdf"]
    upload = engine.index.documents["upload.pdf"]
    assert [(s.page, s.text) for s in upload.sentences] == [(1, FIRST[0]), (1, FIRST[1]), (2, SECOND[0]),
                                                            (2, SECOND[1])]
