"""One typed settings object. Defaults work; every field can be overridden by a `QA_<FIELD>` environment
variable (e.g. `QA_TOP_K=8`), by CLI flags, or by keyword arguments to `Engine`/`ask`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # A sentence-transformers model id or local path; the default is the copy shipped in site-packages.
    embedding_model: str = BUNDLED_EMBEDDER
    chunk_words: int = 120
    chunk_overlap_sentences: int = 1
    top_k: int = 5
    # Candidates taken from each retriever before reciprocal rank fusion.
    fusion_depth: int = 30
    rrf_k: int = 60
    max_answer_sentences: int = 2
    # Answers whose answerability is below this abstain; calibrated on SQuAD v2 (see README, Abstention).
    abstain_threshold: float | None = None
    max_question_chars: int = 2000
    max_document_bytes: int = 50_000_000

    def replace(self, **overrides) -> "Settings":
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            from .errors import QAError

            raise QAError(f"Unknown setting(s): {', '.join(sorted(unknown))}. Known: {', '.join(f.name for f in fields(self))}.")
        return dataclasses.replace(self, **{k: _coerce(self, k, v) for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        base = cls()
        from_env = {f.name: environ[f"QA_{f.name.upper()}"] for f in fields(cls) if f"QA_{f.name.upper()}" in environ}
        return base.replace(**from_env).replace(**overrides)

    def index_settings(self) -> dict:
        """The settings an index is built with: changing one of them makes the index stale."""
        return {"embedding_model": self.embedding_model, "chunk_words": self.chunk_words,
                "chunk_overlap_sentences": self.chunk_overlap_sentences}


def _coerce(settings: Settings, name: str, value):
    current = getattr(settings, name)
    if not isinstance(value, str):
        return Path(value) if isinstance(current, Path) else value
    if isinstance(current, Path):
        return Path(value).expanduser()
    if isinstance(current, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if name == "abstain_threshold":
        return float(value) if value.strip() else None
    return value
