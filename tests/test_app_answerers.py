"""The chat with the generative answerer: raw text streams into the chat and is replaced by the verified answer;
when the LLM server fails, the embedded reader answers with a notice (in the chat and through /ask)."""

from __future__ import annotations

import pytest

from conftest_app import copy_record, free_port
from llm_server import scripted_llm
from test_generative import closed_port

gr = pytest.importorskip("gradio", reason="the app extra (gradio) is not installed")
import app  # noqa: E402
from qa import Answer, Engine  # noqa: E402


@pytest.fixture(scope="module")
def llm():
    with scripted_llm() as server:
        yield server


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    corpus, index = copy_record(tmp_path_factory.mktemp("record"))
    Engine(corpus_dir=corpus, index_dir=index).refresh()
    return corpus, index


def test_chat_streams_raw_text_then_shows_the_verified_answer(record, llm):
    llm.mode, llm.reply = "ok", ("Baldwin's attorneys are Alex Spiro and Luke Nikas [1]. They also wrote a "
                                 "bestselling novel.")
    engine = Engine(corpus_dir=record[0], index_dir=record[1], reader="generative", llm_base_url=llm.base_url)
    outputs = list(app.streaming_responder(engine)("Who are Baldwin's attorneys?", [], []))
    streaming = [o for o in outputs[:-1] if "qa-streaming" in o[0][-1]["content"]]
    assert len(streaming) > 3
    assert "bestselling novel" in streaming[-1][0][-1]["content"]  # the raw text, shown while it streams
    messages, history, panel, box, notice = outputs[-1]
    bubble = messages[-1]["content"]
    assert "qa-streaming" not in bubble and "Alex Spiro and Luke Nikas" in bubble
    assert 'class="qa-cite"' in bubble and "left out" in bubble  # verified: cited, the invention listed apart
    assert "bestselling novel" not in bubble.split("qa-dropped")[0]
    assert isinstance(history[-1], Answer) and history[-1].dropped == ["They also wrote a bestselling novel."]
    assert box == "" and notice == ""


def test_chat_falls_back_to_the_embedded_reader_when_the_server_is_down(record):
    engine = Engine(corpus_dir=record[0], index_dir=record[1], reader="generative",
                    llm_base_url=f"http://127.0.0.1:{closed_port()}/v1")
    outputs = list(app.streaming_responder(engine)("Who are Baldwin's attorneys?", [], []))
    messages, history, panel, box, notice = outputs[-1]
    answer = history[-1]
    assert answer.reader == "sentence" and not answer.abstained and "Alex Spiro" in answer.text
    assert answer.notice and "generative answerer failed" in answer.notice and "is it running" in answer.notice
    assert "generative answerer failed" in notice and 'class="qa-cite"' in messages[-1]["content"]


def test_api_falls_back_with_the_notice_in_the_result(record):
    client_mod = pytest.importorskip("gradio_client", reason="gradio_client is not installed")
    engine = Engine(corpus_dir=record[0], index_dir=record[1], reader="generative",
                    llm_base_url=f"http://127.0.0.1:{closed_port()}/v1")
    demo = app.create_app(engine)  # the example buttons and the box are wired to the streaming responder
    port = free_port()
    app.launch_app(demo, host="127.0.0.1", port=port, prevent_thread_lock=True, quiet=True)
    try:
        result = client_mod.Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "Who are Baldwin's attorneys?", api_name="/ask")
    finally:
        demo.close()
    assert result["reader"] == "sentence" and "generative answerer failed" in result["notice"]
    assert result["citations"] and not result["abstained"]
