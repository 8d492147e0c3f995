"""Density-accuracy correlation (paper section 4.4): regions of the reduced space, x = D's points
in a region, y = the student's accuracy on the evaluation items that fall in it.

The paper does not say how its regions were formed. Here: a grid of ``cells_per_axis`` cells per
axis over the bounding box of D's points (the same construction as the sparse-region grid, usually
coarser), keeping regions with at least ``min_items`` evaluation items; evaluation items outside
the box belong to no region. y is also reported as the mean log-probability of the correct option,
which moves before accuracy does and is less noisy with few items per region.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass
class CorrelationParams:
    """The ``embedsdg_correlation:`` section."""
    cells_per_axis: int = 6
    min_items: int = 5             # regions with fewer evaluation items are left out
    model: str = "student"         # whose accuracy (student: SM, as in the paper; or an arm's name)
    bootstrap_resamples: int = 10000
    seed: int = 0


@dataclass
class DensityParams:
    """The ``embedsdg_density:`` section: the same check on SciQ, where the student is above chance
    (D = SciQ train items the student is tuned on, evaluation = SciQ test items)."""
    pool_size: int = 2000          # D: the first pool_size items of the train file
    eval_size: int = 1000          # the first eval_size items of the test file

    def __post_init__(self):
        if self.pool_size < 1 or self.eval_size < 1:
            raise ValueError("embedsdg_density.pool_size and eval_size must be >= 1")


def region_table(pool_cells: np.ndarray, eval_cells: np.ndarray, correct: np.ndarray, logprob: np.ndarray,
                 min_items: int) -> list[dict]:
    """One row per region with >= ``min_items`` evaluation items (cells as [n, K] ints, -1 = outside)."""
    pool_count = defaultdict(int)
    for cell in map(tuple, pool_cells):
        pool_count[cell] += 1
    members = defaultdict(list)
    for i, cell in enumerate(map(tuple, eval_cells)):
        if cell[0] >= 0:
            members[cell].append(i)
    rows = []
    for cell in sorted(members):
        idx = members[cell]
        if len(idx) >= min_items:
            rows.append({"region": "-".join(map(str, cell)), "pool_points": pool_count[cell], "items": len(idx),
                         "accuracy": float(np.mean(correct[idx])), "mean_logprob": float(np.mean(logprob[idx]))})
    return rows


def correlate(x, y, resamples: int = 10000, seed: int = 0) -> dict:
    """Pearson and Spearman with p-values, and a percentile bootstrap 95% CI on Pearson's r
    (regions resampled with replacement; resamples with a constant side are skipped)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"regions": len(x), "pearson": None, "note": "fewer than 3 regions, or a constant side: no correlation. "
                "Fix: lower embedsdg_correlation.min_items or cells_per_axis, or add evaluation items"}
    pearson, spearman = stats.pearsonr(x, y), stats.spearmanr(x, y)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            draws.append(np.corrcoef(x[i], y[i])[0, 1])
    low, high = np.percentile(draws, [2.5, 97.5]) if draws else (None, None)
    return {"regions": len(x), "pearson": round(float(pearson.statistic), 4), "pearson_p": float(pearson.pvalue),
            "pearson_ci95": [round(float(low), 4), round(float(high), 4)] if draws else None,
            "spearman": round(float(spearman.statistic), 4), "spearman_p": float(spearman.pvalue)}
