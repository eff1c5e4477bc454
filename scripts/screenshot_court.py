"""docs/court.png: the chat answering a question about a court opinion, its citation naming the case, section
and page. Serves app.py over a temporary record (United States v. Celestin, from ../shared/data/court) and drives
Debian's chromium with Playwright, as tests/test_browser.py does.

    .venv/bin/python scripts/screenshot_court.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OPINION = ROOT.parent / "shared" / "data" / "court" / "150632_united-states-v-celestin.txt"
QUESTION = "What prison term did the district court give Celestin?"
PORT = 7871


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        shutil.copy(OPINION, corpus / OPINION.name)
        app = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(PORT), "--corpus-dir",
                                str(corpus), "--index-dir", str(Path(tmp) / "index")])
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                            args=["--no-sandbox", "--disable-gpu"])
                page = browser.new_page(viewport={"width": 1360, "height": 900})
                for _ in range(120):  # the app indexes the record before it listens
                    try:
                        page.goto(f"http://127.0.0.1:{PORT}/")
                        break
                    except Exception:
                        time.sleep(1)
                page.set_default_timeout(120_000)
                page.wait_for_selector("#qa-question textarea")
                page.fill("#qa-question textarea", QUESTION)
                page.click("#qa-ask")
                page.wait_for_selector("#qa-chat .qa-answer a.qa-cite")
                page.locator("#qa-chat .qa-answer a.qa-cite").first.click()
                page.wait_for_timeout(2000)
                page.screenshot(path=str(ROOT / "docs" / "court.png"))
                print(page.inner_text("#qa-sources")[:600])
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=30)


if __name__ == "__main__":
    main()
