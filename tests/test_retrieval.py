import pytest

from conftest import write_docket
from qa.retrieval import passages_to_keep, reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=60)
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_with_one_empty_ranking_keeps_the_other_order():
    assert [i for i, _ in reciprocal_rank_fusion([[5, 4, 9], []])] == [5, 4, 9]


def test_a_document_saved_twice_gives_distinct_passages_and_candidates(seed_corpus, tmp_path, monkeypatch):
    """The copy's passages would fill the top k with the same words twice, and the reader would score each
    sentence twice: top k distinct passages, each candidate wording once."""
    from qa import Engine
    from qa.reader_model import SentenceReaderModel

    source = next(seed_corpus.iterdir())
    (seed_corpus / "saved-again.txt").write_text(source.read_text(encoding="utf-8").replace("\n", "\n\n"),
                                                 encoding="utf-8")
    read = []
    real = SentenceReaderModel.read

    def spy(self, question, sentences, contexts):
        read.append(sentences)
        return real(self, question, sentences, contexts)

    monkeypatch.setattr(SentenceReaderModel, "read", spy)
    engine = Engine(corpus_dir=seed_corpus, index_dir=tmp_path / "index")
    answer = engine.ask("Who was the armorer on the film?")
    texts = [" ".join(p.chunk.text.split()) for p in answer.passages]
    assert len(texts) >= engine.settings.top_k and len(set(texts)) == len(texts)
    assert read and len(set(read[0])) == len(read[0]) == engine.settings.reader_candidates


def test_passages_are_kept_until_they_hold_enough_sentences():
    assert passages_to_keep([5, 5, 5, 5, 5, 5, 5], top_k=5, min_sentences=24) == 5  # prose: top k already holds 25
    assert passages_to_keep([1] * 40, top_k=5, min_sentences=24) == 24  # docket entries: one sentence each
    assert passages_to_keep([1] * 40, top_k=5, min_sentences=0) == 5
    assert passages_to_keep([1, 1, 1], top_k=5, min_sentences=24) == 3  # never more than there are


def test_a_docket_gives_the_reader_sentences_to_choose_from(tmp_path, monkeypatch):
    """Five docket entries are five sentences: the reader's shortlist would have nothing to choose from. Passages
    are added until they hold 24 sentences, or 3 per reader candidate when that is more."""
    from qa import Engine
    from qa.engine import SENTENCES_TO_SHORTLIST

    (tmp_path / "corpus").mkdir()
    write_docket(tmp_path / "corpus")
    engine = Engine(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    question = "When did the court let counsel withdraw?"
    answer = engine.ask(question)
    sentences = sum(len(p.chunk.sentence_ids) for p in answer.passages)
    assert sentences == SENTENCES_TO_SHORTLIST == len(answer.passages)
    assert len(engine.ask(question, reader_candidates=2).passages) == SENTENCES_TO_SHORTLIST
    assert len(engine.ask(question, reader_candidates=10).passages) == 30
