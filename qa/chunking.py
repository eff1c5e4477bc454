"""Chunk: pack whole sentences of one paragraph into chunks of about `max_words` words.

A chunk never cuts a sentence and never crosses a paragraph; its text is its sentences' reading text, while its
start and end are offsets into the original document; when a paragraph needs several chunks, each
repeats the last `overlap_sentences` sentences of the one before so that context at the seam is not lost.
"""

from __future__ import annotations

from itertools import groupby

from .schema import Chunk, Document

# Words alone do not bound a chunk when "words" are huge (text without spaces, cut into 1,500-character pieces by
# documents.MAX_SENTENCE_CHARS); 120 words of prose are ~700 characters, so this never binds on real text.
MAX_CHUNK_CHARS = 3000


def chunk_text(sentences) -> str:
    """What a chunk says: its sentences' reading text (page markers and footnotes left out), one space apart. For
    text that needed no cleaning this is the document slice itself."""
    return " ".join(s.text for s in sentences)


def search_text(doc: Document, sentences) -> str:
    """What finds a chunk or a sentence in the index: its reading text, each line of an opinion's caption after its
    role (`Document.roles`), since a bare "July 9, 2010" shares nothing with "When was the opinion issued?"."""
    return " ".join(f"{doc.roles[s.index]} {s.text}" if s.index in doc.roles else s.text for s in sentences)


def chunk_sentences(doc: Document, first_sentence_id: int, first_chunk_id: int, max_words: int = 120,
                    overlap_sentences: int = 1) -> list[Chunk]:
    """Chunks of `doc`; sentence ids are numbered from `first_sentence_id` in document order."""
    chunks: list[Chunk] = []
    numbered = list(enumerate(doc.sentences, first_sentence_id))
    for _, group in groupby(numbered, key=lambda item: item[1].paragraph):
        paragraph = list(group)
        words = [len(s.text.split()) for _, s in paragraph]
        chars = [len(s.text) for _, s in paragraph]
        begin = 0
        while begin < len(paragraph):
            end, total, span = begin, 0, 0
            while end < len(paragraph) and (end == begin or (total + words[end] <= max_words
                                                            and span + chars[end] <= MAX_CHUNK_CHARS)):
                total += words[end]
                span += chars[end] + 1
                end += 1
            members = paragraph[begin:end]
            start, stop = members[0][1].start, members[-1][1].end
            chunks.append(Chunk(first_chunk_id + len(chunks), doc.doc_id, start, stop,
                                tuple(sid for sid, _ in members), chunk_text(s for _, s in members)))
            if end >= len(paragraph):
                break
            # Step back for overlap, but always move forward by at least one sentence.
            begin = max(begin + 1, end - overlap_sentences)
    return chunks
