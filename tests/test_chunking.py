from qa.chunking import chunk_sentences
from qa.documents import parse_document


def doc_of(text):
    return parse_document(text.encode(), "d.txt", ".txt")


def test_chunks_never_cut_sentences_or_cross_paragraphs():
    para1 = " ".join(f"Sentence number {i} has exactly seven words." for i in range(10))
    doc = doc_of(f"{para1}\n\nA short second paragraph. It ends here.")
    chunks = chunk_sentences(doc, 0, 0, max_words=20, overlap_sentences=1)
    starts = {s.start for s in doc.sentences}
    ends = {s.end for s in doc.sentences}
    for c in chunks:
        assert c.start in starts and c.end in ends
        assert c.text == doc.text[c.start:c.end]
        assert len({doc.sentences[i].paragraph for i in c.sentence_ids}) == 1
    assert {i for c in chunks for i in c.sentence_ids} == set(range(len(doc.sentences)))


def test_size_and_overlap():
    doc = doc_of(" ".join(f"Sentence number {i} has exactly seven words." for i in range(10)))
    chunks = chunk_sentences(doc, 0, 0, max_words=21, overlap_sentences=1)
    assert all(len(c.sentence_ids) <= 3 for c in chunks)
    for a, b in zip(chunks, chunks[1:]):
        assert a.sentence_ids[-1] == b.sentence_ids[0]  # one sentence of overlap at each seam
    no_overlap = chunk_sentences(doc, 0, 0, max_words=21, overlap_sentences=0)
    assert sum(len(c.sentence_ids) for c in no_overlap) == 10


def test_a_sentence_longer_than_the_limit_is_its_own_chunk_and_ids_are_offset():
    doc = doc_of("Short one. " + "long " * 50 + "sentence. Short two.")
    chunks = chunk_sentences(doc, 100, 7, max_words=10, overlap_sentences=0)
    assert [c.sentence_ids for c in chunks] == [(100,), (101,), (102,)]
    assert [c.chunk_id for c in chunks] == [7, 8, 9]
