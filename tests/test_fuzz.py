"""Fuzzing with Hypothesis (issue 6): arbitrary questions and arbitrary bytes as documents of every supported
type. The only acceptable failure is a `QAError` with a message; anything else, or a slow example (deadline),
fails. Example counts are bounded; `pytest --hypothesis-show-statistics tests/test_fuzz.py` reports them."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa import Engine, QAError
from qa.documents import SUPPORTED_SUFFIXES, parse_document
from qa.engine import check_upload_name
from tests.conftest import SEED, assert_sentence_offsets, make_pdf

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=10), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

RTL = "\u202eدادگاه \u05d1\u05d9\u05ea \u05de\u05e9\u05e4\u05d8\u202c"
EMOJI = "👩‍⚖️🔫🎬 🇺🇸"
CONTROL = "".join(map(chr, range(32))) + "\x7f\u200b\u2028\ufeff"


def any_char():
    return st.characters(exclude_categories=())  # every code point, lone surrogates included


questions = st.one_of(
    st.text(max_size=300),
    st.text(any_char(), max_size=100),
    st.text(st.sampled_from(CONTROL + RTL + EMOJI + "who what why ? "), max_size=200),
    st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=10), st.integers(1, 12_000)),  # to 120k
    st.builds(lambda a, b: f"Who {a} Baldwin {b}?", st.text(max_size=40), st.text(max_size=40)),
)
histories = st.one_of(st.none(), st.lists(st.tuples(st.text(max_size=80), st.text(max_size=200)), max_size=3))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus" / SEED.name)
    e = Engine(corpus_dir=root / "corpus", index_dir=root / "index")
    e.refresh()
    return e


@pytest.mark.timeout(600)
@FUZZ
@given(question=questions, history=histories)
@example(question="x" * 100_000, history=None)
@example(question=CONTROL, history=None)
@example(question=RTL + " Who is the armorer?", history=None)
@example(question=EMOJI * 100, history=None)
@example(question="\ud800 Who? \udfff", history=[("\ud800", "\x00")])
@example(question="Who are Baldwin's attorneys?\x00\x1b[31m", history=None)
def test_any_question_gets_an_answer_or_a_clear_error(engine, question, history):
    try:
        answer = engine.ask(question, history=history)
    except QAError as exc:
        assert str(exc).strip()
        return
    assert answer.text
    for c in answer.citations:
        assert engine.document_text(c.doc_id)[c.start:c.end] == c.quote


TEXT_SUFFIXES = sorted(SUPPORTED_SUFFIXES - {".pdf"})
VALID_PDF = make_pdf(["The hearing was in July.", "The appeal was dropped."])


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    out = bytearray(data[: max(1, cut)])
    for pos, value in edits:
        if out:
            out[pos % len(out)] = value
    return bytes(out)


documents = st.one_of(
    st.binary(max_size=4000),
    st.text(any_char(), max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.text(max_size=3000).map(str.encode),
    st.lists(st.sampled_from(["<p>", "</p>", "<div>", "<script>", "</script>", "<!--", "-->", "<![CDATA[", "]]>",
                              "<b onclick='x()'>", "&amp;", "&#0;", "&#x110000;", "Mr. ", "word ", ". ", "\n\n",
                              "<title>", "</title>", "<svg onload=alert(1)>", "\u202e", "é"]),
             max_size=400).map(lambda parts: "".join(parts).encode()),
    st.binary(max_size=3000).map(lambda b: b"%PDF-1.4\n" + b),
    st.builds(mutate, st.just(VALID_PDF), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)),
                                                   max_size=8), st.integers(0, len(VALID_PDF))),
)


@pytest.mark.timeout(600)
@settings(FUZZ, max_examples=600)
@given(data=documents, suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
@example(data=b"", suffix=".txt")
@example(data=b"\xff\xfe\x00\x00", suffix=".md")
@example(data=VALID_PDF[:200], suffix=".pdf")
@example(data=b"<div>" * 20_000, suffix=".html")
def test_any_bytes_as_a_document_parse_or_give_a_clear_error(data, suffix):
    try:
        doc = parse_document(data, "fuzz" + suffix, suffix)
    except QAError as exc:
        assert "fuzz" + suffix in str(exc)
        return
    assert doc.text.strip() and "\x00" not in doc.text
    assert_sentence_offsets(doc)


@settings(FUZZ, max_examples=300)
@given(name=st.one_of(st.text(any_char(), max_size=60),
                      st.builds(lambda a, b: a + b, st.sampled_from(["../", "..\\", "/", "./", ".", "~/", "C:\\"]),
                                st.text(max_size=20)),
                      st.builds(lambda a, s: a + s, st.text(max_size=20), st.sampled_from(TEXT_SUFFIXES + [".pdf"]))))
@example(name="../../etc/passwd.txt")
@example(name="\u202etxt.exe")
@example(name="con.txt\x00.pdf")
def test_any_upload_name_stays_inside_the_corpus(tmp_path, name):
    try:
        clean = check_upload_name(name)
    except QAError as exc:
        assert str(exc).strip()
        return
    corpus = tmp_path.resolve()
    assert (corpus / clean).resolve().parent == corpus
    assert not clean.startswith(".") and Path(clean).suffix.lower() in SUPPORTED_SUFFIXES
