"""One index build in its own process, for the kill -9 and two-process tests in test_reliability.py.

    python tests/build_worker.py CORPUS INDEX [--hang-in write|swap] [--marker FILE] [--go FILE] [--log FILE]
                                 [--slow SECONDS]

--hang-in stops the build halfway through writing a file (write: a vector file of the new version; swap: the
new CURRENT pointer, after the new version folder is in place), touches --marker and waits to be killed.
--go waits for that file before building (to start two workers together); --log appends "start/end <time>"
around the locked part of the build; --slow sleeps that long inside it. Uses HashEmbedder: the publishing
protocol is under test, not the model, and a worker starts in about a second.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from qa import index as qindex  # noqa: E402
from qa.settings import Settings  # noqa: E402


class HashEmbedder:
    """Deterministic unit vectors from a hash of the text; same interface as qa.embedding.Embedder."""

    model_name = "test-hash-embedder"
    dimension = 16

    def encode(self, texts, max_batch_tokens: int = 1024, show_progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dimension)
            out[i] = v / np.linalg.norm(v)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def settings_for(corpus, index_dir) -> Settings:
    return Settings(corpus_dir=Path(corpus), index_dir=Path(index_dir), embedding_model=HashEmbedder.model_name)


def _hang(marker: Path):
    marker.write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("index")
    p.add_argument("--hang-in", choices=["write", "swap"])
    p.add_argument("--marker", type=Path)
    p.add_argument("--go", type=Path)
    p.add_argument("--log", type=Path)
    p.add_argument("--slow", type=float, default=0.0)
    args = p.parse_args(argv)

    if args.hang_in == "write":
        def half_written_save(file, arr, *a, **kw):
            with open(file, "wb") as f:
                f.write(b"\x93NUMPY" + b"\0" * 64)  # the start of a vector file, never finished
                f.flush()
            _hang(args.marker)

        qindex.np.save = half_written_save
    elif args.hang_in == "swap":
        original = qindex._atomic_write_text

        def stuck_swap(path, text):
            if path.name != "CURRENT":
                return original(path, text)
            (path.parent / ".CURRENT.partial").write_text(text[:3])
            _hang(args.marker)

        qindex._atomic_write_text = stuck_swap

    if args.log or args.slow:
        locked = qindex._build_locked

        def logged(*a, **kw):
            if args.log:
                with open(args.log, "a") as f:
                    f.write(f"{os.getpid()} start {time.time():.6f}\n")
            time.sleep(args.slow)
            try:
                return locked(*a, **kw)
            finally:
                if args.log:
                    with open(args.log, "a") as f:
                        f.write(f"{os.getpid()} end {time.time():.6f}\n")

        qindex._build_locked = logged

    if args.go:
        while not args.go.exists():
            time.sleep(0.01)
    index = qindex.build_index(settings_for(args.corpus, args.index), HashEmbedder())
    print(index.path.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
