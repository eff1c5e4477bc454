from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "rust-case-baldwin-cleared.txt"


def assert_sentence_offsets(doc) -> None:
    """Each sentence's reading text is trimmed and not empty, and each of its words sits at exact offsets in the
    original text: the slice there, without its whitespace (a hyphenated line break) and with HTML entities
    decoded, is the word. The whole sentence maps to its own span."""
    import re

    for s in doc.sentences:
        assert s.text and s.text == s.text.strip()
        assert s.document_span(0, len(s.text), doc.text) == (s.start, s.end)
        for m in re.finditer(r"\S+", s.text):
            a, b = s.document_span(m.start(), m.end(), doc.text)
            assert s.start <= a < b <= s.end
            assert _decoded("".join(doc.text[a:b].split())) == m.group(), (m.group(), doc.text[a:b])


def _decoded(text: str) -> str:
    """HTML entities decoded as the reading text decodes them: printable, not whitespace."""
    import html
    import re

    def one(m):
        out = html.unescape(m.group())
        return out if out.isprintable() and not out.isspace() else m.group()

    return re.sub(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});", one, text)


@pytest.fixture
def seed_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


@pytest.fixture
def engine(seed_corpus, tmp_path):
    from qa import Engine

    return Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")


def make_pdf(pages: list[str]) -> bytes:
    """A minimal PDF with one line of Helvetica text per page (pypdf reads it back)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content} 0 R "
                       f"/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def write_docket(folder, entries: int = 40) -> None:
    """A docket of one-line entries: each entry is a passage of one sentence."""
    motions = ["continue the trial", "suppress evidence", "extend time to file", "seal the record", "withdraw as counsel"]
    lines = [f"[2005-{1 + i % 12:02d}-{1 + i % 28:02d}] #{i + 1}: ORDER granting motion to {motions[i % 5]} "
             f"as to defendant number {i + 1}. (Entered: {1 + i % 12:02d}/{1 + i % 28:02d}/2005)" for i in range(entries)]
    (folder / "docket.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
