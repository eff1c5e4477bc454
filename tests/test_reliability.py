"""Issue 6: the record is never lost or corrupted, bad input never crashes, hostile documents stay inert.

Index integrity (every file checksummed, kill -9 mid-build, two builders at once), uploads (atomic, no overwrite,
size and content checks), removing the last document, per-document indexing times, and pathological text
(bounded sentences, linear splitting time). Fuzzing is in test_fuzz.py; load is a benchmark (bench/reliability.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from build_worker import HashEmbedder, settings_for
from qa import Engine
from qa.chunking import chunk_sentences
from qa.documents import MAX_SENTENCE_CHARS, parse_document
from qa.errors import (DocumentExistsError, DocumentTooLargeError, LastDocumentError, QAError,
                       UnreadableDocumentError, UnsupportedDocumentError)
from qa.index import MANIFEST_CHECKSUM, build_index, load_index, open_index
from tests.conftest import SEED, make_pdf

WORKER = Path(__file__).with_name("build_worker.py")
MEMO = "Memo\n\nThe set medic arrived at 2 pm. She treated two crew members.\n"


def corpus_files(corpus: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in corpus.iterdir()}


# ---------------------------------------------------------------------------------------------- index integrity

def test_every_index_file_is_checksummed_and_a_damaged_one_is_rebuilt(seed_corpus, tmp_path, caplog):
    settings, embedder = settings_for(seed_corpus, tmp_path / "index"), HashEmbedder()
    version = build_index(settings, embedder).path
    names = sorted(load_index(settings.index_dir).manifest["files"])
    assert {"documents.json", "chunks.json", "sentence_vectors.npy", "chunks.faiss"} <= set(names)
    assert any(n.startswith("chunk_bm25/") for n in names) and any(n.startswith("sentence_bm25/") for n in names)
    for name in names + ["manifest.json"]:
        target = version / name
        data = bytearray(target.read_bytes())
        if name == "manifest.json":  # still valid JSON, one digit different: only the manifest's checksum sees it
            data = bytearray(bytes(data).replace(b'"dimension": 16', b'"dimension": 17', 1))
            assert bytes(data) != target.read_bytes()
        else:
            data[len(data) // 2] ^= 0x01  # one flipped bit, same size
        target.write_bytes(bytes(data))
        caplog.clear()
        with caplog.at_level("WARNING", logger="qa.index"):
            rebuilt = open_index(settings, embedder)
        assert "checksum" in caplog.text and "Rebuilding" in caplog.text, name
        assert rebuilt.path != version and load_index(settings.index_dir).path == rebuilt.path, name
        assert not version.exists()  # the damaged version is gone, never loaded again
        version = rebuilt.path
    assert (version / MANIFEST_CHECKSUM).is_file()


def _start_worker(corpus, index_dir, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), str(corpus), str(index_dir), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early: {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"worker did not reach {path.name}"
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_kill_9_during_a_build_leaves_the_previous_index_loadable(seed_corpus, tmp_path):
    index_dir = tmp_path / "index"
    settings, embedder = settings_for(seed_corpus, index_dir), HashEmbedder()
    before = build_index(settings, embedder)
    (seed_corpus / "memo.txt").write_text(MEMO)
    for stage in ("write", "swap"):
        marker = tmp_path / f"{stage}.reached"
        worker = _start_worker(seed_corpus, index_dir, "--hang-in", stage, "--marker", marker)
        _wait_for(marker, worker)
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(30) == -signal.SIGKILL
        if stage == "write":  # killed with a half-written file in the new version's temp folder
            assert list(index_dir.glob(".tmp-*"))
        else:  # killed with the new version complete but CURRENT not yet swapped
            assert len(list(index_dir.glob("v-*"))) == 2
        survivor = load_index(index_dir)  # checksums verified on load
        assert survivor.path == before.path and list(survivor.documents) == [SEED.name], stage
    # The lock died with the process (no wait), the next build publishes the change and clears the debris.
    started = time.monotonic()
    after = open_index(settings, embedder)
    assert time.monotonic() - started < 60
    assert sorted(after.documents) == ["memo.txt", SEED.name]
    assert [p.name for p in index_dir.glob("v-*")] == [after.path.name] and not list(index_dir.glob(".tmp-*"))


@pytest.mark.timeout(180)
def test_two_processes_building_at_once_take_turns(seed_corpus, tmp_path):
    index_dir, go, log = tmp_path / "index", tmp_path / "go", tmp_path / "builds.log"
    (seed_corpus / "memo.txt").write_text(MEMO)
    workers = [_start_worker(seed_corpus, index_dir, "--go", go, "--log", log, "--slow", 1.0) for _ in range(2)]
    time.sleep(1.5)  # both imported and waiting
    go.touch()
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    spans: dict[str, list[float]] = {}
    for line in log.read_text().splitlines():
        pid, _, t = line.split()
        spans.setdefault(pid, []).append(float(t))
    (a0, a1), (b0, b1) = sorted(spans.values())
    assert a1 <= b0, f"builds overlapped: {a0:.3f}-{a1:.3f} and {b0:.3f}-{b1:.3f}"  # the file lock serialised them
    index = load_index(index_dir)
    assert sorted(index.documents) == ["memo.txt", SEED.name]
    assert [p.name for p in index_dir.glob("v-*")] == [index.path.name] and not list(index_dir.glob(".tmp-*"))


# ---------------------------------------------------------------------------------------------- uploads

def test_oversized_upload_is_document_too_large_and_nothing_is_written(seed_corpus, tmp_path):
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index", max_document_bytes=1000)
    before = corpus_files(seed_corpus)
    with pytest.raises(DocumentTooLargeError, match="1,000-byte"):
        engine.add_document("big.txt", b"word " * 300)
    assert corpus_files(seed_corpus) == before


@pytest.mark.parametrize("name, data, error, message", [
    ("notes.pdf", b"The judge ruled on Monday.", UnsupportedDocumentError, "not a PDF"),
    ("scan.pdf", b"\x89PNG\r\n\x1a\n" + bytes(100), UnsupportedDocumentError, "PNG"),
    ("report.txt", make_pdf(["The appeal was dropped."]), UnsupportedDocumentError, "looks like a PDF"),
    ("letter.md", b"PK\x03\x04" + b"word/document.xml" * 10, UnsupportedDocumentError, "ZIP"),
    ("page.html", b"<p>Fine so far.</p>" * 1000 + b"\x00\x00", UnreadableDocumentError, "binary"),  # NUL after 8 kB
    ("notes.txt", "The hearing.".encode("utf-16"), UnreadableDocumentError, "binary|UTF-8"),
    ("blob.txt", bytes(range(1, 9)) * 200 + b"x", UnreadableDocumentError, "binary"),  # valid UTF-8, no NUL
])
def test_upload_content_must_match_its_type(engine, seed_corpus, name, data, error, message):
    before = corpus_files(seed_corpus)
    with pytest.raises(error, match=message):
        engine.add_document(name, data)
    assert corpus_files(seed_corpus) == before


def test_text_with_tabs_form_feeds_and_escapes_is_still_text():
    doc = parse_document(b"Header\tcolumn\n\x0cPage two.\x1b[0m The end.", "log.txt", ".txt")
    assert doc.sentences


def test_upload_never_overwrites_a_document_created_meanwhile(engine, seed_corpus, monkeypatch):
    import qa.engine

    real_fsync = os.fsync

    def another_writer_wins(fd):  # between our existence check and the publish step
        (seed_corpus / "memo.txt").write_text("Written by someone else.")
        return real_fsync(fd)

    monkeypatch.setattr(qa.engine.os, "fsync", another_writer_wins)
    with pytest.raises(DocumentExistsError):
        engine.add_document("memo.txt", MEMO.encode())
    monkeypatch.undo()
    assert (seed_corpus / "memo.txt").read_text() == "Written by someone else."
    assert not [p for p in seed_corpus.iterdir() if p.name.startswith(".upload-")]
    engine.add_document("memo.txt", MEMO.encode(), overwrite=True)  # replacing is explicit
    assert (seed_corpus / "memo.txt").read_text() == MEMO


# ---------------------------------------------------------------------------------------------- the record

def test_the_last_readable_document_cannot_be_removed(engine, seed_corpus):
    (seed_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")  # in the corpus, but not readable
    engine.refresh()
    with pytest.raises(LastDocumentError, match="only readable document"):
        engine.remove_document(SEED.name)
    assert (seed_corpus / SEED.name).is_file()  # refused before anything was deleted
    assert not engine.ask("Who are Baldwin's attorneys?").abstained
    engine.remove_document("broken.pdf")  # an unreadable file can go
    engine.add_document("memo.txt", MEMO.encode())
    engine.remove_document(SEED.name)  # with another readable document left, removing is fine
    assert [d["doc_id"] for d in engine.documents()] == ["memo.txt"]


def test_each_document_keeps_its_own_indexing_time(seed_corpus, tmp_path):
    settings, embedder = settings_for(seed_corpus, tmp_path / "index"), HashEmbedder()
    first = build_index(settings, embedder)
    seed_time = first.manifest["documents"][SEED.name]["indexed_at"]
    time.sleep(0.01)
    (seed_corpus / "memo.txt").write_text(MEMO)
    second = build_index(settings, embedder, previous=first)
    times = {d: info["indexed_at"] for d, info in second.manifest["documents"].items()}
    assert times[SEED.name] == seed_time  # unchanged document: reused, original time kept
    assert times["memo.txt"] > seed_time and times["memo.txt"] == second.manifest["created"]
    time.sleep(0.01)
    (seed_corpus / "memo.txt").write_text(MEMO + "A second visit followed.\n")
    third = build_index(settings, embedder, previous=second)
    assert third.manifest["documents"]["memo.txt"]["indexed_at"] > times["memo.txt"]
    assert third.manifest["documents"][SEED.name]["indexed_at"] == seed_time


def test_engine_documents_report_per_document_times(engine, seed_corpus):
    engine.refresh()
    time.sleep(0.01)
    engine.add_document("memo.txt", MEMO.encode())
    times = {d["doc_id"]: d["indexed_at"] for d in engine.documents()}
    assert times["memo.txt"] > times[SEED.name]


# ---------------------------------------------------------------------------------------------- hostile input

PATHOLOGICAL = {
    "run-on words": "word ",            # megabytes without a full stop
    "no spaces": "x",                   # one enormous "word"
    "repeated sentence": "The same sentence again. ",  # pysbd's own offset search is quadratic on this
    "abbreviations": "Mr. X ",          # pysbd's abbreviation pass is quadratic in the block length
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("unit", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_text_is_split_in_bounded_time(unit):
    def parse(n_chars):
        text = (unit * (n_chars // len(unit) + 1))[:n_chars]
        started = time.perf_counter()
        doc = parse_document(text.encode(), "x.txt", ".txt")
        return doc, time.perf_counter() - started

    small, t_small = parse(100_000)
    doc, t_big = parse(400_000)
    assert t_big < 30, f"{t_big:.1f}s for 400 kB"
    assert t_big < 8 * t_small + 1.0, f"not linear: {t_small:.2f}s for 100 kB, {t_big:.2f}s for 400 kB"
    assert max(len(s.text) for s in doc.sentences) <= MAX_SENTENCE_CHARS
    for s in doc.sentences:
        assert doc.text[s.start:s.end] == s.text and s.text == s.text.strip()
    def ink(t):
        return len("".join(t.split()))

    assert sum(ink(s.text) for s in doc.sentences) == ink(doc.text)  # nothing lost or repeated at the cuts
    chunks = chunk_sentences(doc, 0, 0, 120, 1)
    assert max(len(c.text) for c in chunks) <= 2 * MAX_SENTENCE_CHARS


def test_long_sentences_are_cut_at_word_boundaries_with_exact_offsets():
    text = "Preamble. " + " ".join(f"w{i}" for i in range(2000)) + ". Final sentence."
    doc = parse_document(text.encode(), "x.txt", ".txt")
    texts = [s.text for s in doc.sentences]
    assert texts[0] == "Preamble." and texts[-1] == "Final sentence." and len(texts) > 4
    for s in doc.sentences[1:-1]:
        assert len(s.text) <= MAX_SENTENCE_CHARS and s.text.split()[0].startswith("w")  # whole words only


def _flate_pdf(content: bytes) -> bytes:
    """A one-page PDF whose content stream is `content`, deflated."""
    stream = zlib.compress(content, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
               b"/Resources << /Font << /F1 3 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


@pytest.mark.timeout(120)
def test_compression_bomb_pdf_is_refused_or_bounded():
    bomb = _flate_pdf(b"BT /F1 12 Tf 72 720 Td (" + b"A" * 200_000_000 + b") Tj ET")
    assert len(bomb) < 1_000_000  # 200 MB of text in a small file
    started = time.perf_counter()
    try:
        doc = parse_document(bomb, "bomb.pdf", ".pdf")
    except QAError as exc:
        assert "bomb.pdf" in str(exc)
    else:
        assert max(len(s.text) for s in doc.sentences) <= MAX_SENTENCE_CHARS
    assert time.perf_counter() - started < 60


@pytest.mark.timeout(60)
def test_hostile_html_is_inert_text():
    nested = b"<div>" * 20_000 + b"deep text" + b"</div>" * 20_000
    doc = parse_document(nested, "deep.html", ".html")
    assert "deep text" in doc.text
    html = (b"<p onmouseover=\"steal()\">Visible.</p><script>document.cookie</script>"
            b"<a href=\"javascript:alert(1)\">link</a><iframe src=x></iframe><svg onload=alert(2)></svg>")
    doc = parse_document(html, "x.html", ".html")
    assert "steal" not in doc.text and "cookie" not in doc.text and "alert" not in doc.text
    assert doc.text.split() == ["Visible.", "link"]


# ---------------------------------------------------------------------------------------------- serving

def test_non_loopback_host_starts_only_with_auth_or_the_explicit_flag(monkeypatch):
    import app

    monkeypatch.delenv("QA_AUTH", raising=False)
    launched = []
    engine = SimpleNamespace(settings=SimpleNamespace(max_document_bytes=1000))
    monkeypatch.setattr(app, "prepare_engine", lambda *a: engine)
    monkeypatch.setattr(app, "create_app", lambda engine: type("Demo", (), {"block_thread": lambda self: None})())
    monkeypatch.setattr(app, "launch_app", lambda demo, host, **kw: launched.append((host, kw.get("auth"))))
    assert app.main(["--host", "0.0.0.0"]) == 2 and launched == []
    assert app.main(["--host", "0.0.0.0", "--auth", "ann:secret"]) == 0
    assert app.main(["--host", "0.0.0.0", "--allow-no-auth"]) == 0
    assert app.main([]) == 0
    assert launched == [("0.0.0.0", ("ann", "secret")), ("0.0.0.0", None), ("127.0.0.1", None)]
