"""The density-accuracy correlation against scipy on known data, and the region table."""
import numpy as np
import pytest
from scipy import stats

from synthcraft.methods.embedsdg.correlation import correlate, region_table


def test_correlation_matches_scipy_and_its_interval_covers_r():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 50, 40)
    y = 0.01 * x + rng.normal(0, 0.1, 40)
    out = correlate(x, y, resamples=2000)
    assert out["pearson"] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-4)
    assert out["pearson_p"] == pytest.approx(stats.pearsonr(x, y).pvalue)
    assert out["spearman"] == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-4)
    low, high = out["pearson_ci95"]
    assert low < out["pearson"] < high and out["regions"] == 40


def test_too_few_regions_say_which_param_to_change():
    assert "min_items" in correlate([1, 2], [0.1, 0.2])["note"]
    assert correlate([1, 1, 1], [0.1, 0.2, 0.3])["pearson"] is None


def test_region_table_counts_pool_points_and_drops_thin_regions():
    pool = np.array([[0, 0], [0, 0], [0, 0], [1, 1], [-1, -1]])
    items = np.array([[0, 0], [0, 0], [1, 1], [1, 1], [1, 0], [-1, -1]])
    correct = np.array([1, 0, 1, 1, 0, 1])
    logprob = np.array([-0.5, -1.5, -0.2, -0.4, -2.0, -0.1])
    table = region_table(pool, items, correct, logprob, min_items=2)
    assert table == [{"region": "0-0", "pool_points": 3, "items": 2, "accuracy": 0.5, "mean_logprob": -1.0},
                     {"region": "1-1", "pool_points": 1, "items": 2, "accuracy": 1.0, "mean_logprob": pytest.approx(-0.3)}]
