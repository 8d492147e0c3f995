"""Intervals and paired tests (src/synthcraft/evaluation/stats.py) against known values."""
import numpy as np
import pytest

from synthcraft.evaluation.stats import (items_for_difference, mcnemar_exact, minimum_detectable_difference,
                                         paired_bootstrap, wilson_interval)


def test_wilson_against_published_values():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_against_known_values():
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)        # 2 * (C(10,0) + C(10,1)) / 2^10
    assert mcnemar_exact(9, 1) == mcnemar_exact(1, 9)
    assert mcnemar_exact(5, 5) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)


def test_paired_bootstrap_is_seeded_and_matches_the_normal_interval():
    rng = np.random.default_rng(1)
    a = rng.normal(0.3, 1.0, 2000)
    b = a - 0.1 + rng.normal(0, 0.5, 2000)  # b is a's pair: only the difference varies
    assert paired_bootstrap(a, b) == paired_bootstrap(a, b)
    low, high = paired_bootstrap(a, b)
    diff = a - b
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert low == pytest.approx(diff.mean() - 1.96 * se, abs=0.01)
    assert high == pytest.approx(diff.mean() + 1.96 * se, abs=0.01)
    # pairing matters: the unpaired spread of a and b is far wider than that of their difference
    assert high - low < 2 * 1.96 * np.sqrt(a.var() / len(a) + b.var() / len(b)) / 2


def test_minimum_detectable_difference():
    diff = np.array([1, -1] * 50, dtype=float)  # sd 1.005, n 100
    assert minimum_detectable_difference(diff, np.zeros(100)) == pytest.approx(2.8016 * diff.std(ddof=1) / 10, abs=1e-4)
    # four times the items, half the detectable difference
    big = minimum_detectable_difference(np.tile(diff, 4), np.zeros(400))
    assert big == pytest.approx(minimum_detectable_difference(diff, np.zeros(100)) / 2, rel=0.01)


def test_items_for_a_difference_inverts_the_detectable_difference():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    needed = items_for_difference(a, b, 0.02)
    # at that many items (same spread) the detectable difference is 2 points
    assert 2.8016 * (a - b).std(ddof=1) / np.sqrt(needed) == pytest.approx(0.02, rel=0.01)
    assert items_for_difference(a, b, 0.04) == pytest.approx(needed / 4, rel=0.01)
    assert items_for_difference(a, a) is None          # never differ: no number of items shows a difference


def test_across_seeds_t_tests():
    from synthcraft.evaluation.stats import across_seeds

    # differences 1, 2, 3 from a seedless base: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.464 with 2 df
    one = across_seeds([1.5, 2.5, 3.5], 0.5)
    assert one["mean"] == 2.5 and one["sd"] == 1.0 and one["difference_mean"] == 2.0
    assert one["p"] == pytest.approx(0.0742, abs=1e-4) and one["test"].startswith("one-sample")
    paired = across_seeds([1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    assert paired["p"] == pytest.approx(one["p"]) and paired["test"] == "paired t over seeds"
    welch = across_seeds([1.0, 2.0, 3.0], [0.0, 0.5], paired=False)
    assert welch["test"] == "Welch t" and welch["difference_mean"] == pytest.approx(1.75)
    assert across_seeds([0.3], 0.2)["p"] is None and across_seeds([0.3], 0.2)["sd"] is None   # one seed
    with pytest.raises(ValueError, match="as many"):
        across_seeds([1.0, 2.0], [1.0, 2.0, 3.0])
