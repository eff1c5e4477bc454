# Two commands on a fresh clone: `make chat` (set up, open the chat) and `make test` (set up, run the tests).
# Everything installs from PyPI into .venv; torch is pinned to the CPU build that these machines have on disk.
PY := .venv/bin/python
STAMP := .venv/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)

.PHONY: setup chat test index bench
setup: $(STAMP)

$(STAMP):
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[app,test]"
	rm -f .venv/.installed-* && touch $@

chat: setup
	if [ -f app.py ]; then $(PY) app.py; else $(PY) -m qa chat; fi

test: setup
	$(PY) -m pytest

index: setup
	$(PY) -m qa index

bench: setup
	$(PY) -m bench squad
