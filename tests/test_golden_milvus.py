"""The golden suite against the Milvus store, twice: a Milvus Lite file, and Milvus Lite's gRPC server on loopback
(the network path a client takes to a Milvus cluster). Each case must pass as it does on FAISS (known gaps stay
xfail) and give the very answer the FAISS store gives: the same text, short answer and citations."""

from __future__ import annotations

import pytest

import qa
from conftest import ROOT
from milvus_server import milvus_server
from test_golden import CASES, check_case, judge

_faiss_answers: dict[str, qa.Answer] = {}


@pytest.fixture(scope="module", params=["lite-file", "loopback-server"])
def milvus_engine(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"golden-{request.param}")
    settings = dict(corpus_dir=ROOT / "corpus", index_dir=tmp / "no-index", store="milvus")
    if request.param == "lite-file":
        yield qa.Engine(milvus_uri=str(tmp / "golden.db"), **settings)
    else:
        with milvus_server(tmp / "server") as uri:
            yield qa.Engine(milvus_uri=uri, **settings)


def faiss_answer(case: dict) -> qa.Answer:
    """The default (FAISS) record's final answer to the case, asked once for both Milvus modes."""
    if case["id"] not in _faiss_answers:
        history = []
        for turn in case.get("turns", []):
            history.append(qa.ask(turn, history=list(history)))
        _faiss_answers[case["id"]] = qa.ask(case["question"], history=history)
    return _faiss_answers[case["id"]]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_golden_on_milvus(milvus_engine, case):
    assert milvus_engine.settings.store == "milvus"
    answers = []

    def ask(question, history=None):
        answers.append(milvus_engine.ask(question, history=history))
        return answers[-1]

    problems = check_case(case, ask=ask, document_text=milvus_engine.document_text)
    got, want = answers[-1], faiss_answer(case)
    assert (got.text, got.abstained, got.short_answer) == (want.text, want.abstained, want.short_answer)
    assert [(c.doc_id, c.start, c.end, c.quote, c.span_start, c.span_end) for c in got.citations] == \
        [(c.doc_id, c.start, c.end, c.quote, c.span_start, c.span_end) for c in want.citations]
    assert [c.score for c in got.citations] == pytest.approx([c.score for c in want.citations], abs=1e-6)
    assert [(p.chunk.chunk_id, p.chunk.text) for p in got.passages] == \
        [(p.chunk.chunk_id, p.chunk.text) for p in want.passages]
    judge(case, problems)
