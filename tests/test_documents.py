import pytest

from qa.documents import list_corpus_files, load_document, parse_document
from qa.errors import DocumentTooLargeError, UnreadableDocumentError, UnsupportedDocumentError
from tests.conftest import SEED, assert_sentence_offsets, make_pdf


def assert_offsets_round_trip(doc):
    assert doc.sentences
    assert_sentence_offsets(doc)


def test_seed_sentences_have_exact_offsets_and_paragraphs():
    doc = load_document(SEED, SEED.parent)
    assert_offsets_round_trip(doc)
    for s in doc.sentences:  # one paragraph per line, single spaces: the reading text is the slice itself
        assert doc.text[s.start:s.end] == s.text and not s.anchors
    assert doc.title.startswith("Alec Baldwin Cleared")
    assert len(doc.paragraphs) == 10  # one per line: the article has no blank lines
    judge = next(s for s in doc.sentences if "Judge Mary Marlowe Sommer" in s.text)
    assert judge.text.startswith("The charges were dismissed") and judge.text.endswith("to the defense.")


def test_blank_lines_separate_paragraphs_and_wrapped_lines_do_not():
    text = "Title line\n\nFirst para line one\ncontinues here. Second sentence.\n\nNext paragraph."
    doc = parse_document(text.encode(), "a.txt", ".txt")
    assert_offsets_round_trip(doc)
    assert len(doc.paragraphs) == 3
    # the sentence is read without the line break, and quoted with it
    assert doc.sentences[1].text == "First para line one continues here."
    assert doc.text[doc.sentences[1].start:doc.sentences[1].end] == "First para line one\ncontinues here."


def test_markdown_heading_is_title_and_marker_is_not_quoted():
    doc = parse_document(b"# The Hearing\n\nThe judge ruled on Monday. The jury left.", "h.md", ".md")
    assert doc.title == "The Hearing"
    assert doc.sentences[0].text == "The Hearing"
    assert_offsets_round_trip(doc)


def test_html_drops_scripts_and_styles_and_keeps_blocks_apart():
    html = (b"<html><head><title>Ruling</title><style>p{color:red}</style></head><body>"
            b"<h1>Ruling</h1><p>The judge <b>dismissed</b> the case.</p><script>alert('x')</script>"
            b"<p onclick=\"evil()\">Appeal withdrawn.</p></body></html>")
    doc = parse_document(html, "r.html", ".html")
    assert doc.title == "Ruling"
    assert "alert" not in doc.text and "color" not in doc.text and "evil" not in doc.text
    assert [s.text for s in doc.sentences] == ["Ruling", "The judge dismissed the case.", "Appeal withdrawn."]


def test_pdf_text_layer_and_page_numbers():
    doc = parse_document(make_pdf(["The hearing was in July.", "The appeal was dropped."]), "p.pdf", ".pdf")
    assert_offsets_round_trip(doc)
    pages = {s.text: s.page for s in doc.sentences}
    assert pages == {"The hearing was in July.": 1, "The appeal was dropped.": 2}


@pytest.mark.parametrize("data, suffix, message", [
    (b"\x00\x01\x02binary", ".txt", "binary"),
    ("café".encode("latin-1"), ".txt", "UTF-8"),
    (b"   \n\n ", ".txt", "no text"),
    (b"%PDF-1.4 this is not really a pdf", ".pdf", "PDF"),
])
def test_unreadable_documents_raise_clear_errors(data, suffix, message):
    with pytest.raises(UnreadableDocumentError, match=message):
        parse_document(data, "bad" + suffix, suffix)


def test_size_limit_and_unsupported_type(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    with pytest.raises(DocumentTooLargeError, match="limit"):
        load_document(big, tmp_path, max_bytes=100)
    other = tmp_path / "x.docx"
    other.write_bytes(b"PK")
    with pytest.raises(UnsupportedDocumentError):
        load_document(other, tmp_path)


def test_corpus_listing_skips_hidden_and_unsupported(tmp_path):
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / ".hidden.txt").write_text("B.")
    (tmp_path / "notes.docx").write_text("C.")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("D.")
    assert [p.name for p in list_corpus_files(tmp_path)] == ["a.txt", "b.md"]
