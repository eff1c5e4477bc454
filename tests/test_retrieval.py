import pytest

from qa.retrieval import reciprocal_rank_fusion


def test_rrf_rewards_agreement_between_rankings():
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]], k=60)
    assert [i for i, _ in fused] == [1, 3, 2, 4]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_with_one_empty_ranking_keeps_the_other_order():
    assert [i for i, _ in reciprocal_rank_fusion([[5, 4, 9], []])] == [5, 4, 9]
