"""Chunk: pack whole sentences of one paragraph into chunks of about `max_words` words.

A chunk never cuts a sentence and never crosses a paragraph; when a paragraph needs several chunks, each
repeats the last `overlap_sentences` sentences of the one before so that context at the seam is not lost.
"""

from __future__ import annotations

from itertools import groupby

from .schema import Chunk, Document


def chunk_sentences(doc: Document, first_sentence_id: int, first_chunk_id: int, max_words: int = 120,
                    overlap_sentences: int = 1) -> list[Chunk]:
    """Chunks of `doc`; sentence ids are numbered from `first_sentence_id` in document order."""
    chunks: list[Chunk] = []
    numbered = list(enumerate(doc.sentences, first_sentence_id))
    for _, group in groupby(numbered, key=lambda item: item[1].paragraph):
        paragraph = list(group)
        words = [len(s.text.split()) for _, s in paragraph]
        begin = 0
        while begin < len(paragraph):
            end, total = begin, 0
            while end < len(paragraph) and (end == begin or total + words[end] <= max_words):
                total += words[end]
                end += 1
            members = paragraph[begin:end]
            start, stop = members[0][1].start, members[-1][1].end
            chunks.append(Chunk(first_chunk_id + len(chunks), doc.doc_id, start, stop,
                                tuple(sid for sid, _ in members), doc.text[start:stop]))
            if end >= len(paragraph):
                break
            # Step back for overlap, but always move forward by at least one sentence.
            begin = max(begin + 1, end - overlap_sentences)
    return chunks
