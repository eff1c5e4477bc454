"""The benchmark runs end to end on one small held-out article and writes sane figures."""

from __future__ import annotations

import json

import pytest

from bench.squad_bench import aggregate, question_word, strip_markers
from bench.squad_data import HELD_OUT_EXCLUDE, SQUAD_V1

SMALL_ARTICLE = "Amazon_rainforest"  # the shortest held-out article of SQuAD v1.1 dev


def test_question_words_and_markers():
    assert question_word("In what year did it end?") == "what"
    assert question_word("Whom did the Panthers beat?") == "who"
    assert question_word("Name the winner.") == "other"
    assert strip_markers("It ended in 1990 [1]. It began [2].") == "It ended in 1990. It began."


def test_aggregate_of_nothing():
    assert aggregate([]) == {"questions": 0}


@pytest.mark.skipif(not SQUAD_V1.exists(), reason=f"SQuAD v1.1 dev not available at {SQUAD_V1}")
def test_squad_bench_one_article(tmp_path):
    from bench.__main__ import main

    assert SMALL_ARTICLE not in HELD_OUT_EXCLUDE
    assert main(["squad", "--article", SMALL_ARTICLE, "--limit", "6", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "squad.json").read_text(encoding="utf-8"))
    assert (tmp_path / "squad.md").read_text(encoding="utf-8").startswith("# SQuAD v1.1 dev")
    assert result["articles"] == 1 and result["per_article"][0]["article"] == SMALL_ARTICLE
    overall = result["overall"]
    assert overall["questions"] == 6
    rates = ["recall@1", "recall@3", "recall@5", "answer_hit_rate", "answer_covers_gold", "span_coverage",
             "abstention_rate"]
    for key in rates:
        assert 0.0 <= overall[key] <= 1.0, key
    assert overall["recall@1"] <= overall["recall@3"] <= overall["recall@5"]
    for key in ("citation_precision", "first_citation_correct", "span_em", "span_f1", "answer_hit_rate_answered"):
        assert overall[key] is None or 0.0 <= overall[key] <= 1.0, key  # None when nothing was answered/spanned
    assert overall["span_em"] is None or overall["span_em"] <= overall["span_f1"]
    assert overall["answer_words_mean"] is None or overall["answer_words_mean"] > 0
    assert 0 < overall["latency_ms_p50"] <= overall["latency_ms_p95"] < 60_000
    for name in ("bm25", "dense", "hybrid_no_reader"):
        base = overall["baselines"][name]
        assert 0.0 <= base["hit_rate"] <= 1.0 and 0.0 <= base["text_hit_rate"] <= 1.0
    assert set(result["by_question_word"]) == {"who", "when", "what", "why", "how", "which", "where", "other"}
    assert sum(m["questions"] for m in result["by_question_word"].values()) == 6
    assert result["index_build_seconds"]["total"] > 0 and result["peak_rss_mb"] > 0


def test_court_bench_small_record(tmp_path):
    from bench.court_bench import COURT

    if not COURT.is_dir():
        pytest.skip(f"court files not available at {COURT}")
    from bench.__main__ import main

    assert main(["court", "--chars", "15000", "--questions", "2", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "court.json").read_text(encoding="utf-8"))
    assert (tmp_path / "court.md").read_text(encoding="utf-8").startswith("# Court record:")
    assert result["record"]["chars"] >= 15000 and result["counts"]["sentences"] > 0
    assert result["questions"] == 2 and 0 < result["ask_ms"]["p50"] < 60_000
    stages = result["build_stages_seconds"]
    assert all(v is not None and v >= 0 for v in stages.values())
    assert sum(stages.values()) <= result["build_seconds"] + 0.01
