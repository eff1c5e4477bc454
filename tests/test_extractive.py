"""The extractive reader and the reranker with tiny randomly initialised models that the tests build and save to a
temp folder, loaded back by the real `from_pretrained` code: plumbing, exact offsets and abstention logic (the
models' answers are random; what is checked is what the pipeline does with them)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from qa import Engine, ModelLoadError, QAError
from qa.extractive import best_span
from qa.settings import Settings

from conftest import SEED


def _tokenizer(folder):
    from transformers import BertTokenizer

    words = sorted(set(re.findall(r"[a-z0-9]+", SEED.read_text().lower())))
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz0123456789.,’'-—“”?…") + words
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(dict.fromkeys(vocab)) + "\n")
    tok = BertTokenizer(vocab=str(vocab_file))
    tok.model_max_length = 128
    return tok


def _config(tok, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=len(tok), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=32, max_position_embeddings=128, **extra)


@pytest.fixture(scope="module")
def tiny_qa_model(tmp_path_factory):
    import torch
    from transformers import BertForQuestionAnswering

    folder = tmp_path_factory.mktemp("tiny-qa")
    tok = _tokenizer(folder)
    torch.manual_seed(0)
    BertForQuestionAnswering(_config(tok)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    import torch
    from transformers import BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-ce")
    tok = _tokenizer(folder)
    torch.manual_seed(1)
    BertForSequenceClassification(_config(tok, num_labels=1)).save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def test_extractive_answer_is_a_span_inside_its_cited_sentence(engine, tiny_qa_model):
    eng = Engine(settings=engine.settings.replace(reader="extractive", reader_model=tiny_qa_model,
                                                  abstain_threshold=0.0))
    a = eng.ask("Who was the film's armorer?")
    assert a.reader == "extractive" and not a.abstained and len(a.citations) == 1
    c = a.citations[0]
    text = eng.document_text(c.doc_id)
    assert text[c.start:c.end] == c.quote
    assert c.start <= c.span_start < c.span_end <= c.end
    assert text[c.span_start:c.span_end] == c.span_text == a.short_answer
    assert a.text == f"{c.span_text} [1]" or a.text == f"{c.span_text[:-1]} [1]."
    # the cited sentence is one of the retrieved passages' sentences
    assert any(p.chunk.start <= c.start and c.end <= p.chunk.end for p in a.passages)
    assert 0.0 < a.answerability < 1.0 and "read" in a.timings


def test_extractive_abstains_when_no_span_beats_no_answer(engine, tiny_qa_model):
    eng = Engine(settings=engine.settings.replace(reader="extractive", reader_model=tiny_qa_model))
    base = eng.ask("Who was the film's armorer?", abstain_threshold=0.0)
    # answerability is sigmoid(best span score - no-answer score): a threshold above it abstains, below answers
    above = eng.ask("Who was the film's armorer?", abstain_threshold=min(1.0, base.answerability + 1e-6))
    assert above.abstained and not above.citations and above.text.startswith("The record does not say")
    assert above.answerability == pytest.approx(base.answerability)
    below = eng.ask("Who was the film's armorer?", abstain_threshold=max(0.0, base.answerability - 1e-6))
    assert not below.abstained


def test_best_span_and_no_answer_logic():
    # tokens: [CLS] q [SEP] c c c c [SEP]; context = positions 3..6
    context = np.array([0, 0, 0, 1, 1, 1, 1, 0], dtype=bool)
    start = np.array([9.0, 0, 0, 1, 5, 0, 0, 0])
    end = np.array([9.0, 0, 0, 0, 0, 4, 0, 0])
    score, a, b = best_span(start, end, context)
    assert (a, b) == (4, 5) and score == 9.0  # never the [CLS] or question tokens, even when they score higher
    assert best_span(start, end, context, max_tokens=1)[1:] == (4, 4)  # length limit
    assert best_span(np.array([0, 0, 0, 0, 3, 0]), np.array([0, 0, 5, 0, 0, 0]), context[:6])[1:] == (4, 4)  # end >= start
    assert best_span(start, end, np.zeros(8, dtype=bool)) is None
    null = start[0] + end[0]
    assert score - null < 0  # the SQuAD2 rule: this window says "no answer" (answerability < 0.5)


def test_extractive_without_model_or_with_a_bad_path_is_a_clear_error(engine, tmp_path):
    with pytest.raises(QAError, match="QA_READER_MODEL"):
        Engine(settings=engine.settings.replace(reader="extractive")).ask("Who was the armorer?")
    with pytest.raises(ModelLoadError, match="QA_READER_MODEL"):
        Engine(settings=engine.settings.replace(reader="extractive", reader_model=str(tmp_path / "nope"))).ask(
            "Who was the armorer?")


def test_reranker_orders_passages_by_cross_encoder_score(engine, tiny_cross_encoder):
    from sentence_transformers import CrossEncoder

    eng = Engine(settings=engine.settings.replace(reranker_model=tiny_cross_encoder, top_k=3))
    question = "Why were the charges against Baldwin dismissed?"
    a = eng.ask(question)
    scores = [p.rerank_score for p in a.passages]
    assert len(a.passages) == 3 and None not in scores and scores == sorted(scores, reverse=True)
    assert [p.rank for p in a.passages] == [0, 1, 2] and "rerank" in a.timings
    # the scores are the cross-encoder's own, over more candidates than are kept
    expected = CrossEncoder(tiny_cross_encoder, device="cpu").predict([(question, a.passages[0].chunk.text)])
    assert scores[0] == pytest.approx(float(np.ravel(expected)[0]), abs=1e-5)
    assert a.to_dict()["passages"][0]["rerank_score"] == pytest.approx(scores[0])
    assert not a.abstained and a.citations  # the sentence reader reads the reranked passages


def test_reranker_load_failure_names_the_setting(engine, tmp_path):
    with pytest.raises(ModelLoadError, match="QA_RERANKER_MODEL"):
        Engine(settings=engine.settings.replace(reranker_model=str(tmp_path / "missing"))).ask("Who?")


def test_reader_settings_are_validated_and_come_from_the_environment():
    with pytest.raises(QAError, match="QA_READER must be one of sentence, extractive, generative"):
        Settings.from_env({"QA_READER": "oracle"})
    with pytest.raises(QAError, match="llm_timeout"):
        Settings.from_env({"QA_LLM_TIMEOUT": "soon"})
    s = Settings.from_env({"QA_READER": "Generative", "QA_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
                           "QA_LLM_MODEL": "llama3.2", "QA_LLM_API_KEY": "sk-secret", "QA_LLM_TIMEOUT": "12.5",
                           "QA_RERANKER_MODEL": ""})
    assert (s.reader, s.llm_base_url, s.llm_model, s.llm_timeout, s.reranker_model) == (
        "generative", "http://127.0.0.1:11434/v1", "llama3.2", 12.5, None)
    assert "sk-secret" not in repr(s)
