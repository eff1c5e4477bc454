"""The trained sentence reader: its input layout, span decoding, shortlist, loading checks, and that it reads
meaning rather than shared words."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelLoadError
from qa.reader_model import (ACTIVATION_RANGES, ANSWERABILITY_HEAD, CARD, MAX_CONTEXT_TOKENS, MAX_SENTENCE_TOKENS,
                             MODEL_DIR, WEIGHTS, SentenceReaderModel, best_span, build_network,
                             bundled_encoder_path, encode_pairs, get_reader_model, window_starts)
from qa.documents import parse_document
from qa.reading import context_position, sentence_context
from qa.retrieval import shortlist


@pytest.fixture(scope="module")
def model():
    return get_reader_model()


def record_engine(tmp_path, name: str, text: str | bytes):
    """An Engine over a record of one document, `name`, holding `text`."""
    from qa import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return Engine(corpus_dir=corpus, index_dir=tmp_path / "index")


def fact(question: str) -> str | None:
    """The kind of fact the question asks for (`qa.questions.asked_fact`)."""
    from qa.questions import analyse_question, asked_fact

    return asked_fact(analyse_question(question))


def test_word_pieces_are_transformers_tokenizers(model):
    """The reader and the embedder tokenize with the tokenizers library directly (`qa.encoder.WordPieces`): the ids
    and character offsets must be what transformers' tokenizer of the same folder gives, with [CLS] and [SEP] and
    the cut where it cuts."""
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(bundled_encoder_path())
    texts = ["Who fired?", "", "  Café  naïve résumé — “quoted” 18 U.S.C. § 924(c)(1)(A), Id. at 313-14.",
             "汉字 and emoji 🙂 and tabs\tand\nnewlines", LONG_ENTRY, "word " * 400]
    got = model.tokenizer.encode(texts)
    expected = reference(texts, add_special_tokens=False, return_offsets_mapping=True)
    assert [e.ids for e in got] == expected["input_ids"]
    assert [[tuple(o) for o in e.offsets] for e in got] == [[tuple(o) for o in offs] for offs in expected["offset_mapping"]]
    assert (model.tokenizer.with_specials(texts, 256)
            == reference(texts, truncation=True, max_length=256)["input_ids"])
    assert (model.tokenizer.cls_token_id, model.tokenizer.sep_token_id) == (reference.cls_token_id,
                                                                            reference.sep_token_id)


def test_input_marks_only_the_candidate_as_segment_one(model):
    enc = encode_pairs(model.tokenizer, "Who fired?", ["Baldwin fired a Colt .45.", "No."],
                       ["The rehearsal began.", ""])
    tok = model.tokenizer
    row = enc.input_ids[0][enc.attention_mask[0] == 1]
    types = enc.token_type_ids[0][enc.attention_mask[0] == 1]
    seps = np.flatnonzero(row == tok.sep_token_id)
    assert len(seps) == 3 and row[0] == tok.cls_token_id
    # question and context are segment 0; the candidate (and its closing [SEP]) alone is segment 1
    assert not types[:seps[1] + 1].any() and types[seps[1] + 1:].all()
    assert tok.decode(row[seps[1] + 1:seps[2]]) == "baldwin fired a colt. 45."
    # offsets map the candidate's tokens back into the sentence text
    first = np.flatnonzero(enc.sentence_mask[0])[0]
    assert (enc.char_start[0][first], enc.char_end[0][first]) == (0, 7)
    # a row without context still has its empty context segment, and padding is masked out
    assert enc.attention_mask[1].sum() < enc.attention_mask[0].sum()


def test_best_span_respects_order_length_and_mask():
    start = np.array([9.0, 1.0, 0.0, 5.0, 0.0])
    end = np.array([9.0, 0.0, 4.0, 0.0, 3.0])
    mask = np.array([False, True, True, True, True])  # position 0 is [CLS]: never part of a span
    chars_s, chars_e = np.arange(5) * 10, np.arange(5) * 10 + 5
    assert best_span(start, end, mask, chars_s, chars_e, max_tokens=30) == (30, 45)  # start 3, end 4
    assert best_span(start, end, mask, chars_s, chars_e, max_tokens=1) == (30, 35)  # one token
    assert best_span(start, end, np.zeros(5, bool), chars_s, chars_e, 30) is None


LONG_SENTENCE = ("Hannah Gutierrez-Reed, the film's armorer, was convicted of involuntary manslaughter in March and "
                 "sentenced to 18 months in prison, the maximum allowed, after a trial in which prosecutors argued "
                 "that she had brought live ammunition onto the set and failed to check the weapons she handed out.")


def test_reading_real_tokens_only_equals_the_padded_forward_pass_training_runs():
    """The reader's pass skips padding in its matrix multiplies and fuses query, key and value: it must give what
    the padded transformers forward pass (the one training ran) gives."""
    import torch
    from transformers import AutoModel

    fused = SentenceReaderModel(MODEL_DIR, "fp32")
    padded = build_network(AutoModel.from_pretrained(bundled_encoder_path())).eval()
    state = {}
    for name, tensor in fused.network.state_dict().items():
        if ".attention.self.qkv." in name:
            for part, piece in zip(("query", "key", "value"), tensor.chunk(3)):
                state[name.replace(".qkv.", f".{part}.")] = piece
        else:
            state[name] = tensor
    padded.load_state_dict(state)
    sentences = ["Baldwin fired the gun.", LONG_SENTENCE, "The film was finished.", "Hutchins died."]
    enc = encode_pairs(fused.tokenizer, "Who was the film's armorer?", sentences, ["", "The trial ended.", "", ""])
    inputs = {name: torch.from_numpy(getattr(enc, name))
              for name in ("input_ids", "attention_mask", "token_type_ids", "sentence_mask")}
    assert enc.attention_mask.sum() < 0.6 * enc.attention_mask.size  # mostly padding: the case at stake
    with torch.inference_mode():
        got, expected = fused.network.read(**inputs), padded(**inputs)
    assert torch.allclose(got["scores"], expected["scores"], atol=1e-4)
    inside = inputs["sentence_mask"]
    for end in ("start", "end"):
        assert torch.allclose(got[end][inside], expected[end][inside], atol=1e-4)


def test_padding_the_token_count_to_a_bucket_changes_no_score_or_span(model):
    import torch

    enc = encode_pairs(model.tokenizer, "Who was the film's armorer?", ["Baldwin fired the gun.", LONG_SENTENCE],
                       ["", "The trial ended."])
    inputs = {name: torch.from_numpy(getattr(enc, name))
              for name in ("input_ids", "attention_mask", "token_type_ids", "sentence_mask")}
    assert enc.attention_mask.sum() % 64  # the bucket adds rows
    with torch.inference_mode():
        exact, bucketed = model.network.read(**inputs), model.network.read(**inputs, token_bucket=64)
    for name in ("scores", "start", "end", "states"):
        assert torch.allclose(exact[name], bucketed[name], atol=1e-4)


def test_a_row_reads_the_same_whatever_shares_its_pass(model):
    """Scores and spans must not depend on which rows share a forward pass (padding is masked out)."""
    question = "Who was the film's armorer?"
    sentences = ["Baldwin fired the gun.", LONG_SENTENCE, "The film was finished.", "Hutchins died."]
    together = model.read(question, sentences, [""] * 4)
    alone = [model.read(question, [s], [""]) for s in sentences]
    assert np.allclose(together.scores, [a.scores[0] for a in alone], atol=0.05)
    assert together.spans == [a.spans[0] for a in alone]


# A docket entry as long as #187 of the Warren docket: what it is comes first, who signed it and when, last.
LONG_ENTRY = ("[2005-09-13] #187: JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos. imprisonment on Ct. 1; 76 Mos. "
              "on Ct. 34, both to run concurrently; 3 Yrs. supervised release each ct., to run concurrently; pay $200 "
              "assessment; pay $9,150,603.00 restitution; Count(s) 10-20, 2-4, 21, 22, 23, 24, 25-29, 35-48, 49, 5, "
              "6-8, 9, Dismissed on motion of the US Atty.; Count(s) 34, 60 Mos. imprisonment on Ct. 1; 76 Mos. on "
              "Ct. 34, both to run concurrently; 3 Yrs. supervised release; $200 assessment; $9,150,603.00 "
              "restitution . Signed by Judge Lacy Thornburg on 9/12/05. (Wilson, Sharon) (Entered: 09/14/2005)")


def test_windows_cover_a_long_sentence_and_overlap():
    assert window_starts(MAX_SENTENCE_TOKENS) == [0]
    starts = window_starts(250)
    assert starts[0] == 0 and starts[-1] + MAX_SENTENCE_TOKENS == 250
    assert all(0 < b - a <= MAX_SENTENCE_TOKENS - 24 for a, b in zip(starts, starts[1:]))


def test_a_long_sentence_is_read_in_windows_after_its_opening(model):
    tok = model.tokenizer
    enc = encode_pairs(tok, "Who signed it?", ["Short.", LONG_ENTRY], ["", "The docket."], windows=True)
    n_tokens = len(tok.encode([LONG_ENTRY])[0].ids)
    assert n_tokens > MAX_SENTENCE_TOKENS
    assert enc.sentence_of_row.tolist() == [0] + [1] * len(window_starts(n_tokens))
    last = len(enc.sentence_of_row) - 1
    # the last window ends with the sentence; its context segment is the sentence's opening, not the given context
    assert enc.char_end[last][enc.sentence_mask[last]][-1] == len(LONG_ENTRY)
    seps = np.flatnonzero(enc.input_ids[last] == tok.sep_token_id)
    opening = tok.encode([LONG_ENTRY])[0].ids[:MAX_CONTEXT_TOKENS]
    assert enc.input_ids[last][seps[0] + 1:seps[1]].tolist() == opening
    # training reads as before: one row per sentence, cut
    cut = encode_pairs(tok, "Who signed it?", ["Short.", LONG_ENTRY], ["", "The docket."])
    assert cut.sentence_of_row.tolist() == [0, 1] and cut.sentence_mask[1].sum() == MAX_SENTENCE_TOKENS


def test_the_reader_finds_an_answer_past_the_first_window(model):
    """Who signed the judgment comes after the first MAX_SENTENCE_TOKENS tokens of the entry: a reader that cut the
    entry there could neither score it as the answer nor mark the judge's name."""
    out = model.read("Who signed the judgment?", [LONG_ENTRY], ["United States v. Warren"])
    start, end = out.spans[0]
    assert "Lacy Thornburg" in LONG_ENTRY[start:end]
    assert 1 / (1 + np.exp(-out.scores[0])) > 0.5


def unit_rows(cosines) -> np.ndarray:
    """Unit vectors whose cosine to the query [1, 0] is each of `cosines`."""
    c = np.asarray(cosines, dtype=np.float64)
    return np.stack([c, np.sqrt(1 - c ** 2)], axis=1)


QUERY = np.array([1.0, 0.0])


def test_shortlist_fuses_dense_and_lexical_ranks():
    vectors = unit_rows([0.9, 0.1, 0.5, 0.2])
    lexical = np.array([0.0, 5.0, 4.0, 0.0])
    alone = [-1, -1, -1, -1]
    # 2 is second in both lists; 1 is first by BM25 and last by dense, which still beats 0, first by dense alone;
    # a sentence without any query term (BM25 0) is ranked by dense similarity only.
    assert shortlist(QUERY, vectors, lexical, [0, 1, 2, 3], alone, 4) == [2, 1, 0, 3]
    assert shortlist(QUERY, vectors, lexical, [0, 1, 2, 3], alone, 2) == [2, 1]
    # Positions are into the ids given, which index the whole record's arrays.
    assert shortlist(QUERY, vectors, lexical, [3, 2], [-1, -1], 2) == [1, 0]


def test_shortlist_reads_a_sentence_with_its_context():
    """Sentence 1 ("He was born in 1990") shares nothing with the question, but the sentence read before it names
    whom the question asks about (sentence 0, BM25 5, cosine 1). In its context it is shortlisted over sentence 2,
    which is a little closer alone."""
    vectors = unit_rows([1.0, 0.3, 0.35, 0.2])
    lexical = np.array([5.0, 0.0, 0.0, 1.0])
    ids = [1, 2, 3]
    assert shortlist(QUERY, vectors, lexical, ids, [0, -1, -1], 2) == [2, 0]
    assert shortlist(QUERY, vectors, lexical, ids, [-1, -1, -1], 2) == [2, 1]


def test_context_position_follows_what_the_reader_reads_before_a_sentence():
    doc = parse_document(b"Marie Curie\n\nMarie Curie was a physicist and chemist who conducted pioneering research "
                         b"on radioactivity. She was born in Warsaw, in what was then the Kingdom of Poland.\n\n"
                         b"She won the Nobel Prize twice, in physics in 1903 and in chemistry in 1911.",
                         "curie.txt", ".txt")
    texts = [s.text for s in doc.sentences]
    assert texts[0] == doc.title == "Marie Curie"
    # the headline has none; a paragraph's first sentence is read after the headline, any other after the one before
    assert [context_position(doc, i) for i in range(len(texts))] == [-1, 0, 1, 0]
    assert [sentence_context(doc, i) for i in range(1, 4)] == ["Marie Curie", texts[1], "Marie Curie"]


def test_reader_prefers_the_sentence_that_answers_over_one_that_shares_the_words(model):
    question = "What was Halyna Hutchins' job on the production?"
    sentences = ["In her memory, the Halyna Hutchins Foundation continues to advocate for stronger safety measures.",
                 "Alec Baldwin is no longer facing charges in the fatal shooting of cinematographer Halyna Hutchins "
                 "on the set of Rust."]
    out = model.read(question, sentences, ["", ""])
    assert out.scores[1] > out.scores[0]
    start, end = out.spans[1]
    assert "cinematographer" in sentences[1][start:end]


def test_reduced_precisions_read_like_float32(model):
    """bf16 (the default where the CPU has it) and int8 must rank and score the record's sentences as float32
    does."""
    question = "Why were the charges against Baldwin dismissed?"
    sentences = ["Special prosecutor Kari Morrissey has withdrawn her appeal of a judge's decision to dismiss "
                 "involuntary manslaughter charges against Baldwin, as reported by Variety.",
                 "The charges were dismissed during the trial in July after Judge Mary Marlowe Sommer criticized the "
                 "prosecution for failing to provide key evidence, a cache of bullets, to the defense.",
                 "Baldwin's attorneys, Alex Spiro and Luke Nikas welcomed the outcome.",
                 "In her memory, the Halyna Hutchins Foundation continues to advocate for stronger safety measures."]
    contexts = ["Alec Baldwin is no longer facing charges.", "", "", ""]
    exact = model.read(question, sentences, contexts)
    for precision in ("bf16", "int8"):
        reduced = get_reader_model(precision=precision).read(question, sentences, contexts)
        assert np.abs(reduced.scores - exact.scores).max() < 0.3, precision
        assert np.argmax(reduced.scores) == np.argmax(exact.scores), precision


def test_int8_smoothing_moves_activation_ranges_into_the_weights_without_changing_the_product():
    """Channel j of the input is divided by s_j and column j of the weight multiplied by it: before rounding to
    int8 the product is the same; after, a channel whose activations run 100x larger than the rest no longer
    costs the others their precision."""
    import torch

    from qa.reader_model import smooth_int8

    torch.manual_seed(0)
    network = build_network(__import__("transformers").AutoModel.from_pretrained(bundled_encoder_path()))
    network.eval()
    network.fuse_attention_inputs()
    layer = network.encoder.encoder.layer[0]
    linear = layer.intermediate.dense
    x = torch.randn(64, linear.in_features)
    x[:, 7] *= 100.0  # an outlier channel, as MiniLM has
    exact = linear(x).detach()
    plain = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear},
                                                   dtype=torch.qint8)[0](x)
    ranges = {}
    for i, lay in enumerate(network.encoder.encoder.layer):
        for place, module in (("qkv", lay.attention.self.qkv), ("attention_output", lay.attention.output.dense),
                              ("intermediate", lay.intermediate.dense), ("output", lay.output.dense)):
            ranges[f"layer.{i}.{place}"] = torch.ones(module.in_features)
    ranges["layer.0.intermediate"] = x.abs().amax(0)
    smooth_int8(network, ranges)
    smoothed = layer.intermediate.dense
    unrounded = torch.nn.functional.linear(x * smoothed.inverse_scale, linear.weight / smoothed.inverse_scale[None, :],
                                           linear.bias)
    assert torch.allclose(unrounded, exact, atol=1e-3)
    assert (smoothed(x) - exact).abs().mean() < 0.5 * (plain - exact).abs().mean()


def test_bf16_reader_packs_its_matrices_once_and_reads_as_autocast_over_float32_does():
    """The weights are cast (and packed for oneDNN) once at load instead of on every forward pass; the arithmetic
    is autocast's, up to the order in which oneDNN's kernels, chosen by matrix shape, sum in bf16."""
    import torch

    from qa.encoder import _packed_linear_class

    question = "What was Hutchins' job?"
    sentences = ["Baldwin shot cinematographer Halyna Hutchins on the set.", "The charges were dropped in July."]
    contexts = ["", "Baldwin shot cinematographer Halyna Hutchins on the set."]
    bf16 = get_reader_model(precision="bf16")
    if _packed_linear_class():
        assert type(bf16.network.score) is _packed_linear_class()
        assert not any(isinstance(m, torch.nn.Linear) for m in bf16.network.modules())
    else:
        assert bf16.network.score.weight.dtype == torch.bfloat16
    autocast_over_float32 = SentenceReaderModel(MODEL_DIR, "fp32")
    autocast_over_float32.precision = "bf16"  # reads under autocast, weights as loaded
    assert autocast_over_float32.network.score.weight.dtype == torch.float32
    expected = autocast_over_float32.read(question, sentences, contexts)
    got = bf16.read(question, sentences, contexts)
    assert np.allclose(got.scores, expected.scores, atol=0.05) and got.spans == expected.spans


def test_engine_scores_at_most_reader_candidates(engine, monkeypatch):
    seen = []
    real = SentenceReaderModel.read

    def spy(self, question, sentences, contexts):
        seen.append(len(sentences))
        return real(self, question, sentences, contexts)

    monkeypatch.setattr(SentenceReaderModel, "read", spy)
    engine.ask("Who was the film's armorer?", reader_candidates=3)
    engine.ask("Who was the film's armorer?")
    assert seen[0] == 3 and 3 < seen[1] <= engine.settings.reader_candidates


def test_an_unsure_reader_reads_the_next_candidates_too(engine, monkeypatch):
    """When no shortlisted sentence answers with probability `reader_second_look`, the next `reader_candidates`
    are read as well, and the best of all of them is the answer."""
    from qa.reader_model import ReaderOutput

    calls = []

    def unsure_until_second_pass(self, question, sentences, contexts):
        calls.append(list(sentences))
        logit = -4.0 if len(calls) == 1 else 2.0  # p 0.018 on the first pass, 0.88 on the second
        return ReaderOutput(np.full(len(sentences), logit, dtype=np.float32), [None] * len(sentences),
                            np.full(len(sentences), 1 / (1 + np.exp(-logit))))

    monkeypatch.setattr(SentenceReaderModel, "read", unsure_until_second_pass)
    answer = engine.ask("Who was the film's armorer?", reader_candidates=3, reader_second_look=0.3)
    assert [len(c) for c in calls] == [3, 3] and not set(calls[0]) & set(calls[1])
    assert answer.answerability > 0.8
    assert " ".join(answer.citations[0].quote.split()) in {" ".join(text.split()) for text in calls[1]}
    calls.clear()
    engine.ask("Who was the film's armorer?", reader_candidates=3, reader_second_look=0.0)
    assert [len(c) for c in calls] == [3]  # 0: one pass, however unsure


def test_answerability_head_doubts_a_question_whose_fact_the_record_does_not_state(engine):
    """The head reads the pair, not just how well the sentence matches: a question about the record with one fact
    changed (the sentence's length, the rehearsal's date, what happened to the charges) is less than half as
    answerable as the question the record answers. The reader's probability alone gives the 28-month question
    0.71 against 0.98 (session 20)."""
    pairs = [("How long is the armorer's sentence?", "Is the armorer serving a 28-month sentence?"),
             ("What did Baldwin fire during the October 2021 rehearsal?",
              "What did Baldwin fire during the March 2022 rehearsal?"),
             ("When were the charges dismissed?", "When were the charges reinstated?")]
    for stated, changed in pairs:
        answered = engine.ask(stated)
        assert not answered.abstained
        assert engine.ask(changed).answerability < 0.5 * answered.answerability, changed


def test_missing_or_damaged_weights_raise_model_load_error(tmp_path):
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    data = bytearray((folder / WEIGHTS).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / WEIGHTS).write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="damaged"):
        SentenceReaderModel(folder)
    shutil.copy(MODEL_DIR / WEIGHTS, folder / WEIGHTS)
    (folder / CARD).write_text("{not json")
    with pytest.raises(ModelLoadError, match="unreadable"):
        SentenceReaderModel(folder)
    shutil.copy(MODEL_DIR / CARD, folder / CARD)
    (folder / ANSWERABILITY_HEAD).write_bytes(b"not the head")
    with pytest.raises(ModelLoadError, match="answerability head"):
        SentenceReaderModel(folder)
    SentenceReaderModel(folder, head=False)  # what fitting a new head reads with
    shutil.copy(MODEL_DIR / ANSWERABILITY_HEAD, folder / ANSWERABILITY_HEAD)
    (folder / ACTIVATION_RANGES).write_bytes(b"not the ranges")
    SentenceReaderModel(folder, "fp32")  # only int8 needs them
    with pytest.raises(ModelLoadError, match="activation ranges"):
        SentenceReaderModel(folder, "int8")
    (folder / WEIGHTS).unlink()
    with pytest.raises(ModelLoadError, match="missing"):
        SentenceReaderModel(folder)


def test_shipped_weights_are_small_and_carry_their_card():
    import json

    card = json.loads((MODEL_DIR / CARD).read_text())
    assert (MODEL_DIR / WEIGHTS).stat().st_size <= 25_000_000
    assert 0.0 < card["threshold"] < 1.0 and card["sha256"] and card["answerability_sha256"]
    assert (MODEL_DIR / ANSWERABILITY_HEAD).stat().st_size <= 10_000


def test_off_topic_floor_abstains_where_the_threshold_alone_would_answer(engine, monkeypatch):
    model = get_reader_model(precision=engine.settings.reader_precision)
    assert 0.0 < model.similarity_floor < 1.0
    monkeypatch.setattr(model, "threshold", 0.0)  # only the off-topic floor can abstain now
    assert engine.ask("What is the capital of France?").abstained
    assert not engine.ask("Who are Baldwin's attorneys?").abstained
    # a reader at least the calibrated sure level answers under the floor
    assert 0.0 < model.off_topic_sure < 1.0
    monkeypatch.setattr(model, "off_topic_sure", 0.0)
    assert not engine.ask("What is the capital of France?").abstained
    monkeypatch.setattr(model, "off_topic_sure", 1.0)
    # an explicit threshold replaces the whole calibration, floor included
    assert not engine.ask("What is the capital of France?", abstain_threshold=0.0).abstained


def test_candidates_are_ranked_by_the_logit_plus_the_weighted_cosine(engine, monkeypatch):
    """With a reader that cannot tell the candidates apart, the order is the bi-encoder's: the calibrated weight of
    the question's cosine to each sentence decides it."""
    import qa.readers
    from qa.reader_model import ReaderOutput

    model = get_reader_model(precision=engine.settings.reader_precision)
    assert model.rank_cosine_weight > 0
    monkeypatch.setattr(SentenceReaderModel, "read", lambda self, q, sentences, contexts: ReaderOutput(
        np.zeros(len(sentences), dtype=np.float32), [None] * len(sentences), np.full(len(sentences), 0.5)))
    seen = []
    real = qa.readers.read_sentences

    def spy(question, passages, index, query_vector, *rest, **options):
        reading = real(question, passages, index, query_vector, *rest, **options)
        seen.append((reading, index.sentence_vectors[reading.sentence_ids] @ query_vector))
        return reading

    monkeypatch.setattr(qa.readers, "read_sentences", spy)
    engine.ask("What did the prosecution say got in the way of its efforts?")
    reading, cosines = seen[0]
    assert len(cosines) > 2 and np.all(np.diff(cosines) <= 0)
    assert reading.answerability == pytest.approx(0.5)  # the probabilities stay the reader's


def test_age_and_date_questions_are_recognised_and_so_are_the_sentences_that_state_them():
    from qa.questions import states_fact

    assert [fact(q) for q in ("How old is Alec Baldwin?", "And what was the victim's age?", "At what age did she leave?",
                              "On what date was Celestin indicted?", "What day was the verdict read?")] == \
        ["AGE", "AGE", "AGE", "DATE", "DATE"]
    assert [fact(q) for q in ("What was the age group most affected?", "When was he arrested?",
                              "How long did the trial last?", "What year did the trial begin?")] == [None] * 4
    for text in ("Whitfield, 41, had worked at the branch.", "a 45-year-old defendant", "He was 17 when he enlisted.",
                 "She left school at 16.", "the victim, aged 30, died", "born in 1958"):
        assert states_fact("AGE", text), text
    for text in ("She is serving an 18-month sentence.", "punishable by ten years' imprisonment",
                 "Id. at 34.", "See Miller, 471 U.S. at 80."):
        assert not states_fact("AGE", text), text
    for text in ("on March 3, 2021", "Entered: 02/16/2005", "on Monday", "in 1998"):
        assert states_fact("DATE", text), text
    # statute and docket numbers are not years, nor is a cited case's year a date of this one
    assert not states_fact("DATE", "five counts of bank fraud, see 18 U.S.C. §§ 1344 and 2, in No. 08-2056")
    assert not states_fact("DATE", "we rejected it in United States v. Moore, 286 F.3d 47, 49 (1st Cir. 2002), and "
                                   "see nothing in United States v. Rodriquez, 553 U.S. 377 (2008)")
    assert fact("How much did Baldwin pay in damages?") == "AMOUNT" and fact("How much time did she serve?") is None
    for text in ("pay $9,150,603.00 restitution", "costs 40 Swiss francs", "a fee of GBP 342,500", "raised by 50%"):
        assert states_fact("AMOUNT", text), text
    assert not states_fact("AMOUNT", "She is serving an 18-month sentence on Counts 1 and 34.")


def test_sentencing_questions_are_recognised_and_so_are_the_sentences_that_state_a_term():
    from qa.questions import states_fact

    assert {fact(q) for q in ("What sentence did Viki Warren receive?", "How long was Weekes sentenced to?",
                              "What prison term did the district court give Celestin?", "What was her sentence?",
                              "What was the sentence on Count 34?", "What was the sentence?",
                              "How much time is the armorer spending behind bars?",
                              "How long is Gutierrez Reed's sentence?")} == {"TERM"}
    # a reason, a grammatical sentence, a duration of something else
    assert [fact(q) for q in ("Why was Baldwin sentenced to prison?", "What is the longest sentence in the book?",
                              "How long did he serve in the army?",
                              "How much time did she spend in Paris?")] == [None] * 4
    for text in ("is serving an 18-month sentence", "sentenced Celestin to forty-one months", "76 Mos. on Ct. 34",
                 "not authorized to sentence higher than two and one-half years", "15 years’ imprisonment",
                 "sentenced to life", "five years of probation", "ordered to pay a $500 fine"):
        assert states_fact("TERM", text), text
    # a sentencing paper that gives no term; a duration that is no penalty
    for text in ("SENTENCING MEMORANDUM by USA as to Robert Warren, Viki Warren",
                 "Whitfield, 41, had worked at the branch for twelve years.", "It was a fine day."):
        assert not states_fact("TERM", text), text


@pytest.mark.parametrize("question,answered", [("How long was Blake sentenced to?", True),
                                               ("What sentence did Nora Blake receive?", True),
                                               ("What sentence did Jones receive?", False),
                                               ("What sentence did the defendant receive?", False)])
def test_the_sentence_a_court_paper_imposes_on_its_party_answers_whatever_the_reader_scores_it(tmp_path, question,
                                                                                            answered):
    """The reader gives an opinion's imposed sentence 0.004-0.07 (Weekes, Laurent); a threshold of 0.99 stands in for
    that here. A question naming the case's party is answered with it; one naming someone else, or no one, is left
    to the reader, and so is a news story (no case name)."""
    from qa import Engine

    answer = record_engine(tmp_path, "opinion.txt", IMPOSED_RECORD).ask(question, abstain_threshold=0.99)
    assert answer.abstained is not answered, answer.text
    if answered:
        assert "sentenced Blake to 46 months" in answer.citations[0].quote
    news = tmp_path / "news"
    news.mkdir()
    (news / "story.txt").write_text(IMPOSED_RECORD.replace("UNITED STATES v. NORA BLAKE", "Blake loses her appeal"))
    assert Engine(corpus_dir=news, index_dir=tmp_path / "news-index").ask(question, abstain_threshold=0.99).abstained


# (fact, sentence, whether it states it): excerpts of the court files and of the seed, and near misses.
STATED = [
    ("IMPOSED", "The district court sentenced him to 15 years' imprisonment under the ACCA.", True),
    ("IMPOSED", "Rejecting arguments for a lower sentence, the court imposed a sentence of 84 months' imprisonment.",
     True),
    ("IMPOSED", "defendant was sentenced to 11 months imprisonment", True),
    ("IMPOSED", "is serving an 18-month sentence", True),
    ("IMPOSED", "ordering him to return to prison for an additional two years", True),
    ("IMPOSED", "[2005-09-13] #187: JUDGMENT as to Robert Warren (1), Count(s) 1, 60 Mos. imprisonment on Ct. 1", True),
    # what a crime is punishable by, a guidelines range, a sentence argued for; a judgment stating no term
    ("IMPOSED", "his crimes were potentially punishable by ten years' imprisonment", False),
    ("IMPOSED", "yielding a sentence range of 77 to 96 months", False),
    ("IMPOSED", "Blake argued for a sentence of probation because she had repaid part of the loss.", False),
    ("IMPOSED", "[2005-10-07] #195: AMENDED JUDGMENT as to counts dismissed only. Cts. 35-48, 49 dismissed", False),
    # a marshal's return of a judgment executed is no death sentence
    ("TERM", "[2014-05-28] #297: Judgment Returned Executed as to Robert Warren on 5/8/2014.", False),
    ("CHARGE", "Weekes was indicted on one count of being a felon in possession of a firearm.", True),
    ("CHARGE", "a superseding indictment charging Matos and other co-defendants with wire fraud", True),
    ("CHARGE", "Roa-Medina pleaded guilty in 2006 to four counts of distributing controlled substances.", True),
    ("CHARGE", "Baldwin was accused of recklessness and criminal negligence.", True),
    ("CHARGE", "a judge's decision to dismiss involuntary manslaughter charges against Baldwin", True),
    ("CHARGE", "However, the charges were reduced to misdemeanor criminal battery.", True),
    # that there were charges, a statute he was charged under, earlier convictions
    ("CHARGE", "Alec Baldwin is no longer facing charges in the fatal shooting.", False),
    ("CHARGE", "The federal statute under which Crooker was charged defines a firearm.", False),
    ("CHARGE", "Two of Weekes's convictions were for drug offenses.", False),
    ("CHARGE", "Holloway had earlier been charged in state court, and his record included convictions for burglary.",
     False),
    ("STATUTE", "Matos pled guilty to three counts of wire fraud, in violation of 18 U.S.C. § 1343.", True),
    ("CHARGED_UNDER", "Matos pled guilty to three counts of wire fraud, in violation of 18 U.S.C. § 1343.", True),
    ("STATUTE", "Roa-Medina filed a motion under 18 U.S.C. § 3582(c)(2) to reduce his sentence.", True),
    ("CHARGED_UNDER", "Roa-Medina filed a motion under 18 U.S.C. § 3582(c)(2) to reduce his sentence.", False),
    ("STATUTE", "U.S.S.G. § 4A1.2(c)(1) excludes such offenses.", False),  # a guideline
]


@pytest.mark.parametrize("fact,text,states", STATED)
def test_which_sentences_state_a_charge_a_penalty_imposed_or_a_statute(fact, text, states):
    from qa.questions import states_fact

    assert states_fact(fact, text) is states


def test_preferred_kinds_within_the_asked_for_fact():
    from qa.questions import PREFERRED_FACTS, PREFERRED_WITHIN

    assert PREFERRED_WITHIN == {"TERM": "IMPOSED", "STATUTE": "CHARGED_UNDER"}
    assert {"CHARGE", "IMPOSED", "STATUTE", "CHARGED_UNDER"} <= set(PREFERRED_FACTS)


IMPOSED_RECORD = ("UNITED STATES v. NORA BLAKE\n\n"
                  "Nora Blake appeals from her sentence for wire fraud. "
                  "Wire fraud is punishable by up to twenty years in prison. "
                  "The presentence report calculated a guidelines sentencing range of 41 to 51 months. "
                  "Blake argued for a sentence of probation because she had repaid part of the loss. "
                  "The district court sentenced Blake to 46 months in prison, in the middle of the range. "
                  "We affirm.\n")


@pytest.mark.parametrize("question", ["How long was Blake sentenced to?", "What sentence did Blake receive?",
                                      "What was Blake's sentence?"])
def test_a_sentencing_question_is_answered_with_the_sentence_imposed(tmp_path, question):
    """Without the preference these cite what wire fraud is punishable by or the probation Blake argued for."""
    answer = record_engine(tmp_path, "opinion.txt", IMPOSED_RECORD).ask(question)
    assert not answer.abstained and "sentenced Blake to 46 months" in answer.citations[0].quote, answer.text


AGE_RECORD = ("Jury convicts former bank manager of fraud\n\n"
              "A federal jury in Tucson convicted former bank manager Dana Whitfield of wire fraud on Thursday. "
              "Whitfield, 41, had worked at the branch for twelve years. "
              "She is serving an 18-month sentence at a federal prison in Arizona.\n")


SENTENCE_RECORD = ("Jury convicts former bank manager of fraud\n\n"
                   "A federal jury in Tucson convicted former bank manager Dana Whitfield of wire fraud on Thursday. "
                   "Whitfield had worked at the branch for twelve years. "
                   "Prosecutors filed a sentencing memorandum asking the judge to impose a long sentence on Whitfield. "
                   "Judge Maria Ortiz sentenced Whitfield to 30 months in prison and ordered her to repay the bank.\n")


@pytest.mark.parametrize("states_term", [True, False])
def test_a_sentencing_question_is_answered_only_from_a_sentence_that_states_a_term(tmp_path, states_term):
    """Without the rule, the record without the term answers with the sentencing memorandum or the twelve years at
    the branch (answerability 0.15-0.66)."""
    text = SENTENCE_RECORD if states_term else SENTENCE_RECORD.replace(
        "sentenced Whitfield to 30 months in prison and ordered", "ordered")
    engine = record_engine(tmp_path, "news.txt", text)
    for question in ("What sentence did Whitfield receive?", "How long was Whitfield sentenced to?",
                     "How much time will Whitfield spend in prison?"):
        answer = engine.ask(question)
        if states_term:
            assert not answer.abstained and "30 months" in answer.citations[0].quote, question
        else:
            assert answer.abstained, (question, answer.text)


@pytest.mark.parametrize("states_age", [True, False])
def test_an_age_question_is_answered_only_from_a_sentence_that_states_an_age(tmp_path, states_age):
    """A sentence about the person that gives no age ("an 18-month sentence") is no answer to how old she is."""
    text = AGE_RECORD if states_age else AGE_RECORD.replace("Whitfield, 41, had", "Whitfield had")
    engine = record_engine(tmp_path, "news.txt", text)
    for question in ("How old is Dana Whitfield?", "How old was Whitfield when she was convicted?"):
        answer = engine.ask(question)
        if states_age:
            assert not answer.abstained and "41" in answer.citations[0].quote, question
        else:
            assert answer.abstained, (question, answer.text)


def test_outcome_questions_are_recognised_and_so_are_the_sentences_that_state_a_disposition():
    from qa.questions import PREFERRED_FACTS, states_fact

    assert {fact(q) for q in ("What was the outcome of the appeal?", "What did the First Circuit do with his appeal?",
                              "How did the court rule?", "Was the conviction upheld?", "Did Weekes win his appeal?",
                              "What happened to her appeal?", "What was the court's decision?",
                              "What was the result in the appeal from the denial of his 2255 motion?")} == {"OUTCOME"}
    # one holding, not the disposition; an outcome of something other than a case
    assert [fact(q) for q in ("What did the court decide about the hearsay?",
                              "What did the court do with the evidence?",
                              "What was the result of the election?")] == [None] * 3
    assert "OUTCOME" in PREFERRED_FACTS
    for text in ("We affirm.", "Affirmed.", "The conviction is reversed and the case remanded.",
                 "For these reasons, we vacate and remand for resentencing."):
        assert states_fact("OUTCOME", text), text
    # an earlier court's decision, a standard of review
    for text in ("We affirmed his first conviction in 2005.", "We review the ruling for abuse of discretion."):
        assert not states_fact("OUTCOME", text), text


def test_charge_questions_are_recognised():
    assert {fact(q) for q in ("What was Weekes charged with?", "What offense was Weekes charged with?",
                              "What were the charges against him?", "What was the defendant indicted for?",
                              "What charges did he face?", "What was he prosecuted for?",
                              "What was Donath convicted of?")} == {"CHARGE"}
    # who or when, a duty, a fee
    assert [fact(q) for q in ("Who was charged?", "When was he charged?", "What was the agency charged with doing?",
                              "What is the charge for recycling?")] == [None] * 4


def test_statute_questions_are_recognised():
    assert {fact(q) for q in ("What statute was Crooker convicted under?", "Under what statute was Laurent charged?",
                              "Which law did he violate?")} == {"STATUTE"}


STATUTE_RECORD = ("UNITED STATES v. OWEN PRATT\n\n"
                  "Owen Pratt appeals from the denial of his motion to reduce his sentence. "
                  "Pratt was convicted of possessing a firearm as a felon, in violation of 18 U.S.C. § 922(g). "
                  "After the Sentencing Commission lowered the range, Pratt filed a motion under the statute "
                  "18 U.S.C. § 3582(c)(2), which lets a court reduce a sentence. "
                  "The district court denied the motion under that statute. "
                  "We affirm.\n")


def test_a_statute_question_is_answered_with_the_statute_of_the_charge_not_of_a_motion(tmp_path):
    """Without the rule "Under what statute was Pratt charged?" cites the motion under § 3582(c)(2)."""
    answer = record_engine(tmp_path, "opinion.txt", STATUTE_RECORD).ask("Under what statute was Pratt charged?")
    assert not answer.abstained and "§ 922(g)" in answer.citations[0].quote, answer.text


def test_a_sentence_saying_a_named_person_was_cleared_is_recognised():
    from qa.questions import analyse_question, presumes_conviction, states_cleared

    assert presumes_conviction(analyse_question("Why was Baldwin sentenced to prison?"))
    assert presumes_conviction(analyse_question("When was Alec Baldwin convicted of manslaughter?"))
    assert not presumes_conviction(analyse_question("Why were the charges dropped?"))  # no one named
    assert not presumes_conviction(analyse_question("Who is Baldwin?"))
    baldwin = ("baldwin",)
    for text in ("While Baldwin’s charges have been dropped, Hannah Gutierrez Reed was convicted.",
                 "Morrissey has withdrawn her appeal of a judge’s decision to dismiss involuntary manslaughter charges "
                 "against Baldwin.",
                 "Alec Baldwin is no longer facing charges in the fatal shooting.", "Baldwin was acquitted in July."):
        assert states_cleared(text, baldwin), text
    # someone else; asked for, not done; a contention
    for text in ("Reed was acquitted.", "The defense moved to dismiss the charges against Baldwin.",
                 "Baldwin's lawyers argued that the charges against Baldwin should be dropped."):
        assert not states_cleared(text, baldwin), text
    assert not states_cleared("we note that Celestin's contention that his conviction should be vacated",
                              ("celestin",))


PREMISE_RECORD = ("Fraud case ends for one partner, prison for the other\n\n"
                  "Prosecutors said both partners of the Tucson accounting firm took part in the scheme. "
                  "Carla Smith’s charges were dropped in May after a key witness recanted. "
                  "Her partner Dana Jones was convicted of wire fraud and sentenced to two years in federal prison. "
                  "The firm has since closed.\n")


@pytest.mark.parametrize("question,cited", [("Why was Smith sentenced to prison?", "Smith’s charges were dropped"),
                                            ("How long was Smith sentenced to?", "Smith’s charges were dropped"),
                                            ("When was Carla Smith convicted?", "Smith’s charges were dropped"),
                                            ("What sentence did Jones receive?", "sentenced to two years")])
def test_a_question_taking_a_cleared_persons_conviction_as_given_is_answered_with_what_cleared_them(
        tmp_path, question, cited):
    """Without the rule the three questions about Smith are answered with Jones's conviction and sentence
    (answerability 0.42-0.85): the false premise affirmed."""
    answer = record_engine(tmp_path, "news.txt", PREMISE_RECORD).ask(question)
    assert not answer.abstained and cited in answer.citations[0].quote, answer.text


CITING_RECORD = ("UNITED STATES v. RAY OKAFOR\n\n"
                 "Officers stopped Okafor's car on Route 9 after it ran a red light. "
                 "They searched the car without a warrant and found a loaded pistol under the seat. "
                 "See Arizona v. Gant, 556 U.S. 332, 343 (2009). "
                 "The district court denied Okafor's motion to suppress the pistol. "
                 "We affirm.\n")


def test_a_bare_citation_answers_a_question_about_authority_and_no_other(tmp_path, monkeypatch):
    """An opinion backs each point with a citation; a sentence that is nothing else is read only for a question
    about cases, statutes or rules (golden weekes-drug-predicates was not shortlisted among them)."""
    import qa.reading

    engine = record_engine(tmp_path, "opinion.txt", CITING_RECORD)
    answer = engine.ask("Which case did the court cite on searching a car without a warrant?")
    assert not answer.abstained and "Arizona v. Gant" in answer.citations[0].quote, answer.text
    read = []
    original = qa.reading.read_candidates

    def spy(question, sentence_ids, index, model):
        read.extend(index.sentences[sid].text for sid in sentence_ids)
        return original(question, sentence_ids, index, model)

    monkeypatch.setattr(qa.reading, "read_candidates", spy)
    engine.ask("Was there a search warrant?", reader_candidates=8)
    assert read and not any("Gant" in text for text in read), read


CHARGE_RECORD = ("UNITED STATES v. MARCUS HOLLOWAY\n\n"
                 "Marcus Holloway appeals from his conviction and sentence. "
                 "In 2009 a grand jury returned an indictment against Holloway for possessing cocaine with intent to "
                 "distribute it. "
                 "Holloway had earlier been charged in state court, and his record included two convictions for "
                 "burglary. "
                 "The state charges were dropped when the federal case began. "
                 "At trial the government relied on the testimony of two officers who searched his car. "
                 "We affirm.\n")


@pytest.mark.parametrize("question", ["What was Holloway charged with?", "What offense was Holloway charged with?",
                                      "What were the charges against Holloway?"])
def test_a_charge_question_is_answered_with_the_charge_not_a_sentence_sharing_its_words(tmp_path, question):
    """Without the rule these cite "Holloway had earlier been charged in state court ...", which shares the
    question's words; with one candidate read, the appeal's first sentence."""
    engine = record_engine(tmp_path, "opinion.txt", CHARGE_RECORD)
    for settings in ({}, {"reader_candidates": 1, "reader_second_look": 0.0}):
        answer = engine.ask(question, **settings)
        assert not answer.abstained and "indictment against Holloway" in answer.citations[0].quote, answer.text


OPINION_RECORD = ("UNITED STATES v. DANA WHITFIELD\n\n"
                  "Dana Whitfield appeals from her conviction for wire fraud in the District of Arizona. "
                  "She argues that the district court erred in admitting the bank's internal audit records. "
                  "We review the admission of evidence for abuse of discretion. "
                  "The audit records were kept in the ordinary course of the bank's business "
                  "and were properly admitted. "
                  "The judgment of the district court is affirmed.\n")


@pytest.mark.parametrize("question", ["What did the court of appeals do with her appeal?",
                                      "Did Whitfield win her appeal?", "What happened to Whitfield's appeal?"])
def test_an_outcome_question_is_answered_with_the_courts_disposition(tmp_path, question):
    """Without the rule these questions are answered with the appeal's first sentence or the standard of review, or
    refused: the disposition shares none of their words."""
    answer = record_engine(tmp_path, "opinion.txt", OPINION_RECORD).ask(question)
    assert not answer.abstained and "is affirmed" in answer.citations[0].quote, answer.text


WEEKES = Path(__file__).resolve().parents[2] / "shared" / "data" / "court" / "150362_united-states-v-weekes.txt"


def test_caption_date_questions_are_recognised():
    from qa.questions import analyse_question, asked_caption_date
    from qa.structure import ARGUED, ISSUED

    def role(question):
        return asked_caption_date(analyse_question(question))

    assert [role(q) for q in ("When was the case argued?", "On what date was the appeal heard?",
                              "When did the court hear the case?")] == [ARGUED] * 3
    assert [role(q) for q in ("When was the case decided?", "When was the opinion issued?",
                              "When did the court decide?")] == [ISSUED] * 3
    assert [role(q) for q in ("When was Weekes arrested?", "When did Weekes argue that?")] == [None] * 2


@pytest.mark.skipif(not WEEKES.is_file(), reason=f"the court record is not at {WEEKES} (shared data absent)")
def test_a_caption_date_is_answered_from_the_captions_date_line_or_not_at_all(tmp_path):
    """Before the rule "When was the case decided?" cited a sentence about a decision, and "When was the case
    argued?", which no opinion here says, one about an argument."""
    engine = record_engine(tmp_path, WEEKES.name, WEEKES.read_bytes())
    decided = engine.ask("When was the case decided?")
    assert not decided.abstained and decided.citations[0].quote.strip() == "July 9, 2010", decided.text
    assert engine.ask("When was the case argued?").abstained


@pytest.mark.skipif(not WEEKES.is_file(), reason=f"the court record is not at {WEEKES} (shared data absent)")
def test_an_outcome_question_reads_the_courts_decision_even_when_the_shortlist_leaves_it_out(tmp_path):
    """With one candidate read, the shortlist picks a sentence that shares the question's words ("his direct appeal
    of the conviction", a caption line, a footnote); the decision is read anyway."""
    engine = record_engine(tmp_path, WEEKES.name, WEEKES.read_bytes())
    for question in ("Was the conviction upheld?", "Did Weekes win his appeal?", "What happened to his appeal?"):
        answer = engine.ask(question, reader_candidates=1, reader_second_look=0.0)
        assert not answer.abstained and answer.citations[0].quote.startswith("We affirm"), (question, answer.text)
