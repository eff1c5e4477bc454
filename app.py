"""The web chat over the case record: `python app.py` (or `make chat`), then open http://127.0.0.1:7860.

Answers come from `qa.Engine`; every number in an answer is a citation you can hover (title, position, quote) or
click (the passage with the cited sentence highlighted). A "Record" tab lists, adds and removes documents.
Programs can call the `/ask` endpoint with `gradio_client` and get `Answer.to_dict()` back.

Everything a document contains is shown escaped: no text from the record is ever interpreted as HTML.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import html
import ipaddress
import logging
import os
import re
import sys
import uuid
from datetime import datetime
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry or version checks

import gradio as gr  # noqa: E402

import qa  # noqa: E402
from qa import Answer, Engine, QAError  # noqa: E402

log = logging.getLogger("qa.app")

# Example questions under the chat, by the document they were written for (the built-in record's article). A record
# without that document shows none, rather than questions about a case that is not in it.
EXAMPLE_QUESTIONS = {
    "rust-case-baldwin-cleared.txt": [
        "What was Halyna Hutchins' job on the production?",
        "Who was the film's armorer?",
        "Who are Baldwin's attorneys?",
        "What did the judge say about the oversight?",
    ],
}
MAX_EXAMPLES = 4
UPLOAD_TYPES = [".txt", ".md", ".html", ".pdf"]
MAX_HISTORY_TURNS = 8  # turns passed to Engine.ask for follow-ups
CONTEXT_CHARS = 900  # the most passage text shown around a cited sentence
GENERIC_ERROR = "Something went wrong on the server; the problem has been logged. Please try again."
ASK_CONCURRENCY = 4

# ---------------------------------------------------------------------------------------------- HTML rendering
# All text from documents, questions and file names goes through `esc`. Besides the five HTML characters it turns
# Markdown and LaTeX punctuation into character references, so the chat's Markdown renderer cannot make links,
# images or emphasis out of record text either.
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;", ord("'"): "&#39;",
            **{ord(c): f"&#{ord(c)};" for c in "\\`*_{}[]()#+!|~$:="}}
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_NEWLINE = re.compile(r"\n")
_MARKER = re.compile(r"\[(\d+)\]")
_BLANK_RUN = re.compile(r"\0*\s[\s\0]*")  # whitespace, with any hidden text inside or before it


def has_blank_lines(text: str) -> bool:
    return bool(_BLANK_LINE.search(text.strip()))


def esc(text) -> str:
    """Escape text for HTML (element content and quoted attributes) and neutralise Markdown punctuation."""
    return str(text).translate(_ESCAPES).replace("\n", "<br>")


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def _shorten(text: str, limit: int) -> str:
    text = _clean(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def citation_where(citation) -> str:
    """Where a cited quote is, after the title: "II. Background, p. 4", "Docket entry 187 (2005-09-13)"."""
    return qa.source_label("", citation.section, citation.page, citation.page_end, citation.paragraph)


def passage_bounds(text: str, start: int, end: int, max_chars: int = CONTEXT_CHARS,
                   blank_lines: bool | None = None,
                   paragraphs: list[tuple[int, int]] | None = None) -> tuple[int, int]:
    """The paragraph around text[start:end], trimmed at word boundaries to about max_chars when it is longer.
    `paragraphs`: the document's paragraph spans as ingest recovered them (a hard-wrapped or double-spaced
    paragraph is one span); without them, or when none holds the quote, paragraphs are split at blank lines when
    the text has any, else at each newline."""
    n = len(text)
    start, end = max(0, min(start, n)), max(0, min(end, n))
    window = 20_000
    around = _recovered_paragraph(paragraphs, start, end) if paragraphs else None
    if around is not None:
        p_start, p_end = around
    else:
        if blank_lines is None:
            blank_lines = has_blank_lines(text)
        separator = _BLANK_LINE if blank_lines else _NEWLINE
        lo = max(0, start - window)
        before = list(separator.finditer(text, lo, start))
        p_start = before[-1].end() if before else lo
        after = separator.search(text, end, min(n, end + window))
        p_end = after.start() if after else min(n, end + window)
    room = max(0, max_chars - (end - start))
    if p_end - p_start > max_chars:
        left = max(p_start, start - room // 2)
        right = min(p_end, end + (room - (start - left)))
        left = max(p_start, start - (room - (right - end)))
        if left > p_start:
            space = text.find(" ", left, start)
            left = space + 1 if space != -1 else left
        if right < p_end:
            space = text.rfind(" ", end, right)
            right = space if space != -1 else right
        p_start, p_end = left, right
    while p_start < start and text[p_start].isspace():
        p_start += 1
    while p_end > end and text[p_end - 1].isspace():
        p_end -= 1
    return p_start, p_end




def _recovered_paragraph(paragraphs: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The recovered paragraph span that holds text[start:end], None when none does (a stale list)."""
    k = bisect.bisect_right(paragraphs, (start, float("inf"))) - 1
    if k >= 0 and paragraphs[k][0] <= start and end <= paragraphs[k][1]:
        return paragraphs[k]
    return None


def render_passage(text: str, ctx_start: int, ctx_end: int, mark_start: int | None = None,
                   mark_end: int | None = None, span_start: int | None = None, span_end: int | None = None,
                   flow: bool = False, cut: tuple[bool, bool] | None = None,
                   hidden: list[tuple[int, int]] = ()) -> str:
    """HTML for text[ctx_start:ctx_end] with text[mark_start:mark_end] in <mark> and text[span_start:span_end] (the
    short answer, inside the mark) in <strong>. Offsets are document offsets; each piece is escaped separately.
    `flow`: the context is one recovered paragraph, shown as running text (a printed page's line breaks, double
    spacing and justification runs collapsed to single spaces) rather than line by line, without the `hidden`
    spans (page markers and footnotes caught inside it: `Engine.document_unread_spans`). `cut`: whether the
    context was cut short at its start and end (shown as "…"); by default, where it does not start or end a line."""
    if flow:
        return _flowed(functools.partial(render_passage, cut=cut), text, ctx_start, ctx_end, mark_start, mark_end,
                       span_start, span_end, hidden)
    ctx_start, ctx_end = max(0, ctx_start), min(len(text), ctx_end)
    if mark_start is None or mark_end is None or mark_end <= mark_start:
        return esc(text[ctx_start:ctx_end])
    ms, me = max(ctx_start, mark_start), min(ctx_end, mark_end)
    if me <= ms:
        return esc(text[ctx_start:ctx_end])
    inner = esc(text[ms:me])
    if span_start is not None and span_end is not None:
        ss, se = max(ms, span_start), min(me, span_end)
        if se > ss:
            inner = (esc(text[ms:ss]) + '<strong class="qa-span">' + esc(text[ss:se]) + "</strong>"
                     + esc(text[se:me]))
    if cut is None:
        cut = (ctx_start > 0 and text[ctx_start - 1] != "\n", ctx_end < len(text) and text[ctx_end] != "\n")
    lead, tail = ("… " if cut[0] else ""), (" …" if cut[1] else "")
    return (lead + esc(text[ctx_start:ms]) + '<mark class="qa-quote">' + inner + "</mark>" + esc(text[me:ctx_end])
            + tail)


def _flowed(render, text, ctx_start, ctx_end, mark_start, mark_end, span_start, span_end, hidden=()) -> str:
    """`render` over a copy of the text whose hidden spans and whitespace runs inside [ctx_start, ctx_end) are NUL
    and single spaces padded with NUL, so every offset still holds; the padding is dropped from the HTML."""
    ctx_start, ctx_end = max(0, ctx_start), min(len(text), ctx_end)
    inner = list(text[ctx_start:ctx_end])
    for a, b in hidden:
        a, b = max(a, ctx_start), min(b, ctx_end)
        inner[a - ctx_start:b - ctx_start] = "\0" * max(0, b - a)
    inner = _BLANK_RUN.sub(lambda m: " " + "\0" * (len(m.group()) - 1), "".join(inner))
    flowed = text[:ctx_start] + inner + text[ctx_end:]
    return render(flowed, ctx_start, ctx_end, mark_start, mark_end, span_start, span_end).replace("\0", "")


class _Texts:
    """Document texts for one rendering, fetched once each; a document removed since the answer gives None."""

    def __init__(self, engine: Engine):
        self.engine, self.cache = engine, {}

    def get(self, doc_id: str) -> str | None:
        if doc_id not in self.cache:
            try:
                self.cache[doc_id] = self.engine.document_text(doc_id)
            except QAError:
                self.cache[doc_id] = None
        return self.cache[doc_id]

    def paragraphs(self, doc_id: str) -> list[tuple[int, int]] | None:
        """The document's recovered paragraph spans; None when the document is gone."""
        key = ("paragraphs", doc_id)
        if key not in self.cache:
            try:
                self.cache[key] = self.engine.document_paragraphs(doc_id)
            except QAError:
                self.cache[key] = None
        return self.cache[key]

    def unread(self, doc_id: str) -> list[tuple[int, int]]:
        """What the document's paragraphs hold but their sentences do not read (page markers, footnotes)."""
        key = ("unread", doc_id)
        if key not in self.cache:
            try:
                self.cache[key] = self.engine.document_unread_spans(doc_id)
            except QAError:
                self.cache[key] = []
        return self.cache[key]

    def blank_lines(self, doc_id: str) -> bool:
        key = ("blank", doc_id)
        if key not in self.cache:
            self.cache[key] = has_blank_lines(self.get(doc_id) or "")
        return self.cache[key]

    def titles(self) -> dict[str, str]:
        try:
            return {d["doc_id"]: d["title"] for d in self.engine.documents()}
        except QAError:
            return {}


def citation_passage_html(citation, texts: _Texts) -> str:
    text = texts.get(citation.doc_id)
    if text is None or text[citation.start:citation.end] != citation.quote:
        # The document changed or went away since the answer: show the quote as it was cited.
        if citation.span_start is not None and citation.span_end is not None:
            offset = citation.start
            return render_passage(citation.quote, 0, len(citation.quote), 0, len(citation.quote),
                                  citation.span_start - offset, citation.span_end - offset)
        return render_passage(citation.quote, 0, len(citation.quote), 0, len(citation.quote))
    paragraphs = texts.paragraphs(citation.doc_id)
    ctx_start, ctx_end = passage_bounds(text, citation.start, citation.end,
                                        blank_lines=texts.blank_lines(citation.doc_id), paragraphs=paragraphs)
    around = _recovered_paragraph(paragraphs, citation.start, citation.end) if paragraphs else None
    if around is None:
        return render_passage(text, ctx_start, ctx_end, citation.start, citation.end, citation.span_start,
                              citation.span_end)
    # the recovered paragraph, as running text; "…" only where a long one was cut around the quote
    return render_passage(text, ctx_start, ctx_end, citation.start, citation.end, citation.span_start,
                          citation.span_end, flow=True, cut=(ctx_start > around[0], ctx_end < around[1]),
                          hidden=texts.unread(citation.doc_id))


def _cite_title(citation) -> str:
    """The hover text of a [n]: "United States v. Weekes, II. Background, p. 4: “quote”"."""
    return f"{citation.label}: “{_shorten(citation.text or citation.quote, 240)}”"


def answer_text_html(answer: Answer, turn: str) -> str:
    """The answer's text with each [n] that names a citation turned into a link to that citation."""
    by_number = {c.number: c for c in answer.citations}
    out, pos = [], 0
    for m in _MARKER.finditer(answer.text):
        c = by_number.get(int(m.group(1)))
        if c is None:
            continue
        out.append(esc(answer.text[pos:m.start()]))
        target = f"qa-c-{turn}-{c.number}"
        out.append(f'<a class="qa-cite" href="#{target}" title="{esc(_cite_title(c))}">'
                   f"[{c.number}]</a>")
        pos = m.end()
    out.append(esc(answer.text[pos:]))
    return "".join(out)


def _source_block(number_html: str, title: str, where: str, doc_id: str, passage_html: str) -> str:
    meta = esc(where) + (" · " if where else "") + f'<span class="qa-docid">{esc(doc_id)}</span>'
    return (f'<span class="qa-num">{number_html}</span> <span class="qa-title">{esc(title or doc_id)}</span>'
            f' <span class="qa-where">{meta}</span>', f'<div class="qa-passage">{passage_html}</div>')


def _related_passages(answer: Answer, texts: _Texts, limit: int = 3) -> list[tuple[str, str, str]]:
    """(doc_id, title, passage html) for the passages retrieved for an abstained answer."""
    titles = texts.titles()
    out = []
    for p in answer.passages[:limit]:
        chunk = p.chunk
        text = texts.get(chunk.doc_id)
        if text is not None and text[chunk.start:chunk.end] == chunk.text:
            s, e = chunk.start, min(chunk.end, chunk.start + CONTEXT_CHARS)
            # a chunk lies inside one paragraph: shown as running text, without the page furniture inside it
            body = render_passage(text, s, e, flow=True, hidden=texts.unread(chunk.doc_id))
            if e < chunk.end:
                body += " …"
        else:
            body = esc(_shorten(chunk.text, CONTEXT_CHARS))
        out.append((chunk.doc_id, titles.get(chunk.doc_id, chunk.doc_id), body))
    return out


def render_answer(answer: Answer, engine: Engine, turn: str | None = None) -> str:
    """One assistant message: the answer text with citation links, then each citation as a collapsible source."""
    turn = turn or uuid.uuid4().hex[:8]
    texts = _Texts(engine)
    parts = []
    if answer.resolved_question:
        parts.append(f'<div class="qa-resolved">Read as: {esc(answer.resolved_question)}</div>')
    if answer.abstained:
        parts.append(f'<div class="qa-text"><span class="qa-abstain-icon">∅</span> {esc(answer.text)}</div>')
        related = _related_passages(answer, texts)
        if related:
            parts.append('<div class="qa-sources-label">Related passages (none of them answers the question)</div>')
            for i, (doc_id, title, body) in enumerate(related, 1):
                head, passage = _source_block("≈", title, "", doc_id, body)
                parts.append(f'<details class="qa-source qa-related" id="qa-c-{turn}-r{i}">'
                             f"<summary>{head}</summary>{passage}</details>")
        return f'<div class="qa-answer qa-abstain">{"".join(parts)}</div>'
    parts.append(f'<div class="qa-text">{answer_text_html(answer, turn)}</div>')
    if answer.citations:
        parts.append('<div class="qa-sources-label">Sources</div>')
    for c in answer.citations:
        head, passage = _source_block(f"[{c.number}]", c.title, citation_where(c), c.doc_id,
                                      citation_passage_html(c, texts))
        parts.append(f'<details class="qa-source" id="qa-c-{turn}-{c.number}">'
                     f"<summary>{head}</summary>{passage}</details>")
    return f'<div class="qa-answer">{"".join(parts)}</div>'


SOURCES_PLACEHOLDER = ('<div class="qa-panel qa-empty"><div class="qa-panel-head">Sources</div>'
                       "<p>Ask a question: the passages cited in the answer appear here, with the cited sentence "
                       "highlighted and the short answer in bold.</p></div>")


def render_sources(answer: Answer, engine: Engine, turn: str) -> str:
    """The side panel for the latest answer: every cited passage, or the related passages of an abstention."""
    texts = _Texts(engine)
    cards = []
    if answer.abstained:
        head = ('<div class="qa-panel-head">Related passages</div><p class="qa-panel-note">The record does not '
                "answer this question. These are the closest passages; none of them says it.</p>")
        for i, (doc_id, title, body) in enumerate(_related_passages(answer, texts), 1):
            cards.append(f'<div class="qa-card qa-related" id="qa-s-{turn}-r{i}">'
                         f'<div class="qa-card-head"><span class="qa-num">≈</span> <span class="qa-title">'
                         f'{esc(title)}</span> <span class="qa-where"><span class="qa-docid">{esc(doc_id)}</span>'
                         f'</span></div><div class="qa-passage">{body}</div></div>')
        if not cards:
            cards.append('<p class="qa-panel-note">No passage came close.</p>')
        cls = "qa-panel qa-abstain"
    else:
        head = (f'<div class="qa-panel-head">Sources <span class="qa-panel-q">for “{esc(answer.question)}”</span>'
                "</div>")
        for c in answer.citations:
            where = citation_where(c)
            cards.append(f'<div class="qa-card" id="qa-s-{turn}-{c.number}">'
                         f'<div class="qa-card-head"><span class="qa-num">[{c.number}]</span> <span class="qa-title">'
                         f'{esc(c.title or c.doc_id)}</span> <span class="qa-where">{esc(where)} · <span '
                         f'class="qa-docid">{esc(c.doc_id)}</span></span></div>'
                         f'<div class="qa-passage">{citation_passage_html(c, texts)}</div></div>')
        cls = "qa-panel"
    return f'<div class="{cls}">{head}{"".join(cards)}</div>'


def _warn(text: str) -> None:
    """A warning toast. Toasts render HTML, so the text is escaped."""
    gr.Warning(html.escape(str(text)))


def _info(text: str) -> None:
    gr.Info(html.escape(str(text)))


def message_html(text: str, kind: str = "warning") -> str:
    """An inline notice under the question box (escaped)."""
    if not text:
        return ""
    return f'<div class="qa-notice qa-notice-{kind}" role="status">{esc(text)}</div>'


# ---------------------------------------------------------------------------------------------- the record


def _fmt_size(chars: int) -> str:
    if chars >= 1_000_000:
        return f"{chars / 1_000_000:.1f}M chars"
    if chars >= 1_000:
        return f"{chars / 1_000:.1f}k chars"
    return f"{chars} chars"


def _fmt_time(value) -> str:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value or "")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


DOC_HEADERS = ["Document", "Title", "Size", "Sentences", "Indexed at", "Status"]


def documents_rows(engine: Engine) -> list[list]:
    try:
        docs = engine.documents()
    except QAError as exc:
        log.warning("listing documents: %s", exc)
        return []
    return [[d["doc_id"], d["title"], _fmt_size(d["chars"]), d["sentences"], _fmt_time(d["indexed_at"]),
             d["status"]] for d in docs]


def record_summary(engine: Engine) -> str:
    try:
        docs = [d for d in engine.documents() if d["status"] == "indexed"]
    except QAError as exc:
        return f'<div class="qa-record">⚠ {esc(exc)}</div>'
    sentences = sum(d["sentences"] for d in docs)
    noun = "document" if len(docs) == 1 else "documents"
    return (f'<div class="qa-record">Answers come only from the record: <b>{len(docs)} {noun}</b>, '
            f"{sentences:,} sentences. Manage it in the <i>Record</i> tab.</div>")


def example_questions(engine: Engine) -> list[str]:
    """The example questions of the documents in the record (EXAMPLE_QUESTIONS), at most MAX_EXAMPLES."""
    try:
        docs = [d["doc_id"] for d in engine.documents() if d["status"] == "indexed"]
    except QAError:
        return []
    return [q for d in docs for q in EXAMPLE_QUESTIONS.get(d, [])][:MAX_EXAMPLES]


def example_button_updates(engine: Engine) -> list:
    questions = example_questions(engine)
    return [gr.update(value=questions[i], visible=True) if i < len(questions) else gr.update(visible=False)
            for i in range(MAX_EXAMPLES)]


def _doc_ids(engine: Engine) -> list[str]:
    try:
        return [d["doc_id"] for d in engine.documents()]
    except QAError:
        return []


def add_uploads(engine: Engine, files: list[tuple[str, Path]], replace: bool = False,
                progress=None) -> tuple[list[str], list[str]]:
    """Add uploaded files (name, path of the uploaded copy) to the record, one by one; the engine checks each
    name, size and content and re-indexes. Returns (doc_ids added, messages for the ones refused)."""
    added, notes = [], []
    limit = engine.settings.max_document_bytes
    for i, (name, path) in enumerate(files):
        if progress is not None:
            progress((i, len(files)), desc=f"Checking and indexing {name}", unit="files")
        try:
            size = Path(path).stat().st_size
            if size > limit:
                raise qa.DocumentTooLargeError(f"{name}: {size:,} bytes is over the {limit:,}-byte document limit.")
            added.append(engine.add_document(name, Path(path).read_bytes(), overwrite=replace))
        except QAError as exc:
            notes.append(str(exc))
        except Exception:
            log.exception("adding %s", name)
            notes.append(f"{name}: {GENERIC_ERROR}")
    if progress is not None:
        progress((len(files), len(files)), desc="Index updated", unit="files")
    return added, notes


# ---------------------------------------------------------------------------------------------- the app

CSS = """
.qa-answer { line-height: 1.5; }
.qa-text { margin-bottom: .35em; }
a.qa-cite { font-size: .78em; vertical-align: super; font-weight: 600; text-decoration: none; padding: 0 .12em;
  color: var(--color-accent, #ea580c) !important; cursor: pointer; }
a.qa-cite:hover { text-decoration: underline; }
.qa-sources-label { font-size: .78em; text-transform: uppercase; letter-spacing: .04em; opacity: .7;
  margin: .5em 0 .2em; }
details.qa-source { border-left: 3px solid var(--color-accent, #ea580c); padding: .15em .6em; margin: .25em 0;
  background: var(--background-fill-secondary, #f7f7f8); border-radius: 4px; font-size: .92em; }
details.qa-source > summary { cursor: pointer; }
details.qa-related, .qa-card.qa-related { border-left-color: #9ca3af; }
.qa-num { font-weight: 700; }
.qa-title { font-weight: 600; }
.qa-where { opacity: .75; font-size: .9em; }
.qa-docid { font-family: var(--font-mono, monospace); font-size: .9em; }
.qa-passage { margin: .35em 0 .3em; white-space: normal; }
mark.qa-quote { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
strong.qa-span { text-decoration: underline; text-decoration-thickness: 2px; }
.qa-abstain .qa-text { font-style: italic; color: #6b7280; }
.qa-abstain-icon { font-style: normal; font-weight: 700; display: inline-block; margin-right: .2em; }
.qa-resolved { font-size: .82em; opacity: .7; margin-bottom: .2em; }
.qa-panel { font-size: .93em; }
.qa-panel-head { font-weight: 700; font-size: 1.05em; margin-bottom: .4em; }
.qa-panel-q { font-weight: 400; opacity: .75; }
.qa-panel-note { opacity: .8; }
.qa-card { border: 1px solid var(--border-color-primary, #e5e7eb); border-left: 4px solid
  var(--color-accent, #ea580c); border-radius: 6px; padding: .5em .7em; margin-bottom: .6em;
  background: var(--background-fill-primary, #fff); }
.qa-panel.qa-abstain .qa-card { border-style: dashed; border-left-style: solid; }
.qa-flash { animation: qa-flash 1.6s ease-out; }
@keyframes qa-flash { 0% { box-shadow: 0 0 0 3px #f59e0b; } 100% { box-shadow: 0 0 0 0 transparent; } }
.qa-notice { padding: .45em .7em; border-radius: 6px; font-size: .93em; }
.qa-notice-warning { background: #fef3c7; color: #78350f; border: 1px solid #fcd34d; }
.qa-notice-info { background: #e0f2fe; color: #0c4a6e; border: 1px solid #7dd3fc; }
.qa-record { font-size: .9em; opacity: .85; }
#qa-sources { max-height: 640px; overflow-y: auto; }
.qa-example { white-space: normal !important; font-weight: 400 !important; }
"""

# Clicking a citation number opens that source in the message and brings its card in the side panel into view.
JS = """
() => {
  if (window.__qaCiteHandler) return;
  window.__qaCiteHandler = true;
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a.qa-cite') : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const id = (a.getAttribute('href') || '').replace(/^#/, '');
    if (!id.startsWith('qa-c-')) return;
    const flash = (el) => { el.classList.remove('qa-flash'); void el.offsetWidth; el.classList.add('qa-flash'); };
    const inMessage = document.getElementById(id);
    if (inMessage) { inMessage.open = true; flash(inMessage); }
    const card = document.getElementById(id.replace(/^qa-c-/, 'qa-s-'));
    if (card) { card.scrollIntoView({block: 'nearest', behavior: 'smooth'}); flash(card); }
  }, true);
}
"""

# System fonts only: the app makes no request outside the machine.
THEME = gr.themes.Soft(primary_hue="orange", font=["ui-sans-serif", "system-ui", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])


def _history_for_engine(history: list) -> list:
    return list(history[-MAX_HISTORY_TURNS:]) if history else []


# ---------------------------------------------------------------------------------------------- other answerers
# With QA_READER=extractive|generative the chat streams the LLM's raw text, then shows the verified answer in its
# place; when the configured answerer fails (server down, timeout, model missing) the embedded sentence reader
# answers instead, with a notice saying why.


def ask_with_fallback(engine: Engine, question: str, history: list):
    """`engine.ask_stream` events; if the configured answerer fails, the embedded reader's Answer with a notice."""
    try:
        yield from engine.ask_stream(question, history=history)
        return
    except (qa.GenerationError, qa.ModelLoadError) as exc:
        failure = exc
    except QAError as exc:
        if engine.settings.reader == "sentence" or isinstance(exc, (qa.EmptyQuestionError, qa.QuestionTooLongError)):
            raise
        failure = exc
    log.warning("the %s answerer failed, answering with the embedded reader: %s", engine.settings.reader, failure)
    answer = engine.ask(question, history=history, reader="sentence")
    answer.notice = (f"The {engine.settings.reader} answerer failed, so the embedded sentence reader answered "
                     f"instead: {failure}")
    yield answer


def streaming_html(raw: str) -> str:
    """The LLM's text while it streams: escaped, and marked as not yet checked against the record."""
    return (f'<div class="qa-answer qa-streaming"><div class="qa-text">{esc(raw)}</div>'
            '<div class="qa-sources-label">Checking every sentence against the record …</div></div>')


def answer_extras_html(answer: Answer) -> str:
    """Generated sentences that verification left out, under the answer."""
    if not answer.dropped:
        return ""
    items = "".join(f"<li>{esc(d)}</li>" for d in answer.dropped)
    return (f'<details class="qa-dropped"><summary>{len(answer.dropped)} generated sentence(s) left out: not '
            f"supported by the record</summary><ul>{items}</ul></details>")


def streaming_responder(engine: Engine):
    """A generator version of the chat's respond(), for the non-default answerers."""

    def respond_stream(question, messages, history):
        messages, history = list(messages or []), list(history or [])
        question = question if isinstance(question, str) else ""
        user = {"role": "user", "content": esc(" ".join(question.split()))}
        answer = None
        try:
            raw = ""
            for event in ask_with_fallback(engine, question, _history_for_engine(history)):
                if isinstance(event, qa.Delta):
                    raw += event.text
                    yield (messages + [user, {"role": "assistant", "content": streaming_html(raw)}], history,
                           gr.skip(), "", "")
                else:
                    answer = event
            turn = uuid.uuid4().hex[:8]
            bubble = render_answer(answer, engine, turn) + answer_extras_html(answer)
            panel = render_sources(answer, engine, turn)
        except QAError as exc:
            _warn(str(exc))
            yield messages, history, gr.skip(), question, message_html(str(exc))
            return
        except Exception:
            log.exception("answering %r", question)
            _warn(GENERIC_ERROR)
            yield messages, history, gr.skip(), question, message_html(GENERIC_ERROR)
            return
        if answer.notice:
            _warn(answer.notice)
        messages += [{"role": "user", "content": esc(answer.question)}, {"role": "assistant", "content": bubble}]
        history.append(answer)
        yield messages, history[-MAX_HISTORY_TURNS:], panel, "", message_html(answer.notice or "", "warning")

    return respond_stream


def create_app(engine: Engine) -> gr.Blocks:
    """The Gradio Blocks app over `engine`. Serve it with `launch_app` (which adds the styles and scripts)."""

    def respond(question, messages, history):
        messages, history = list(messages or []), list(history or [])
        try:
            answer = engine.ask(question if isinstance(question, str) else "", history=_history_for_engine(history))
        except QAError as exc:
            _warn(str(exc))
            return messages, history, gr.skip(), question, message_html(str(exc))
        except Exception:
            log.exception("answering %r", question)
            _warn(GENERIC_ERROR)
            return messages, history, gr.skip(), question, message_html(GENERIC_ERROR)
        turn = uuid.uuid4().hex[:8]
        try:
            bubble, panel = render_answer(answer, engine, turn), render_sources(answer, engine, turn)
        except Exception:
            log.exception("rendering the answer to %r", question)
            _warn(GENERIC_ERROR)
            return messages, history, gr.skip(), question, message_html(GENERIC_ERROR)
        messages += [{"role": "user", "content": esc(answer.question)}, {"role": "assistant", "content": bubble}]
        history.append(answer)
        return messages, history[-MAX_HISTORY_TURNS:], panel, "", ""

    def new_chat():
        return [], [], SOURCES_PLACEHOLDER, "", ""

    def refresh_record():
        rows = documents_rows(engine)
        return (rows, gr.update(choices=_doc_ids(engine), value=None), record_summary(engine),
                *example_button_updates(engine))

    def add_files(files, replace, progress=gr.Progress()):
        paths = [Path(getattr(f, "name", f)) for f in (files or []) if f]
        if not paths:
            return (*refresh_record(), message_html("Choose a file to add (.txt .md .html .pdf).", "info"), None)
        added, notes = add_uploads(engine, [(p.name, p) for p in paths], bool(replace), progress)
        for note in notes:
            _warn(note)
        if added:
            _info(f"Added to the record: {', '.join(added)}. The chat now answers from it.")
        text = "; ".join(([f"Added: {', '.join(added)}."] if added else []) + notes)
        return (*refresh_record(), message_html(text, "warning" if notes else "info"), None)

    def remove_doc(doc_id):
        if not doc_id:
            _warn("Choose the document to remove.")
            return (*refresh_record(), message_html("Choose the document to remove.", "info"))
        try:
            engine.remove_document(doc_id)  # refuses (LastDocumentError) to empty the record
        except QAError as exc:
            _warn(str(exc))
            return (*refresh_record(), message_html(str(exc)))
        except Exception:
            log.exception("removing %s", doc_id)
            _warn(GENERIC_ERROR)
            return (*refresh_record(), message_html(GENERIC_ERROR))
        _info(f"Removed {doc_id} from the record.")
        return (*refresh_record(), message_html(f"Removed {doc_id}.", "info"))

    def ask_api(question: str, history: list[list[str]] | None = None) -> dict:
        """Answer a question from the record. history: earlier turns as [question, answer_text] pairs.
        Returns Answer.to_dict(): text (with [n] markers), abstained, citations (doc_id, title, start, end, quote,
        paragraph, page, span_*), passages, timings."""
        turns = []
        for turn in history or []:
            if not isinstance(turn, (list, tuple)) or len(turn) != 2:
                raise gr.Error("history must be a list of [question, answer] pairs.", print_exception=False)
            turns.append((str(turn[0]), str(turn[1])))
        try:
            events = ask_with_fallback(engine, question, turns[-MAX_HISTORY_TURNS:])
            return [e for e in events if isinstance(e, Answer)][-1].to_dict()
        except QAError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except Exception:
            log.exception("API ask %r", question)
            raise gr.Error(GENERIC_ERROR, print_exception=False) from None

    if engine.settings.reader != "sentence":
        respond = streaming_responder(engine)  # noqa: F811  streams the LLM's text; falls back on failure

    with gr.Blocks(title="Case record Q&A", analytics_enabled=False) as demo:
        history = gr.State([])
        gr.Markdown("## Case record Q&A\nCited answers from the documents in the record, offline. Hover a "
                    "citation number to see its source; click it to open the passage.")
        summary = gr.HTML(record_summary(engine), elem_id="qa-record-summary")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(label="Conversation", elem_id="qa-chat", height=520,
                                             sanitize_html=True, allow_tags=False, latex_delimiters=[],
                                             feedback_options=None, buttons=["copy"], layout="bubble",
                                             placeholder="Ask about the case record. Every answer cites its "
                                                         "sources; if the record does not say, the answer says so.")
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(label="Question", show_label=False, container=False,
                                                  placeholder="Ask about the record",
                                                  elem_id="qa-question", scale=5, lines=1, max_lines=4,
                                                  autofocus=True)
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="qa-ask", scale=1, min_width=80)
                            new_btn = gr.Button("New chat", variant="secondary", elem_id="qa-new-chat", scale=1,
                                                min_width=90)
                        notice = gr.HTML("", elem_id="qa-notice")
                        examples = example_questions(engine)
                        with gr.Row(elem_id="qa-examples"):
                            example_buttons = [gr.Button(examples[i] if i < len(examples) else "", size="sm",
                                                         variant="secondary", elem_classes="qa-example",
                                                         visible=i < len(examples))
                                               for i in range(MAX_EXAMPLES)]
                    with gr.Column(scale=2, min_width=300):
                        sources = gr.HTML(SOURCES_PLACEHOLDER, elem_id="qa-sources")
            with gr.Tab("Record", id="record"):
                docs = gr.Dataframe(headers=DOC_HEADERS, value=documents_rows(engine), interactive=False,
                                    wrap=True, elem_id="qa-docs", label="Documents in the record",
                                    column_widths=["24%", "36%", "10%", "9%", "13%", "8%"], latex_delimiters=[],
                                    datatype=["str", "str", "str", "number", "str", "str"])
                with gr.Row(equal_height=False):
                    with gr.Column():
                        upload = gr.File(label="Add documents (.txt .md .html .pdf)", file_count="multiple",
                                         file_types=UPLOAD_TYPES, type="filepath", elem_id="qa-upload")
                        replace = gr.Checkbox(label="Replace a document with the same name", value=False)
                    with gr.Column():
                        to_remove = gr.Dropdown(choices=_doc_ids(engine), value=None, label="Document to remove",
                                                elem_id="qa-remove-choice")
                        remove_btn = gr.Button("Remove from record", variant="stop", elem_id="qa-remove")
                record_notice = gr.HTML("", elem_id="qa-record-notice")

        ask_outputs = [chatbot, history, sources, question, notice]
        ask_opts = dict(concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", api_visibility="private",
                        show_progress_on=[chatbot])
        question.submit(respond, [question, chatbot, history], ask_outputs, **ask_opts)
        ask_btn.click(respond, [question, chatbot, history], ask_outputs, **ask_opts)
        for button in example_buttons:  # a button asks its own label, which follows the record
            button.click(respond, [button, chatbot, history], ask_outputs, **ask_opts)
        new_btn.click(new_chat, None, ask_outputs, api_visibility="private", queue=False)
        chatbot.clear(new_chat, None, ask_outputs, api_visibility="private", queue=False)

        record_opts = dict(concurrency_limit=1, concurrency_id="record", api_visibility="private")
        record_outputs = [docs, to_remove, summary, *example_buttons]
        upload.upload(add_files, [upload, replace], [*record_outputs, record_notice, upload],
                      show_progress_on=[docs], **record_opts)
        remove_btn.click(remove_doc, [to_remove], [*record_outputs, record_notice], **record_opts)
        demo.load(refresh_record, None, record_outputs, api_visibility="private")

        gr.api(ask_api, api_name="ask", concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    demo.queue(default_concurrency_limit=ASK_CONCURRENCY)
    return demo


def launch_app(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
               max_file_size: int | None = None, **kwargs):
    """Serve `demo` on host:port (loopback by default) with the app's theme, styles and citation script.
    Never creates a public share link."""
    return demo.launch(server_name=host, server_port=port, auth=auth, share=False, ssr_mode=False,
                       theme=THEME, css=CSS, js=JS, max_file_size=max_file_size, footer_links=["api"],
                       show_error=False, **kwargs)


# ---------------------------------------------------------------------------------------------- command line


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth / QA_AUTH must be USER:PASSWORD (both non-empty).")
    return user, password


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python app.py", description="Web chat over the case record (cited answers).")
    p.add_argument("--host", default=os.environ.get("QA_HOST", "127.0.0.1"),
                   help="interface to listen on (default 127.0.0.1; anything else needs --auth)")
    p.add_argument("--port", type=int, default=int(os.environ.get("QA_PORT") or os.environ.get("GRADIO_SERVER_PORT")
                                                   or 7860), help="port (default 7860, or QA_PORT)")
    p.add_argument("--auth", default=os.environ.get("QA_AUTH"), metavar="USER:PASS",
                   help="require this login (or set QA_AUTH)")
    p.add_argument("--allow-no-auth", action="store_true",
                   help="serve a non-loopback host without a login (anyone who can reach it can read the record)")
    p.add_argument("--corpus-dir", default=None, help="the record's documents (default corpus/ or QA_CORPUS_DIR)")
    p.add_argument("--index-dir", default=None, help="where the index lives (default index/ or QA_INDEX_DIR)")
    p.add_argument("-v", "--verbose", action="store_true", help="log index builds and requests")
    return p


def prepare_engine(corpus_dir=None, index_dir=None) -> Engine:
    """An engine with its index built or loaded and its models warm, so the first question is fast."""
    engine = Engine(corpus_dir=corpus_dir, index_dir=index_dir)
    try:
        if engine.settings.store == "milvus":
            engine.index  # noqa: B018  the version the index job published; an app process never writes it
        else:
            engine.refresh(progress=True)
        engine.ask("What does the record say?")  # loads the embedder and the reader
    except qa.EmptyCorpusError as exc:
        log.warning("%s Add documents in the Record tab.", exc)
    return engine


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    log.setLevel(logging.INFO)
    try:
        auth = parse_auth(args.auth)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and auth is None and not args.allow_no_auth:
        print(f"error: refusing to serve {args.host} without a login. Use --auth USER:PASS (or QA_AUTH), or "
              "--allow-no-auth if the network is trusted.", file=sys.stderr)
        return 2
    try:
        print("Loading the record and its index …", flush=True)
        engine = prepare_engine(args.corpus_dir, args.index_dir)
        demo = create_app(engine)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    launch_app(demo, host=args.host, port=args.port, auth=auth, max_file_size=engine.settings.max_document_bytes,
               prevent_thread_lock=True, quiet=True)
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Chat on http://{shown_host}:{args.port}/" + (" (login required)" if auth else "")
          + " - Ctrl-C to stop.", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
