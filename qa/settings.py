"""One typed settings object. Defaults work; every field can be overridden by a `QA_<FIELD>` environment
variable (e.g. `QA_TOP_K=8`), by CLI flags, or by keyword arguments to `Engine`/`ask`."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"
READERS = ("sentence", "extractive", "generative")
# "auto": bf16 where the CPU computes in bfloat16 (`native_bf16`), else fp32. Resolved when the settings are made, so
# an index records the arithmetic its vectors were made with.
PRECISIONS = ("auto", "fp32", "bf16", "int8")
EMBEDDING_PRECISIONS = ("auto", "fp32", "bf16")
STORES = ("faiss", "milvus")
# Optional text settings: an empty environment variable means "not set".
_OPTIONAL_TEXT = {"reader_model", "reranker_model", "llm_base_url", "llm_model", "llm_api_key", "milvus_uri",
                  "milvus_token", "milvus_collection"}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    # A sentence-transformers model id or local path; the default is the copy shipped in site-packages.
    embedding_model: str = BUNDLED_EMBEDDER
    # Arithmetic of the embedder: bf16 embeds 1.8x faster on a CPU with bfloat16 instructions, cosine to fp32 >=
    # 0.9999, and 7x slower on one without (README). Part of the index's settings: vectors of one precision are
    # never mixed with another's.
    embedding_precision: str = "auto"
    chunk_words: int = 120
    chunk_overlap_sentences: int = 1
    top_k: int = 5
    # Candidates taken from each retriever before reciprocal rank fusion.
    fusion_depth: int = 30
    rrf_k: int = 60
    max_answer_sentences: int = 2
    # Candidate sentences the trained reader scores per question, shortlisted by dense similarity and BM25.
    reader_candidates: int = 8
    # When none of them answers with this probability, the next reader_candidates are read too (0: never). Chosen on
    # FairytaleQA's val split, which nothing trains or measures on (README, Benchmarks).
    reader_second_look: float = 0.3
    # Arithmetic of the trained reader's forward pass: bf16 halves its time on a CPU with bfloat16 instructions and
    # reads like fp32; without them it takes 6x fp32's time. int8 (smoothed) reads a quarter faster than fp32 and a
    # little less often right (README, model card).
    reader_precision: str = "auto"
    # Answers whose answerability is below this abstain; default: the reader's calibrated threshold (README).
    abstain_threshold: float | None = None
    max_question_chars: int = 2000
    max_document_bytes: int = 50_000_000
    # Who answers (README, "Other answerers"): the embedded sentence reader, a transformers question-answering
    # model (reader_model), or an LLM (llm_base_url: an OpenAI-compatible server; else llm_model: a local path).
    reader: str = "sentence"
    reader_model: str | None = None
    # An optional sentence-transformers CrossEncoder id or path that reorders the retrieved passages.
    reranker_model: str | None = None
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = dataclasses.field(default=None, repr=False)  # never printed or logged
    llm_timeout: float = 60.0  # seconds without a byte from the LLM server, and for the whole answer
    llm_max_tokens: int = 300
    # Where the index lives (README, "Past one machine"): FAISS and bm25s files under index_dir, or Milvus.
    store: str = "faiss"
    # A Milvus Lite file (a path ending in .db) or a server or cluster (http://host:19530).
    milvus_uri: str | None = None
    milvus_token: str | None = dataclasses.field(default=None, repr=False)  # never printed or logged
    # The alias the record is served under; default: derived from corpus_dir (qa.store_milvus.collection_name).
    milvus_collection: str | None = None

    def __post_init__(self):
        from .errors import QAError

        if self.reader not in READERS:
            raise QAError(f"Unknown reader '{self.reader}': QA_READER must be one of {', '.join(READERS)}.")
        if not self.llm_timeout > 0:
            raise QAError(f"llm_timeout must be a positive number of seconds, not {self.llm_timeout}.")
        if not 0.0 <= self.reader_second_look <= 1.0:
            raise QAError(f"reader_second_look is a probability (0 to 1), not {self.reader_second_look}.")
        if self.reader_candidates < 1:
            raise QAError(f"reader_candidates must be at least 1, not {self.reader_candidates}.")
        if self.reader_precision not in PRECISIONS:
            raise QAError(f"Unknown reader_precision '{self.reader_precision}': one of {', '.join(PRECISIONS)}.")
        if self.embedding_precision not in EMBEDDING_PRECISIONS:
            raise QAError(f"Unknown embedding_precision '{self.embedding_precision}': one of "
                          f"{', '.join(EMBEDDING_PRECISIONS)}.")
        for name in ("reader_precision", "embedding_precision"):
            if getattr(self, name) == "auto":
                object.__setattr__(self, name, "bf16" if native_bf16() else "fp32")
        if self.store not in STORES:
            raise QAError(f"Unknown store '{self.store}': QA_STORE must be one of {', '.join(STORES)}.")
        if self.llm_max_tokens < 1:
            raise QAError(f"llm_max_tokens must be at least 1, not {self.llm_max_tokens}.")

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
        return {"embedding_model": self.embedding_model, "embedding_precision": self.embedding_precision,
                "chunk_words": self.chunk_words,
                "chunk_overlap_sentences": self.chunk_overlap_sentences}


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AVX512-BF16 or AMX). Without that torch emulates
    bf16: the reader took 527 ms for 8 candidates against 89 ms in fp32 on an AVX2-only AMD EPYC (session 13)."""
    import torch

    capabilities = torch.cpu.get_capabilities()
    return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))


def _coerce(settings: Settings, name: str, value):
    current = getattr(settings, name)
    if name in _OPTIONAL_TEXT:
        return (value.strip() or None) if isinstance(value, str) else value
    if not isinstance(value, str):
        return Path(value) if isinstance(current, Path) else value
    if isinstance(current, Path):
        return Path(value).expanduser()
    if isinstance(current, bool):
        return value.lower() in {"1", "true", "yes", "on"}
    if name in ("reader", "reader_precision", "embedding_precision", "store"):
        return value.strip().lower()
    if name == "abstain_threshold":
        return float(value) if value.strip() else None
    if isinstance(current, int):
        return _number(name, value, int)
    if isinstance(current, float):
        return _number(name, value, float)
    return value


def _number(name: str, value: str, kind: type):
    try:
        return kind(value)
    except ValueError:
        from .errors import QAError

        raise QAError(f"Setting {name} must be {'an integer' if kind is int else 'a number'}, not '{value}'.") from None
