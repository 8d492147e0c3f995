"""Intervals and paired tests: what a difference between two models on the same items can show.

Everything here is paired by item: two models answer the same questions, so the per-item
difference is what varies, not each model's accuracy on its own.
"""
from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959964       # two-sided 5% test
Z_POWER_80 = 0.841621  # 80% power


def wilson_interval(correct: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (better than the normal one near 0, 1, small n)."""
    if total == 0:
        return (0.0, 1.0)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (a right & b wrong, and vice versa)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int = 10000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of mean(a) - mean(b), resampling items with their pairs kept together.
    Works for 0/1 correctness (an accuracy difference) and for continuous per-item scores alike."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(diff) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):  # in blocks: 10k x n indices at once is needless memory
        picks = rng.integers(0, len(diff), size=(min(1000, resamples - start), len(diff)))
        means[start: start + len(picks)] = diff[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def minimum_detectable_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The smallest true mean difference a paired two-sided 5% test detects with 80% power at this
    number of items, given the observed spread of per-item differences: (z_0.975 + z_0.8) * SE."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(diff) < 2:
        return float("nan")
    return float((Z_95 + Z_POWER_80) * diff.std(ddof=1) / math.sqrt(len(diff)))


def items_for_difference(a: np.ndarray, b: np.ndarray, difference: float = 0.02) -> int | None:
    """How many items the same paired test would need to detect ``difference`` with 80% power, at
    the observed spread of per-item differences (None when the two never differ on an item)."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    spread = diff.std(ddof=1) if len(diff) > 1 else 0.0
    if spread == 0:
        return None
    return math.ceil(((Z_95 + Z_POWER_80) * spread / difference) ** 2)


def across_seeds(values: list[float], other: list[float] | float, paired: bool = True) -> dict:
    """A model trained with several seeds against ``other``: a number (base, which has no training
    seed), a list paired seed by seed (a model trained with the same seeds), or, with
    ``paired=False``, another model's runs (Welch). Mean +- sd of the model's values and of the
    difference, and the t-test's two-sided p-value (None with one seed, or when nothing varies)."""
    from scipy import stats

    a = np.asarray(values, dtype=float)
    if np.isscalar(other) or paired:
        if not np.isscalar(other) and len(other) != len(a):
            raise ValueError("paired runs need as many values on both sides")
        diff = a - np.asarray(other, dtype=float)
        test = "one-sample t (other has no seed)" if np.isscalar(other) else "paired t over seeds"
        p = stats.ttest_1samp(diff, 0.0).pvalue if len(a) > 1 and diff.std() > 0 else None
        difference, spread = float(diff.mean()), float(diff.std(ddof=1)) if len(a) > 1 else None
    else:
        b = np.asarray(other, dtype=float)
        test = "Welch t"
        p = stats.ttest_ind(a, b, equal_var=False).pvalue if min(len(a), len(b)) > 1 else None
        difference, spread = float(a.mean() - b.mean()), None
    def r(x):
        return None if x is None or np.isnan(x) else round(float(x), 6)

    return {"seeds": len(a), "mean": r(a.mean()), "sd": r(a.std(ddof=1)) if len(a) > 1 else None,
            "difference_mean": r(difference), "difference_sd": r(spread), "test": test, "p": r(p)}
