"""Golden Q&A on three court records (../shared/data/court): real end-to-end Engine.ask() calls, real model, one
corpus per record. The cases (tests/golden/court_cases.yaml) are checked by the seed suite's rules (check_case);
a case with `known_gap` documents a failure of the current reader: xfail while it fails, a failure once it passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from test_golden import check_case, judge

COURT = Path(__file__).resolve().parents[2] / "shared" / "data" / "court"
GOLDEN = yaml.safe_load((Path(__file__).parent / "golden" / "court_cases.yaml").read_text(encoding="utf-8"))
RECORDS, CASES = GOLDEN["records"], GOLDEN["cases"]

needs_court = pytest.mark.skipif(not COURT.is_dir(), reason=f"the court records are not at {COURT} (shared data absent)")


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """One Engine per record, built on first use over a throwaway corpus holding just that record's files."""
    from qa import Engine

    built = {}

    def engine(record: str):
        if record not in built:
            root = tmp_path_factory.mktemp(record)
            corpus = root / "corpus"
            corpus.mkdir()
            for name in RECORDS[record]:
                shutil.copy(COURT / name, corpus / name)
            built[record] = Engine(corpus_dir=corpus, index_dir=root / "index")
        return built[record]

    return engine


@needs_court
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden_court(case, engines):
    engine = engines(case["record"])
    problems = check_case(case, ask=engine.ask, document_text=engine.document_text)
    judge(case, problems)


def test_court_suite_has_the_required_coverage():
    kinds = [c["expect"].get("abstain", False) for c in CASES]
    assert len(RECORDS) >= 3
    assert {c["record"] for c in CASES} == set(RECORDS)
    assert len(CASES) >= 30
    assert kinds.count(True) >= 6
    assert sum(1 for c in CASES if c.get("turns")) >= 2
    assert len({c["id"] for c in CASES}) == len(CASES)


def test_court_records_leave_other_files_unused():
    """The cases use a few court files; the rest stay unseen so that new records can test what was built."""
    used = {name for names in RECORDS.values() for name in names}
    assert 3 <= len(used)
    if COURT.is_dir():
        assert used <= {p.name for p in COURT.iterdir()}
        assert len(used) < len(list(COURT.iterdir()))
