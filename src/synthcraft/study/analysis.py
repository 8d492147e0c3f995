"""The study's numbers from the shared evaluator's per-item scores (metrics/study/eval_items.csv).

An arm trained over several seeds is scored once per seed (``<arm>``, ``<arm>@seed<n>``). Each
comparison of two arms on one set and form gives:
  - the accuracy difference of their seed-averaged per-item correctness, with a paired bootstrap
    interval over items (items are the main source of noise; seeds enter through the average);
  - exact McNemar on the first seed's runs (0/1 per item, as the test needs);
  - the across-seed test (``stats.across_seeds``: paired by seed, one-sample against base);
  - the minimum detectable difference at this number of items.
The gap recovered is (arm - base) / (human - base), AgoraBench's "performance gap recovered",
with a bootstrap interval that resamples numerator and denominator together; it is left out
(None) where the human arm's own gain over base is not clear of zero, since the ratio is then
meaningless.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from synthcraft.evaluation.stats import across_seeds, mcnemar_exact, minimum_detectable_difference, paired_bootstrap
from synthcraft.study import BASE, HUMAN


def load_correct(path: str | Path, forms: list[str]) -> dict[str, dict[str, dict[str, np.ndarray]]]:
    """{set: {form: {run: 0/1 correctness per item, in item order}}} from an eval_items.csv."""
    rows = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for form in forms:
                rows[row["set"]][(form, row["model"])][int(row["item"])] = row[form] == row["answer"]
    out = {}
    for set_name, by_run in rows.items():
        out[set_name] = defaultdict(dict)
        for (form, run), items in by_run.items():
            out[set_name][form][run] = np.array([items[i] for i in sorted(items)], dtype=float)
    return {s: dict(forms_) for s, forms_ in out.items()}


def runs_of(arm: str, runs) -> list[str]:
    """The arm's runs: its first seed, then its repeated seeds in order."""
    repeats = sorted((r for r in runs if r.startswith(f"{arm}@seed")), key=lambda r: int(r.split("@seed")[1]))
    return [arm] + repeats


def seed_mean(correct: dict[str, np.ndarray], arm: str) -> np.ndarray:
    return np.mean([correct[r] for r in runs_of(arm, correct)], axis=0)


def compare(correct: dict[str, np.ndarray], arm: str, other: str, resamples: int, seed: int = 0) -> dict:
    a, b = seed_mean(correct, arm), seed_mean(correct, other)
    low, high = paired_bootstrap(a, b, resamples, seed)
    first_a, first_b = correct[arm], correct[other]
    only_a, only_b = int(((first_a == 1) & (first_b == 0)).sum()), int(((first_a == 0) & (first_b == 1)).sum())
    per_run = {r: float(correct[r].mean()) for r in correct}
    mine = [per_run[r] for r in runs_of(arm, correct)]
    theirs = [per_run[r] for r in runs_of(other, correct)]
    seeds = across_seeds(mine, theirs[0] if len(theirs) == 1 else theirs, paired=len(theirs) == len(mine))
    # + 0.0: a difference that rounds to zero reads 0.0, not -0.0
    return {"difference": round(float((a - b).mean()), 4) + 0.0, "ci95": [round(low, 4) + 0.0, round(high, 4) + 0.0],
            "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6), "only_first_right": only_a, "only_second_right": only_b,
            "across_seeds": seeds, "minimum_detectable_difference": round(minimum_detectable_difference(a, b), 4)}


def gap_recovered(correct: dict[str, np.ndarray], arm: str, resamples: int, seed: int = 0) -> dict:
    """(arm - base) / (human - base) on seed-averaged correctness, with its bootstrap interval."""
    a, h, b = seed_mean(correct, arm), seed_mean(correct, HUMAN), correct[BASE]
    gain, gap = a - b, h - b
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(b), size=(resamples, len(b)))
    gains, gaps = gain[picks].mean(axis=1), gap[picks].mean(axis=1)
    gap_low, gap_high = np.percentile(gaps, [2.5, 97.5])
    if gap_low <= 0 <= gap_high or gap.mean() == 0:
        return {"value": None, "ci95": None,
                "note": f"human - base {gap.mean():+.4f} ({gap_low:+.4f}, {gap_high:+.4f}) is not clear of zero"}
    ratios = gains / np.where(gaps == 0, np.nan, gaps)
    low, high = np.nanpercentile(ratios, [2.5, 97.5])
    return {"value": round(float(gain.mean() / gap.mean()), 4), "ci95": [round(float(low), 4), round(float(high), 4)]}


def set_summary(correct: dict[str, np.ndarray], arms: list[str], reference: str, resamples: int) -> dict:
    """One set and form: accuracy per arm (mean over seeds and per seed), every arm against base,
    against the reference (random) and against human, and each arm's gap recovered."""
    out = {"items": int(len(correct[BASE])), "accuracy": {}, f"vs_{BASE}": {}, f"vs_{reference}": {}, f"vs_{HUMAN}": {},
           "gap_recovered": {}}
    for arm in arms:
        runs = runs_of(arm, correct)
        out["accuracy"][arm] = {"mean": round(float(seed_mean(correct, arm).mean()), 4),
                                "per_seed": [round(float(correct[r].mean()), 4) for r in runs]}
        for other in (BASE, reference, HUMAN):
            if other != arm:
                out[f"vs_{other}"][arm] = compare(correct, arm, other, resamples)
        if arm not in (BASE, HUMAN):
            out["gap_recovered"][arm] = gap_recovered(correct, arm, resamples)
    return out
