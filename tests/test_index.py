import json
import os
from pathlib import Path

import numpy as np
import pytest

from qa import Engine
from qa.errors import EmptyCorpusError, ModelLoadError
from qa.index import build_index, is_stale, load_index, open_index
from qa.settings import Settings


def settings_for(corpus, index_dir, **kw):
    return Settings(corpus_dir=corpus, index_dir=index_dir, **kw)


def test_manifest_and_staleness(seed_corpus, tmp_path):
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    index = engine.refresh()
    m = index.manifest
    assert m["counts"]["documents"] == 1 and m["dimension"] == 384 and m["files"]
    s = engine.settings
    assert is_stale(index, s, seed_corpus) is None
    assert "settings" in is_stale(index, s.replace(chunk_words=40), seed_corpus)
    # Vectors of another arithmetic are not mixed in: the index is rebuilt.
    other = "fp32" if s.embedding_precision == "bf16" else "bf16"
    assert "settings" in is_stale(index, s.replace(embedding_precision=other), seed_corpus)
    (seed_corpus / "new.txt").write_text("The sheriff spoke on Friday.")
    assert "1 added" in is_stale(index, s, seed_corpus)


def test_bf16_embeddings_stay_within_rounding_of_float32():
    """The default arithmetic of the embedder, where the CPU has bfloat16 instructions, is bf16: its vectors are its
    own (not float32's), yet as close to float32's as retrieval needs."""
    from qa.embedding import get_embedder

    texts = ["The armorer was sentenced to 18 months in prison.", "Why were the charges against Baldwin dismissed?",
             "18 U.S.C. § 924(c)(1)(A) carries a mandatory minimum of five years."]
    model = Settings().embedding_model
    exact = get_embedder(model, "fp32").encode(texts)
    reduced = get_embedder(model, "bf16").encode(texts)
    assert not np.array_equal(exact, reduced)
    assert (exact * reduced).sum(axis=1).min() > 0.999


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_bf16_only_where_the_cpu_computes_in_bf16(monkeypatch, native):
    """Emulated bf16 took 6x fp32's time (an AVX2-only CPU): "auto", the default, must then take fp32, and an index
    records what it resolved to, never "auto"."""
    import qa.settings

    monkeypatch.setattr(qa.settings, "native_bf16", lambda: native)
    expected = "bf16" if native else "fp32"
    s = Settings()
    assert (s.reader_precision, s.embedding_precision) == (expected, expected)
    assert s.index_settings()["embedding_precision"] == expected
    assert Settings.from_env({"QA_READER_PRECISION": "int8"}).reader_precision == "int8"
    assert Settings.from_env({"QA_EMBEDDING_PRECISION": "fp32"}).embedding_precision == "fp32"


def test_bf16_embedder_packs_its_matrices_once_and_embeds_as_autocast_over_float32_does():
    import torch

    from qa.embedding import Embedder, get_embedder
    from qa.encoder import _packed_linear_class

    texts = ["The armorer was sentenced to 18 months in prison.", "Who was the armorer?"]
    model = Settings().embedding_model
    bf16 = get_embedder(model, "bf16")
    linears = [m for m in bf16._bert.modules() if isinstance(m, torch.nn.Linear)]
    if _packed_linear_class():  # oneDNN with bfloat16: every matrix prepacked, none left to cast per call
        assert not linears and any(type(m) is _packed_linear_class() for m in bf16._bert.modules())
    else:
        assert linears and {m.weight.dtype for m in linears} == {torch.bfloat16}
    autocast_over_float32 = Embedder(model, "fp32")
    autocast_over_float32.precision = "bf16"  # embeds under autocast, weights as loaded
    assert np.array_equal(bf16.encode(texts), autocast_over_float32.encode(texts))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_the_bundled_model_runs_without_sentence_transformers_and_embeds_as_it_does(precision):
    """The bundled model (a BERT, mean pooling, normalised) runs on transformers alone, over its real tokens: the
    vectors must be sentence-transformers' for one text or many of different lengths (attention row by row, or
    over the grid), past the model's 256 tokens (which both cut) included."""
    import torch
    from sentence_transformers import SentenceTransformer

    from qa.embedding import get_embedder, resolve_model_path

    model = Settings().embedding_model
    embedder = get_embedder(model, precision)
    assert embedder._model is None and embedder._bert is not None
    texts = ["What was Hutchins' job on the production?", "Why?", "Who sentenced Weekes? " * 60,
             "The armorer was sentenced to 18 months in prison."]
    texts += [f"Exhibit {i} was admitted " + "over objection " * i for i in range(9)]  # more rows than GRID_ROWS
    reference = SentenceTransformer(resolve_model_path(model), device="cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        expected = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    least = 0.99999 if precision == "fp32" else 0.999
    assert (embedder.encode(texts) * expected).sum(axis=1).min() > least
    assert min(float(embedder.encode_query(t) @ e) for t, e in zip(texts, expected)) > least


def test_a_folder_of_another_kind_of_model_goes_through_sentence_transformers(tmp_path):
    import shutil

    from qa.embedding import mean_pooled_bert_length, resolve_model_path

    bundled = Path(resolve_model_path(Settings().embedding_model))
    assert mean_pooled_bert_length(str(bundled)) == 256
    for name in ("modules.json", "sentence_bert_config.json", "config.json", "config_sentence_transformers.json"):
        shutil.copy(bundled / name, tmp_path / name)
    shutil.copytree(bundled / "1_Pooling", tmp_path / "1_Pooling")
    assert mean_pooled_bert_length(str(tmp_path)) is None  # no tokenizer.json: a slow tokenizer only
    shutil.copy(bundled / "tokenizer.json", tmp_path / "tokenizer.json")
    assert mean_pooled_bert_length(str(tmp_path)) == 256
    pooling = tmp_path / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text().replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true'))
    assert mean_pooled_bert_length(str(tmp_path)) is None  # CLS pooling: not ours to run
    assert mean_pooled_bert_length("sentence-transformers/all-mpnet-base-v2") is None  # a hub name, not a folder


def test_loading_a_bert_says_what_is_wrong_with_the_folder(tmp_path):
    import shutil

    from qa.embedding import resolve_model_path
    from qa.encoder import load_bert

    bundled = Path(resolve_model_path(Settings().embedding_model))
    with pytest.raises(ModelLoadError, match="holds no BERT"):
        load_bert(tmp_path)
    shutil.copy(bundled / "config.json", tmp_path / "config.json")
    with pytest.raises(ModelLoadError, match="Could not read the weights"):
        load_bert(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage")
    with pytest.raises(ModelLoadError):
        load_bert(tmp_path)
    config = json.loads((bundled / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(dict(config, model_type="gpt2")))
    with pytest.raises(ModelLoadError, match="holds no BERT"):
        load_bert(tmp_path)


def test_token_budget_batches_cover_every_row_once_longest_first_within_the_budget():
    from qa.embedding import token_budget_batches

    counts = [5, 300, 40, 40, 12, 7, 90, 3]
    batches = token_budget_batches(counts, 100)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(counts)))
    assert [counts[i] for i in rows] == sorted(counts, reverse=True)
    # A row longer than the budget goes alone; every other batch pads to at most the budget.
    assert all(len(b) * max(counts[i] for i in b) <= 100 or len(b) == 1 for b in batches)
    assert [len(b) for b in batches][:3] == [1, 1, 2]


def test_embeddings_batched_by_length_come_back_in_the_order_of_the_texts():
    from qa.embedding import get_embedder

    texts = ["Sentenced.", "The armorer was sentenced to 18 months in prison for involuntary manslaughter.",
             "Who?", "Why were the charges against Baldwin dismissed on the fourth day of the trial?", "Rust."]
    embedder = get_embedder(Settings().embedding_model, "fp32")
    one_by_one = np.stack([embedder.encode([t])[0] for t in texts])
    batched = embedder.encode(texts, max_batch_tokens=40)
    assert np.allclose(batched, one_by_one, atol=1e-5)


def test_vectors_survive_the_disk_stored_once_and_sentences_in_half_precision(seed_corpus, tmp_path):
    built = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index").refresh()
    loaded = load_index(tmp_path / "index")
    assert "chunk_vectors.npy" not in loaded.manifest["files"]  # the FAISS index holds them
    assert np.array_equal(loaded.chunk_vectors, built.chunk_vectors)
    assert loaded.sentence_vectors.dtype == np.float32
    assert np.abs(loaded.sentence_vectors - built.sentence_vectors).max() < 1e-3
    assert np.load(loaded.path / "sentence_vectors.npy").dtype == np.float16


def test_adding_a_document_embeds_only_that_document(seed_corpus, tmp_path):
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    first = engine.refresh()
    (seed_corpus / "memo.txt").write_text("Memo\n\nThe set medic arrived at 2 pm. She treated two crew members.")
    second = engine.refresh()
    assert second.manifest["counts"]["documents"] == 2
    assert second.manifest["build"]["embedded_sentences"] == len(second.documents["memo.txt"].sentences)
    assert second.path != first.path and not first.path.exists()  # old version removed after the swap


def test_a_crash_while_writing_leaves_the_previous_index_loadable(seed_corpus, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    engine = Engine(corpus_dir=seed_corpus, index_dir=index_dir)
    before = engine.refresh()
    (seed_corpus / "memo.txt").write_text("The producer resigned in May.")
    import faiss

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", disk_full)
    with pytest.raises(Exception):
        build_index(engine.settings, engine.embedder, previous=before)
    monkeypatch.undo()
    survivor = load_index(index_dir)
    assert survivor.path == before.path and survivor.manifest["counts"]["documents"] == 1
    assert not list(index_dir.glob(".tmp-*"))


def test_a_corrupted_index_file_is_detected_and_rebuilt(seed_corpus, tmp_path, caplog):
    index_dir = tmp_path / "index"
    engine = Engine(corpus_dir=seed_corpus, index_dir=index_dir)
    version = engine.refresh().path
    vectors = version / "sentence_vectors.npy"
    vectors.write_bytes(vectors.read_bytes()[:100])  # truncated
    with caplog.at_level("WARNING"):
        rebuilt = open_index(engine.settings, engine.embedder)
    assert "checksum" in caplog.text
    assert rebuilt.path != version and rebuilt.manifest["counts"]["chunks"] > 0
    assert load_index(index_dir).path == rebuilt.path


def test_garbage_current_pointer_is_treated_as_corrupt(seed_corpus, tmp_path):
    index_dir = tmp_path / "index"
    engine = Engine(corpus_dir=seed_corpus, index_dir=index_dir)
    engine.refresh()
    (index_dir / "CURRENT").write_text("../../etc")
    rebuilt = open_index(engine.settings, engine.embedder)
    assert rebuilt.path.parent == index_dir


def test_unreadable_documents_are_skipped_and_reported(seed_corpus, tmp_path):
    (seed_corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    index = engine.refresh()
    assert "broken.pdf" in index.manifest["skipped"] and index.problems
    assert {d["doc_id"]: d["status"] for d in engine.documents()}["rust-case-baldwin-cleared.txt"] == "indexed"
    assert is_stale(index, engine.settings, seed_corpus) is None  # a skipped file does not force rebuilds


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "corpus").mkdir()
    engine = Engine(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    with pytest.raises(EmptyCorpusError, match="No readable documents"):
        engine.ask("Who?")


def test_indexing_never_modifies_the_corpus(seed_corpus, tmp_path):
    before = {p.name: p.read_bytes() for p in seed_corpus.iterdir()}
    Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index").refresh()
    assert {p.name: p.read_bytes() for p in seed_corpus.iterdir()} == before


def test_reading_text_pages_and_anchors_survive_the_index(seed_corpus, tmp_path):
    from tests.test_layout import PAGE_BREAK

    (seed_corpus / "opinion.txt").write_text("".join(PAGE_BREAK), encoding="utf-8")
    built = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index").refresh()
    loaded = load_index(tmp_path / "index")
    assert loaded.sentences == built.sentences and loaded.chunks == built.chunks
    spanning = next(s for s in loaded.sentences if s.text.startswith("The government recommended"))
    assert (spanning.page, spanning.page_end) == (3, 4) and spanning.anchors
    doc = loaded.documents["opinion.txt"]
    assert "-3-" in doc.text[spanning.start:spanning.end] and "-3-" not in spanning.text
    assert all("\n" not in c.text for c in loaded.chunks)


def test_sections_and_docket_entries_survive_the_index(seed_corpus, tmp_path):
    """Format 5: each document keeps the section of each paragraph (heading or docket entry), and a citation
    built from the loaded index names it."""
    from qa.citing import cite
    from tests.test_docket import WARREN
    from tests.test_layout import HEADINGS

    (seed_corpus / "opinion.txt").write_text(HEADINGS, encoding="utf-8")
    (seed_corpus / "docket.txt").write_text(WARREN, encoding="utf-8")
    built = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index").refresh()
    loaded = load_index(tmp_path / "index")
    for doc_id in ("opinion.txt", "docket.txt"):
        assert loaded.documents[doc_id].sections == built.documents[doc_id].sections
    assert loaded.manifest["format_version"] >= 5  # sections came with format 5
    judgment = next(i for i, s in enumerate(loaded.sentences) if "#187" in s.text)
    _, (citation,), _ = cite([judgment], loaded, {}, {})
    assert citation.section == "Docket entry 187 (2005-09-13)"
    assert citation.label == "United States v. Warren \u2014 court ncwd docket 1:03-cr-00076, " \
                             "Docket entry 187 (2005-09-13)"
    argues = next(i for i, s in enumerate(loaded.sentences) if s.text.startswith("Matos first argues"))
    _, (citation,), _ = cite([argues], loaded, {}, {})
    assert citation.section == "Part II.A.1"


def test_a_chunk_vector_is_the_length_weighted_mean_of_its_sentence_vectors(tmp_path):
    """The model embeds sentences only: a passage's vector is made from its sentences' (qa.index.passage_vector)."""
    from qa.chunking import search_text
    from qa.embedding import get_embedder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "opinion.txt").write_text(
        "The judgment of the district court is affirmed.\n\n"
        "The defendant was sentenced to 120 months. He appealed. The government cross-appealed.\n",
        encoding="utf-8")
    real = get_embedder(Settings().embedding_model)

    class Counting:
        model_name, dimension = real.model_name, real.dimension

        def __init__(self):
            self.texts = []

        def encode(self, texts, show_progress=False):
            self.texts.extend(texts)
            return real.encode(texts)

    embedder = Counting()
    index = build_index(settings_for(corpus, tmp_path / "index"), embedder)
    assert len(index.chunks) > 1 and any(len(c.sentence_ids) > 1 for c in index.chunks)
    # the model runs on each sentence once, never on a chunk's text
    assert sorted(embedder.texts) == sorted(search_text(index.documents[s.doc_id], [s]) for s in index.sentences)
    for c in index.chunks:
        ids = list(c.sentence_ids)
        lengths = np.array([len(index.sentences[i].text) for i in ids], dtype=np.float32)
        expected = lengths @ index.sentence_vectors[ids]
        np.testing.assert_allclose(index.chunk_vectors[c.chunk_id], expected / np.linalg.norm(expected), atol=1e-5)
    assert set(index.manifest["build"]) >= {"ingest_seconds", "chunk_seconds", "chunk_vectors_seconds",
                                            "embed_sentences_seconds", "faiss_seconds", "bm25_seconds"}


def test_reading_many_documents_shows_a_progress_bar_only_when_asked(seed_corpus, tmp_path, capsys):
    from qa.embedding import get_embedder

    (seed_corpus / "memo.txt").write_text("The set medic arrived at 2 pm.", encoding="utf-8")
    settings = settings_for(seed_corpus, tmp_path / "index")
    embedder = get_embedder(settings.embedding_model)
    build_index(settings, embedder)
    err = capsys.readouterr().err
    assert "reading" not in err and "Batches" not in err and "embedding" not in err  # engine refreshes: no bars
    build_index(settings, embedder, progress=True)
    err = capsys.readouterr().err
    assert "reading: 100%" in err and "embedding: 100%" in err and "Batches" not in err  # python -m qa index
