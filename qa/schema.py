"""The small typed records that flow between pipeline stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Sentence:
    doc_id: str
    index: int  # position within its document
    start: int  # character offsets into Document.text: Document.text[start:end] is what a citation quotes
    end: int
    paragraph: int
    page: int | None
    # What is read and shown: the sentence with whitespace collapsed, a hyphenated line break joined, page markers
    # and footnotes left out. Equal to Document.text[start:end] when the text needed none of that.
    text: str
    page_end: int | None = None  # the last page, when the sentence runs across a page break
    # Where `text` jumps in Document.text, as (offset in text, offset in Document.text) pairs: see document_span.
    anchors: tuple[tuple[int, int], ...] = ()

    def document_span(self, i: int, j: int, document_text: str | None = None) -> tuple[int, int]:
        """The Document.text offsets of text[i:j] (j > i): a short answer found in the reading text, cited exactly.
        With the document's text, a span that ends in a decoded entity ("&amp;" read as "&") quotes all of it."""
        from .layout import OffsetMap

        return OffsetMap(self.start, self.anchors).span(i, j, self.text, document_text)

    def read_spans(self) -> list[tuple[int, int]]:
        """The Document.text spans that `text` is copied from, in order: the sentence's span less what reading
        leaves out (whitespace runs, a page marker or footnote number inside it, an entity's tail)."""
        from .layout import OffsetMap

        offsets = OffsetMap(self.start, self.anchors)
        bounds = [0] + [c for c, _ in self.anchors] + [len(self.text)]
        spans = []
        for i, j in zip(bounds, bounds[1:]):
            if j > i:
                a = offsets.to_original(i)
                spans.append((a, a + j - i))
        return spans

    @property
    def pages(self) -> tuple[int, ...]:
        """Every page the sentence is on, empty when the document has no pages."""
        if self.page is None:
            return ()
        return tuple(range(self.page, (self.page_end or self.page) + 1))


@dataclass
class Document:
    doc_id: str  # path relative to the corpus directory, with forward slashes
    title: str
    text: str
    sha256: str
    sentences: list[Sentence]
    paragraphs: list[tuple[int, int]]  # (start, end) character spans
    pages: list[tuple[int, int]] | None = None  # PDF only: character span of each page
    # Per paragraph, the section it is in: the heading it is under ("II.A. Severance") or the docket entry it is
    # ("Docket entry 187 (2005-09-13)"); None outside every section. Empty when not known.
    sections: list[str | None] = field(default_factory=list)
    # Per sentence index, what a line of an opinion's caption is ("The date the opinion was issued:"; see
    # `qa.structure.caption_roles`): the reader's context for it, and words that find it.
    roles: dict[int, str] = field(default_factory=dict)

    def unread_spans(self) -> list[tuple[int, int]]:
        """What a paragraph's sentences do not read between its words, as Document.text spans without their
        surrounding whitespace, in order: page markers, running headers, a footnote (number and text) printed where
        the paragraph runs across a page break, footnote references, a decoded entity's tail. The chat leaves them
        out of a passage."""
        read: dict[int, list[tuple[int, int]]] = {}
        for sentence in self.sentences:
            read.setdefault(sentence.paragraph, []).extend(sentence.read_spans())
        unread = []
        for spans in read.values():
            spans.sort()
            # between two read spans of the paragraph only: a footnote's own number, before its text, stays
            for (_, gap_start), (gap_end, _) in zip(spans, spans[1:]):
                gap = self.text[gap_start:gap_end]
                if gap.strip():
                    unread.append((gap_start + len(gap) - len(gap.lstrip()), gap_start + len(gap.rstrip())))
        return sorted(unread)

    def section_of(self, paragraph: int) -> str | None:
        return self.sections[paragraph] if 0 <= paragraph < len(self.sections) else None


@dataclass(frozen=True)
class Chunk:
    chunk_id: int  # row in the vector index
    doc_id: str
    start: int
    end: int
    sentence_ids: tuple[int, ...]  # rows in the corpus-wide sentence table
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the evidence for retrieving it."""

    chunk: Chunk
    score: float  # reciprocal-rank-fusion score
    rank: int
    dense_score: float
    bm25_score: float | None  # None with QA_STORE=milvus: its hybrid request returns the fused score only
    rerank_score: float | None = None  # the cross-encoder's score, when a reranker ordered the passages


@dataclass(frozen=True)
class Citation:
    number: int  # the n of "[n]" in Answer.text
    doc_id: str
    title: str
    start: int  # document_text(doc_id)[start:end] == quote
    end: int
    quote: str  # the exact slice of the document, whitespace, page markers and footnotes included
    paragraph: int
    page: int | None = None
    page_end: int | None = None  # the last page, when the quote runs across a page break
    score: float = 0.0
    # The short answer inside the quote (e.g. a name or a date), as document offsets, when the question asks for one.
    span_start: int | None = None
    span_end: int | None = None
    span_text: str | None = None
    text: str = ""  # the quote as it is read and shown: the cited sentence's reading text
    section: str | None = None  # the heading the quote is under, or the docket entry it is in

    @property
    def label(self) -> str:
        """Where the quote is, as a lawyer would say it: "United States v. Weekes, II. Background, p. 4"."""
        return source_label(self.title or self.doc_id, self.section, self.page, self.page_end, self.paragraph)


def source_label(title: str, section: str | None, page: int | None, page_end: int | None = None,
                 paragraph: int | None = None) -> str:
    """"Title, Section, p. 4" ("pp. 3-4" across a page break). A text without pages or sections gives the
    paragraph instead ("para. 3"): a docket entry or a heading says where the passage is better than a count of
    paragraphs. What is not known is left out."""
    if page is not None:
        where = f"pp. {page}-{page_end}" if page_end and page_end != page else f"p. {page}"
    else:
        where = f"para. {paragraph + 1}" if paragraph is not None and not section else None
    return ", ".join(part for part in (title, section, where) if part)


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    citations: list[Citation]
    passages: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    answerability: float = 0.0  # the reader's probability that the record answers the question
    short_answer: str | None = None
    resolved_question: str | None = None  # the question after follow-up resolution, when it changed
    reader: str = "sentence"  # which answerer produced it: sentence, extractive or generative
    # Generated sentences left out because no passage sentence supports them (generative reader only).
    dropped: list[str] = field(default_factory=list)
    # Set when the configured answerer failed and the embedded one answered instead: what happened.
    notice: str | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "short_answer": self.short_answer,
            "answerability": round(self.answerability, 4),
            "resolved_question": self.resolved_question,
            "reader": self.reader,
            "dropped": list(self.dropped),
            "notice": self.notice,
            "citations": [{**asdict(c), "label": c.label} for c in self.citations],
            "passages": [
                {"doc_id": p.chunk.doc_id, "start": p.chunk.start, "end": p.chunk.end, "text": p.chunk.text,
                 "score": p.score, "rank": p.rank, "dense_score": p.dense_score, "bm25_score": p.bm25_score,
                 "rerank_score": p.rerank_score}
                for p in self.passages
            ],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


@dataclass(frozen=True)
class Delta:
    """A piece of generated text, as it streams from the LLM, before verification. `Engine.ask_stream` yields
    these and then the verified `Answer`, which replaces the raw text."""

    text: str
