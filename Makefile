# Two commands on a fresh clone: `make chat` (set up, open the chat) and `make test` (set up, run the tests).
# Everything installs from PyPI into .venv; torch is pinned to the CPU build that these machines have on disk.
PY := .venv/bin/python
STAMP := .venv/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: setup browser ocr chat test index bench bench-app bench-reliability train-reader
setup: $(STAMP)

$(STAMP):
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[app,test]"
	rm -f .venv/.installed-* && touch $@

# Debian's chromium for the browser tests (Playwright's own download cannot reach its host here).
# Not fatal: without it the browser tests skip with a message and the rest still runs.
browser:
	./scripts/install-browser.sh || echo "chromium not installed: tests/test_browser.py will skip"

# Debian's tesseract and pdftoppm, to read scanned PDF pages (qa/ocr.py).
# Not fatal: without them a scanned PDF is listed as "scanned: install OCR to read it" and the OCR tests skip.
ocr:
	./scripts/install-ocr.sh || echo "OCR not installed: scanned PDFs will be listed as unreadable, tests/test_ocr.py will skip"

chat: setup ocr
	$(PY) app.py

test: setup browser ocr
	$(PY) -m pytest

index: setup ocr
	$(PY) -m qa index

bench: setup
	$(PY) -m bench squad

# Retrain the reader (qa/models/reader/): ~35 min of data preparation and ~2.7 h of training on 2 cores (SHIPPED_SCHEDULE in bench/train_reader.py); resumes from its last checkpoint. Never part of CI.
train-reader: setup
	$(PY) -m pip install -q -e ".[train]"
	$(PY) -m bench.train_reader

bench-app: setup
	$(PY) -m bench.load_app

# 50 concurrent /ask requests to the running app, then 1,000 sequential questions with RSS (README, Reliability).
bench-reliability: setup
	$(PY) -m bench.reliability
