"""Helpers shared by test_app.py and test_browser.py: a throwaway copy of the record and the web app served on a
free loopback port in a background thread. (Not a conftest.py: the tests import what they need from here.)"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # app.py lives at the project root

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
for _var in ("NO_PROXY", "no_proxy"):  # loopback requests must never go through a proxy
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))

# Smaller than the default 50 MB so the oversize path is quick to exercise.
TEST_MAX_DOCUMENT_BYTES = 200_000


def copy_record(tmp_dir: Path) -> tuple[Path, Path]:
    """corpus/*.txt copied into tmp_dir/corpus, and an empty tmp_dir/index: (corpus_dir, index_dir)."""
    corpus, index = Path(tmp_dir) / "corpus", Path(tmp_dir) / "index"
    corpus.mkdir(parents=True)
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        shutil.copy(path, corpus / path.name)
    return corpus, index


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(tmp_dir: Path, auth: tuple[str, str] | None = None):
    """Yield (url, engine, corpus_dir) for the app over a copy of the record, served until the block ends."""
    import app
    from qa import Engine

    corpus, index = copy_record(tmp_dir)
    engine = Engine(corpus_dir=corpus, index_dir=index, max_document_bytes=TEST_MAX_DOCUMENT_BYTES)
    engine.refresh()
    demo = app.create_app(engine)
    port = free_port()
    app.launch_app(demo, host="127.0.0.1", port=port, auth=auth, prevent_thread_lock=True, quiet=True,
                   max_file_size=engine.settings.max_document_bytes)
    try:
        yield f"http://127.0.0.1:{port}/", engine, corpus
    finally:
        demo.close()
