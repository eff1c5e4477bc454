"""The web app without a browser: the /ask API through gradio_client (behind a login), the HTML rendering helpers
(escaping, highlight offsets), uploads and the command line's safety checks."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from conftest_app import serve_app

gr = pytest.importorskip("gradio", reason="the app extra (gradio) is not installed")
import app  # noqa: E402
from qa import Answer, Citation, Passage  # noqa: E402
from qa.schema import Chunk  # noqa: E402

AUTH = ("reader", "correct horse battery")
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> [x](javascript:alert(3)) it\'s & $x$ *b* #h'


# ---------------------------------------------------------------------------------------------- the API


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    client_mod = pytest.importorskip("gradio_client", reason="gradio_client is not installed")
    with serve_app(tmp_path_factory.mktemp("api"), auth=AUTH) as (url, engine, corpus):
        yield client_mod.Client(url, auth=AUTH, verbose=False), url, engine


def test_api_answers_with_citations(api):
    client, _, engine = api
    result = client.predict("Why were the charges against Baldwin dismissed?", api_name="/ask")
    assert isinstance(result, dict)
    expected_keys = set(engine.ask("Why were the charges against Baldwin dismissed?").to_dict())
    assert set(result) == expected_keys
    assert result["abstained"] is False
    assert result["citations"], result
    first = result["citations"][0]
    assert {"number", "doc_id", "title", "start", "end", "quote", "paragraph"} <= set(first)
    assert f"[{first['number']}]" in result["text"]
    assert engine.document_text(first["doc_id"])[first["start"]:first["end"]] == first["quote"]


def test_api_follow_up_with_history(api):
    client, _, _ = api
    history = [["Who are Baldwin's attorneys?", "Baldwin’s attorneys, Alex Spiro and Luke Nikas welcomed the "
                                                "outcome [1]."]]
    result = client.predict(question="What did they say about the decision?", history=history, api_name="/ask")
    assert isinstance(result, dict) and result["text"]
    assert result["resolved_question"] and "they" not in result["resolved_question"].split()


def test_api_errors_are_messages(api):
    client, _, _ = api
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(Exception, match="limit"):
        client.predict("why " * 1000, api_name="/ask")
    with pytest.raises(Exception, match="pairs"):
        client.predict(question="And then?", history=[["only one part"]], api_name="/ask")


def test_login_required(api):
    import httpx

    _, url, _ = api
    response = httpx.post(url + "gradio_api/call/ask", json={"data": ["Who was the film's armorer?", None]},
                          timeout=30)
    assert response.status_code in (401, 403)


def test_uploads_refuse_bad_names_and_content(api, tmp_path):
    _, _, engine = api
    before = [d["doc_id"] for d in engine.documents()]
    good = tmp_path / "ok.txt"
    good.write_text("The studio's insurer was Northwind Mutual.\n")
    binary = tmp_path / "blob.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    too_big = tmp_path / "big.txt"
    too_big.write_bytes(b"word " * (engine.settings.max_document_bytes // 5 + 1))
    added, notes = app.add_uploads(engine, [("../../ok.txt", good), ("blob.txt", binary), ("big.txt", too_big),
                                            ("run.exe", good), (".hidden.txt", good)])
    assert added == []
    assert len(notes) == 5
    assert "path parts" in notes[0] and "binary" in notes[1] and "limit" in notes[2] and "unsupported" in notes[3]
    assert [d["doc_id"] for d in engine.documents()] == before
    assert not (Path(engine.settings.corpus_dir).parent.parent / "ok.txt").exists()


# ---------------------------------------------------------------------------------------------- rendering


def test_esc_escapes_html_and_markdown():
    out = app.esc(HOSTILE)
    assert not re.search(r"[<>\"'`*\[\]()$#]", out.replace("&#", "").replace("<br>", ""))
    assert html.unescape(out) == HOSTILE
    assert "<" not in out and "javascript:" not in out
    assert app.esc("a\nb") == "a<br>b"


def test_render_passage_marks_the_cited_sentence_and_span():
    text = "First sentence. The armorer was Hannah Gutierrez-Reed <b>. Last one."
    start = text.index("The armorer")
    end = text.index(" Last")
    span = (text.index("Hannah"), text.index(" <b>"))
    out = app.render_passage(text, 0, len(text), start, end, *span)
    assert out.startswith("First sentence. <mark class=\"qa-quote\">The armorer was ")
    assert '<strong class="qa-span">Hannah Gutierrez-Reed</strong>' in out
    assert "&lt;b&gt;.</mark> Last one." in out
    assert "<b>" not in out
    # The offsets are applied before escaping: un-marking gives back the text exactly.
    plain = re.sub(r"</?(mark|strong)[^>]*>", "", out)
    assert html.unescape(plain) == text


def test_render_passage_clamps_bad_offsets():
    text = "abc <i>def</i> ghi"
    assert html.unescape(app.render_passage(text, 0, len(text))) == text
    out = app.render_passage(text, 4, 14, 100, 200)
    assert "<mark" not in out and html.unescape(out) == text[4:14]
    out = app.render_passage(text, 0, len(text), 4, 14, 0, 2)  # span outside the mark is ignored
    assert "<strong" not in out and "<mark" in out


def test_passage_bounds_follow_paragraphs():
    lines = "Title\nFirst paragraph here. Second sentence.\nAnother paragraph."
    s = lines.index("Second")
    a, b = app.passage_bounds(lines, s, s + len("Second sentence."))
    assert lines[a:b] == "First paragraph here. Second sentence."
    blank = "One.\nstill one.\n\nTwo starts. Two ends.\n\nThree."
    s = blank.index("Two ends")
    a, b = app.passage_bounds(blank, s, s + 9)
    assert blank[a:b] == "Two starts. Two ends."
    long = " ".join(f"w{i}" for i in range(2000))
    s = long.index("w1000")
    a, b = app.passage_bounds(long, s, s + 5, max_chars=200)
    assert a <= s and b >= s + 5 and b - a <= 200 and long[a - 1] == " " and long[b] == " "


def quote_of(doc, s) -> str:
    return doc.text[s.start:s.end]


def test_passage_bounds_show_the_whole_recovered_paragraph_of_a_double_spaced_opinion():
    from qa.documents import parse_document
    from tests.test_layout import OPENING

    doc = parse_document(OPENING.encode(), "opinion.txt", ".txt")
    cited = next(s for s in doc.sentences if s.text.startswith("In this case"))
    opening = next(s for s in doc.sentences if s.text.startswith("LIPEZ, Circuit Judge."))
    a, b = app.passage_bounds(doc.text, cited.start, cited.end, paragraphs=doc.paragraphs)
    assert (a, b) == doc.paragraphs[cited.paragraph] and a <= opening.start  # the paragraph, from its first line
    # by blank lines alone, a double-spaced page shows only the printed line the sentence starts on
    a0, b0 = app.passage_bounds(doc.text, cited.start, cited.end)
    assert a0 > opening.end
    html_out = app.render_passage(doc.text, a, b, cited.start, cited.end, flow=True, cut=(False, False))
    assert "<br>" not in html_out and "  " not in html_out
    assert html.unescape(re.sub(r"<[^>]+>", "", html_out)) == " ".join(doc.text[a:b].split())
    assert html.unescape(re.search(r'<mark class="qa-quote">(.*)</mark>', html_out).group(1)) == cited.text
    # through the renderer: the same paragraph, flowed, without "…" since nothing was cut
    c = Citation(number=1, doc_id="opinion.txt", title="T", start=cited.start, end=cited.end, quote=quote_of(doc, cited),
                 paragraph=cited.paragraph, page=None)
    shown = app.citation_passage_html(c, app._Texts(FakeEngine({"opinion.txt": doc.text})))
    assert shown == html_out
    # a paragraph list that does not hold the quote (a stale one) falls back to blank lines
    assert app.passage_bounds(doc.text, cited.start, cited.end, paragraphs=[(0, 5)]) == (a0, b0)


@pytest.mark.parametrize("name", ["150362_united-states-v-weekes.txt", "147682_united-states-v-roa-medina.txt"])
def test_a_passage_shows_its_paragraph_without_the_page_markers_and_footnotes_printed_inside_it(name):
    """A paragraph that runs across a page break holds the page number and the footnotes at the foot of the page
    in its span: the passage shows the paragraph's own words, which are its sentences' reading texts."""
    from qa.documents import parse_document

    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "court" / name
    doc = parse_document(path.read_bytes(), name, ".txt")
    texts = app._Texts(FakeEngine({name: doc.text}))
    crossing = [s for s in doc.sentences if re.search(r"\n\s*-\d+-\s*\n", quote_of(doc, s))]
    assert crossing  # sentences that run across a page break, page marker inside
    for paragraph in {s.paragraph for s in crossing}:
        own = [s for s in doc.sentences if s.paragraph == paragraph]
        a, b = doc.paragraphs[paragraph]
        if b - a > app.CONTEXT_CHARS:
            continue  # shown cut around the quote
        c = Citation(number=1, doc_id=name, title="T", start=own[0].start, end=own[0].end, quote=quote_of(doc, own[0]),
                     paragraph=paragraph, page=None)
        shown = html.unescape(re.sub(r"<[^>]+>", "", app.citation_passage_html(c, texts)))
        assert "".join(shown.split()) == "".join(" ".join(s.text for s in own).split())
        assert not re.search(r"(^|\s)-\d+-(\s|$)", shown)


def test_citation_hover_and_source_name_document_section_and_page():
    text = "The jury convicted Weekes on all counts."
    c = Citation(number=1, doc_id="weekes.txt", title="United States v. Weekes", start=0, end=len(text), quote=text,
                 paragraph=3, page=4, section="II. Background", text=text)
    answer = Answer(question="q", text=f"{text[:-1]} [1].", abstained=False, citations=[c])
    bubble = html.unescape(app.render_answer(answer, FakeEngine({"weekes.txt": text}), turn="t9"))
    assert "United States v. Weekes, II. Background, p. 4: “The jury convicted" in bubble
    assert app.citation_where(c) == "II. Background, p. 4"


class FakeEngine:
    """Just what the renderers use: document_text, document_paragraphs, document_unread_spans and documents."""

    def __init__(self, docs: dict[str, str]):
        self.docs = docs

    def document_text(self, doc_id):
        from qa import UnknownDocumentError

        if doc_id not in self.docs:
            raise UnknownDocumentError(doc_id)
        return self.docs[doc_id]

    def document_paragraphs(self, doc_id):
        from qa.documents import parse_document

        return parse_document(self.document_text(doc_id).encode(), doc_id, ".txt").paragraphs

    def document_unread_spans(self, doc_id):
        from qa.documents import parse_document

        return parse_document(self.document_text(doc_id).encode(), doc_id, ".txt").unread_spans()

    def documents(self):
        return [{"doc_id": d, "title": f"<i>{d}</i>", "chars": len(t), "sentences": 1, "indexed_at": "",
                 "status": "indexed"} for d, t in self.docs.items()]


def test_example_questions_are_those_of_the_documents_in_the_record():
    seed = next(iter(app.EXAMPLE_QUESTIONS))
    assert app.example_questions(FakeEngine({seed: "x", "other.txt": "y"})) == app.EXAMPLE_QUESTIONS[seed][:4]
    assert app.example_questions(FakeEngine({"weekes-opinion.txt": "The jury convicted Weekes."})) == []
    hidden = app.example_button_updates(FakeEngine({"weekes-opinion.txt": "z"}))
    assert len(hidden) == app.MAX_EXAMPLES and all(u["visible"] is False for u in hidden)


def _answer(text, doc, quote, abstained=False, span=None):
    start = text.index(quote)
    citation = Citation(number=1, doc_id=doc, title='<img src=x onerror="alert(1)">', start=start,
                        end=start + len(quote), quote=quote, paragraph=0, page=None, score=0.9,
                        span_start=span[0] if span else None, span_end=span[1] if span else None,
                        span_text=text[span[0]:span[1]] if span else None)
    chunk = Chunk(chunk_id=0, doc_id=doc, start=0, end=len(text), sentence_ids=(0,), text=text)
    passage = Passage(chunk=chunk, score=0.5, rank=1, dense_score=0.5, bm25_score=1.0)
    if abstained:
        return Answer(question="<b>q</b>?", text="The record does not say.", abstained=True, citations=[],
                      passages=[passage])
    return Answer(question="<b>q</b>?", text=f"{quote} [1] [7].", abstained=False, citations=[citation],
                  passages=[passage])


def test_render_answer_links_citations_and_escapes_everything():
    text = "Intro. The keeper is <script>alert('k')</script> Ada Brandt. End."
    quote = "The keeper is <script>alert('k')</script> Ada Brandt."
    span = (text.index("Ada"), text.index("Ada") + len("Ada Brandt"))
    answer = _answer(text, "hostile.txt", quote, span=span)
    engine = FakeEngine({"hostile.txt": text})
    bubble = app.render_answer(answer, engine, turn="t1")
    panel = app.render_sources(answer, engine, turn="t1")
    for out in (bubble, panel):
        assert "<script" not in out and "<img" not in out and "<i>" not in out and "<b>" not in out
        assert '<mark class="qa-quote">' in out and '<strong class="qa-span">Ada Brandt</strong>' in out
    assert bubble.count('class="qa-cite"') == 1  # [7] names no citation: left as text
    assert 'href="#qa-c-t1-1"' in bubble and 'id="qa-c-t1-1"' in bubble and 'id="qa-s-t1-1"' in panel
    assert "&#91;7&#93;" in bubble
    title = re.search(r'title="([^"]*)"', bubble).group(1)
    assert "para. 1" in html.unescape(title) and "<img" not in title


def test_render_abstention_lists_related_passages():
    text = "Nothing here about <b>boats</b>."
    answer = _answer(text, "a.txt", "Nothing here", abstained=True)
    engine = FakeEngine({"a.txt": text})
    bubble = app.render_answer(answer, engine, turn="t2")
    panel = app.render_sources(answer, engine, turn="t2")
    assert "qa-abstain" in bubble and "qa-abstain" in panel
    assert "Related passages" in bubble and "Related passages" in panel
    assert "&lt;b&gt;boats&lt;/b&gt;" in panel and "<b>" not in panel and "qa-cite" not in bubble


def test_render_survives_removed_document():
    text = "The harbor opened in 1911."
    answer = _answer(text, "gone.txt", text, span=(text.index("1911"), text.index("1911") + 4))
    bubble = app.render_answer(answer, FakeEngine({}), turn="t3")
    assert '<strong class="qa-span">1911</strong>' in bubble


# ---------------------------------------------------------------------------------------------- command line


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                             ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                             ("example.internal", False), ("::", False)])
def test_is_loopback(host, loopback):
    assert app.is_loopback(host) is loopback


def test_auth_parsing():
    assert app.parse_auth("ann:pa:ss") == ("ann", "pa:ss")
    assert app.parse_auth(None) is None
    for bad in ("nopassword", ":x", "x:"):
        with pytest.raises(ValueError):
            app.parse_auth(bad)


def test_refuses_public_host_without_auth(capsys, monkeypatch):
    monkeypatch.delenv("QA_AUTH", raising=False)
    assert app.main(["--host", "0.0.0.0"]) == 2
    assert "refusing" in capsys.readouterr().err
    assert app.main(["--host", "0.0.0.0", "--auth", "broken"]) == 2


def test_cli_defaults(monkeypatch):
    for var in ("QA_HOST", "QA_PORT", "GRADIO_SERVER_PORT", "QA_AUTH"):
        monkeypatch.delenv(var, raising=False)
    args = app.build_parser().parse_args([])
    assert (args.host, args.port, args.auth, args.allow_no_auth) == ("127.0.0.1", 7860, None, False)
    monkeypatch.setenv("QA_PORT", "9001")
    monkeypatch.setenv("QA_AUTH", "a:b")
    args = app.build_parser().parse_args([])
    assert (args.port, args.auth) == (9001, "a:b")
