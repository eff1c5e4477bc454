"""The chat in a real browser: Playwright driving Debian's headless chromium (scripts/install-browser.sh).

One app and one page for the module; the tests run in file order and build on each other's conversation.
Skips when chromium or playwright is missing. `QA_UPDATE_SCREENSHOT=1` rewrites docs/chat.png from the first test."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest_app import ROOT, TEST_MAX_DOCUMENT_BYTES, serve_app

CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "docs" / "chat.png"
TIMEOUT = 60_000  # ms; answers take well under a second, uploads re-index

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"no chromium at {CHROMIUM} (run scripts/install-browser.sh)", allow_module_level=True)

HOSTILE_TXT = (
    "Velmora Harbor Notes\n"
    'The harbor master of Velmora is Oskar Lindqvist <img src=x onerror="window.__pwned=1">.\n'
    "<script>window.__pwned=2</script> The harbor of Velmora opened in 1911.\n"
)
HOSTILE_HTML = (
    "<html><head><title>&lt;script&gt;window.__pwned=3&lt;/script&gt; Port log</title></head><body>"
    "<p>The lighthouse keeper of Velmora is Ada Brandt &lt;img src=x onerror=window.__pwned=4&gt;.</p>"
    "<p>[click](javascript:window.__pwned=6) and ![x](x onerror=window.__pwned=7)</p>"
    "<script>window.__pwned=5</script></body></html>"
)
DISTINCTIVE_TXT = (
    "Set Safety Memo\n"
    "The on-set medic for the production was Zephyrine Okonkwo-Hale.\n"
    "Zephyrine Okonkwo-Hale kept the first-aid station behind the church set.\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve_app(tmp_path_factory.mktemp("browser")) as served:
        yield served


@pytest.fixture(scope="module")
def page(server):
    url = server[0]
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken or incompatible chromium: not this project's failure
            pytest.skip(f"chromium did not start: {exc}")
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("dialog", lambda d: (page.errors.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(url)
        page.wait_for_selector("#qa-question textarea")
        page.wait_for_function("() => /document/.test(document.querySelector('#qa-record-summary')?.innerText || '')")
        yield page
        context.close()
        browser.close()


def ask(page, question: str):
    """Type a question, press Ask, wait for its answer; return the new assistant message."""
    before = page.locator("#qa-chat .qa-answer").count()
    page.fill("#qa-question textarea", question)
    page.click("#qa-ask")
    try:
        page.wait_for_function("n => document.querySelectorAll('#qa-chat .qa-answer').length > n", arg=before)
    except sync_api.TimeoutError:
        raise AssertionError(f"no answer to {question!r}; shown: {messages(page)}") from None
    return page.locator("#qa-chat .qa-answer").nth(before)


def go_tab(page, name: str):
    page.get_by_role("tab", name=name).click()


def wait_idle(page):
    """Until no event is running on the Record tab (its progress overlay is gone)."""
    page.wait_for_function("() => !document.querySelector('#qa-docs .progress-text, #qa-upload .progress-text')")


def upload(page, name: str, data: bytes, mime: str = "text/plain"):
    wait_idle(page)
    page.set_input_files("#qa-upload input[type=file]", files=[{"name": name, "mimeType": mime, "buffer": data}])


def messages(page) -> list[str]:
    """Toasts and inline notices currently shown."""
    return [e.inner_text() for e in page.locator(".toast-body, #qa-notice, #qa-record-notice").all()]


def wait_message(page, pattern: str, selector: str = ".toast-body, #qa-notice, #qa-record-notice") -> str:
    """Wait until a toast or inline notice matches pattern (a case-insensitive regex); return its text."""
    try:
        handle = page.wait_for_function(
            "([sel, pat]) => { const e = [...document.querySelectorAll(sel)].find(e => new RegExp(pat, 'i')"
            ".test(e.innerText)); return e ? e.innerText : null; }", arg=[selector, pattern])
    except sync_api.TimeoutError:
        raise AssertionError(f"no message matching {pattern!r}; shown: {messages(page)}") from None
    return handle.json_value()


def wait_notice(page, selector: str, pattern: str) -> str:
    return wait_message(page, pattern, selector)


def doc_table_text(page) -> str:
    return page.inner_text("#qa-docs [role=grid]")


def settled_doc_table(page, engine) -> str:
    """The Record tab's table once it lists every document the engine has and no event is running on the tab.
    The table fills in after the page loads: a snapshot taken earlier holds only its header, and comparing it
    with a later one would depend on timing."""
    wait_idle(page)
    names = sorted(d["doc_id"] for d in engine.documents())
    page.wait_for_function(
        "names => { const t = document.querySelector('#qa-docs [role=grid]')?.innerText || '';"
        " return names.length > 0 && names.every(n => t.includes(n)); }", arg=names)
    return doc_table_text(page)


def test_cited_answer_with_highlighted_source(page, tmp_path):
    answer = ask(page, "Who are Baldwin's attorneys?")
    cite = answer.locator("a.qa-cite").first
    cite.wait_for()
    assert "Alec Baldwin Cleared" in cite.get_attribute("title")  # hover: title, position, quote
    assert re.search(r"para\. \d+", cite.get_attribute("title"))  # no pages or sections in the seed: "para. 3"
    source = answer.locator("details.qa-source").first
    assert not source.evaluate("e => e.open")
    cite.click()
    page.wait_for_function("e => e.open", arg=source.element_handle())
    mark = source.locator("mark.qa-quote")
    assert mark.is_visible()
    assert "Spiro" in mark.inner_text()
    assert source.locator("strong.qa-span").count() <= 1
    # The side panel lists the cited passage with the same highlight.
    panel = page.locator("#qa-sources .qa-card").first
    assert "Spiro" in panel.locator("mark.qa-quote").inner_text()
    assert "Who are Baldwin" in page.inner_text("#qa-sources")
    assert "&#" not in page.inner_text("#qa-chat") + page.inner_text("#qa-sources")  # escaped exactly once
    page.wait_for_timeout(1800)  # let the highlight flash fade before the screenshot
    # docs/chat.png is refreshed only on request (or when missing), so `make test` leaves the tree clean.
    if os.environ.get("QA_UPDATE_SCREENSHOT") or not SCREENSHOT.exists():
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))
    else:
        page.screenshot(path=str(tmp_path / "chat.png"))


def test_follow_up_uses_history(page):
    answer = ask(page, "What did they say about the decision?")
    assert answer.inner_text().strip()
    assert page.locator("#qa-chat .qa-answer").count() == 2
    resolved = answer.locator(".qa-resolved")
    if resolved.count():  # the follow-up was read in the light of the first answer
        assert "Spiro" in resolved.inner_text() or "attorneys" in resolved.inner_text()


def test_example_question_and_new_chat(page):
    page.get_by_role("button", name="What was Halyna Hutchins' job on the production?").click()
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-answer').length === 3")
    # The button asks its question; whether the reader answers it is the golden suite's business
    # (para-hutchins-job-full-name).
    assert "Halyna Hutchins' job on the production" in page.inner_text("#qa-chat")
    assert page.locator("#qa-chat .qa-answer").nth(2).inner_text().strip()
    page.click("#qa-new-chat")
    page.wait_for_function("() => document.querySelectorAll('#qa-chat .qa-answer').length === 0")
    assert "Ask a question" in page.inner_text("#qa-sources")


def test_bad_questions_show_a_message(page):
    page.fill("#qa-question textarea", "   ")
    page.click("#qa-ask")
    assert "empty" in wait_notice(page, "#qa-notice", "question is empty")
    page.fill("#qa-question textarea", "why " * 600)
    page.click("#qa-ask")
    assert "limit" in wait_notice(page, "#qa-notice", "limit is")
    assert page.locator("#qa-chat .qa-answer").count() == 0
    assert "Traceback" not in page.content()


def test_abstention_looks_different(page):
    answer = ask(page, "What is the boiling point of mercury on Mars?")
    if "qa-abstain" not in answer.get_attribute("class"):
        pytest.skip("the engine answered this question; nothing to check")
    assert "does not say" in answer.inner_text()
    assert "Related passages" in page.inner_text("#qa-sources")
    assert page.locator("#qa-sources .qa-panel.qa-abstain").count() == 1


def test_upload_then_answer_from_it(page, server):
    _, engine, corpus = server
    go_tab(page, "Record")
    upload(page, "set-safety-memo.txt", DISTINCTIVE_TXT.encode())
    wait_notice(page, "#qa-record-notice", "Added: set-safety-memo.txt")
    page.wait_for_function("() => document.querySelector('#qa-docs').innerText.includes('set-safety-memo.txt')")
    assert (corpus / "set-safety-memo.txt").is_file()
    go_tab(page, "Chat")
    answer = ask(page, "Who was the on-set medic for the production?")
    assert "Okonkwo-Hale" in answer.inner_text()
    answer.locator("a.qa-cite").first.wait_for()
    assert "set-safety-memo.txt" in answer.locator("details.qa-source").first.inner_text()


@pytest.mark.parametrize("name, data, expected", [
    ("scan.txt", bytes(range(256)) * 20, "binary"),
    ("empty.txt", b"   \n", "no text"),
    ("rust-case-baldwin-cleared.txt", b"A replacement nobody asked for.", "already in the record"),
    ("huge.txt", b"word " * (TEST_MAX_DOCUMENT_BYTES // 5 + 10), "size|large|limit|exceed"),
    ("program.exe", b"MZ\x90\x00", "type|unsupported|invalid"),
])
def test_bad_upload_shows_message_and_keeps_record(page, server, name, data, expected):
    _, engine, corpus = server
    go_tab(page, "Record")
    before_files = sorted(p.name for p in corpus.iterdir())
    before_table = settled_doc_table(page, engine)
    upload(page, name, data)
    wait_message(page, expected)
    assert sorted(p.name for p in corpus.iterdir()) == before_files
    assert settled_doc_table(page, engine) == before_table
    assert "Traceback" not in page.content()


def test_file_name_with_path_parts_stays_in_the_record(page, server, tmp_path):
    _, engine, corpus = server
    go_tab(page, "Record")
    before = sorted(p.name for p in corpus.iterdir())
    upload(page, "../../escape.txt", b"The escape hatch is in the galley.\n")
    wait_message(page, "escape.txt|path parts")
    # Whatever the browser and the upload did with the name, nothing was written outside the corpus directory.
    assert not (corpus.parent / "escape.txt").exists() and not (corpus.parent.parent / "escape.txt").exists()
    added = sorted(set(p.name for p in corpus.iterdir()) - set(before))
    assert all("/" not in n and not n.startswith(".") for n in added)
    for n in added:  # leave the record as it was for the following tests
        engine.remove_document(n)


def test_hostile_documents_cannot_run_script(page, server):
    _, engine, _ = server
    go_tab(page, "Record")
    upload(page, "velmora-harbor.txt", HOSTILE_TXT.encode())
    wait_notice(page, "#qa-record-notice", "Added: velmora-harbor.txt")
    upload(page, "lighthouse.html", HOSTILE_HTML.encode(), "text/html")
    wait_notice(page, "#qa-record-notice", "Added: lighthouse.html")
    assert "<script>window.__pwned=3</script> Port log" in settled_doc_table(page, engine)  # the title, shown as text
    go_tab(page, "Chat")
    for question in ("Who is the harbor master of Velmora?", "When did the harbor of Velmora open?",
                     "Who is the lighthouse keeper of Velmora?"):
        answer = ask(page, question)
        for d in answer.locator("details.qa-source").all():
            d.evaluate("e => e.open = true")
    page.wait_for_timeout(500)  # give any injected handler (img onerror) the chance to fire
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#qa-chat script, #qa-sources script, #qa-chat img[src='x'], #qa-sources img").count() == 0
    assert page.locator("#qa-chat a[href^='javascript'], #qa-sources a[href^='javascript']").count() == 0
    text = page.inner_text("#qa-chat")
    assert '<img src=x onerror="window.__pwned=1">' in text or "<script>window.__pwned=2</script>" in text \
        or "Related passages" in text
    assert not [e for e in page.errors if "pwned" in e or "dialog" in e]


def test_remove_document(page, server):
    _, engine, corpus = server
    go_tab(page, "Record")
    page.locator("#qa-remove-choice input").click()
    page.get_by_role("option", name="set-safety-memo.txt").click()
    page.click("#qa-remove")
    wait_notice(page, "#qa-record-notice", "Removed")
    page.wait_for_function("() => !document.querySelector('#qa-docs').innerText.includes('set-safety-memo.txt')")
    assert not (corpus / "set-safety-memo.txt").exists()
    assert "set-safety-memo.txt" not in [d["doc_id"] for d in engine.documents()]
