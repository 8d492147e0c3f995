"""Influence of each data category (the paper's section 4): train on every subset of the four
length categories added to a base set, then, per category and task type, mean score of the 8
models trained with it minus the mean of the 8 without it, with a two-sided t-test and a Holm
correction over all (category, task type) tests.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthcraft.methods.embedder.categories import CATEGORIES
from synthcraft.methods.embedder.splits import is_heldout

SHORT_NAMES = {"short-short": "ss", "short-long": "sl", "long-short": "ls", "long-long": "ll"}


def subsets(categories=CATEGORIES) -> list[tuple[str, ...]]:
    """All 2^n subsets, smallest first, each in ``categories`` order."""
    return [combo for size in range(len(categories) + 1) for combo in itertools.combinations(categories, size)]


def subset_name(subset) -> str:
    """"base" for the empty subset, else e.g. "ss-ll" (also a file name and a DVC foreach key)."""
    return "-".join(SHORT_NAMES[c] for c in subset) or "base"


FULL = "ss-sl-ls-ll"


@dataclass
class InfluenceParams:
    """The ``embedder_influence:`` section (pipelines/embedder/influence/dvc.yaml)."""
    base_rows: int = 200            # the non-synthetic base set D: (title, article) pairs from the corpus
    # Public benchmark tasks (embedder_benchmarks folders) scored in every cell beside the local ones.
    # STS-B by default: the local tasks hold no STS task, and the paper's short-long -> STS effect needs one.
    benchmarks: list[str] = field(default_factory=lambda: ["STSBenchmark"])
    seed: int = 0


def task_folders(local: Path, benchmarks: Path, names: list[str]) -> list[Path]:
    """The cells' mteb task folders: every local task, then the named benchmark tasks (a name that
    embedder_benchmarks did not build, misspelt or left out of its tasks, fails here)."""
    missing = [name for name in names if not (benchmarks / name).is_dir()]
    if missing:
        raise FileNotFoundError(f"{benchmarks}: no task folder {missing} for embedder_influence.benchmarks. Fix: add "
                                f"them to embedder_benchmarks.tasks and run embedder_benchmarks, or drop them here")
    return sorted(d for d in local.iterdir() if d.is_dir()) + [benchmarks / name for name in names]


def parse_cell(name: str) -> tuple[tuple[str, ...], int]:
    """'sl-ll' -> (('short-long', 'long-long'), 0); 'ss-sl-ls-ll-seed2' -> (all four, 2)."""
    name, _, seed = name.partition("-seed")
    by_short = {v: k for k, v in SHORT_NAMES.items()}
    parts = [] if name == "base" else name.split("-")
    unknown = [p for p in parts if p not in by_short]
    if unknown:
        raise ValueError(f"influence cell {name!r}: unknown category code(s) {unknown}; use base or "
                         f"{'-'.join(SHORT_NAMES.values())} parts")
    return tuple(by_short[p] for p in parts), int(seed or 0)


def title_pairs(corpus_rows: list[dict], n: int, seed: int, heldout_share: float, exclude: set[str]) -> list[dict]:
    """The base set D's instances: an article's title as the query, the article as the positive
    (negatives are mined like the synthetic ones). Never a held-out or already used document."""
    usable = sorted((r for r in corpus_rows if r.get("title") and r["doc_id"] not in exclude
                     and not is_heldout(r["doc_id"], heldout_share) and len(r["text"].split()) >= 35),
                    key=lambda r: r["doc_id"])
    chosen = random.Random(seed).sample(usable, min(n, len(usable)))
    return [{"id": f"base-{r['doc_id']}", "category": "short-long", "task": "Given the title of an encyclopedia article, find the article", "doc_id": r["doc_id"],
             "query": r["title"], "positive": r["text"], "negative": None} for r in chosen]


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: the k-th smallest p times (m - k + 1), kept monotone, capped at 1."""
    m = len(p_values)
    order = np.argsort(p_values)
    adjusted, running = [0.0] * m, 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def influence_table(scores: dict[str, dict[str, float]], categories=CATEGORIES) -> dict[str, dict[str, dict]]:
    """``scores[subset_name][task_type]`` -> {category: {task_type: influence, t, p, p_holm}}."""
    from scipy import stats

    task_types = sorted(next(iter(scores.values())))
    table, tests = {}, []
    for category in categories:
        table[category] = {}
        for task_type in task_types:
            with_it = [scores[subset_name(s)][task_type] for s in subsets(categories) if category in s]
            without = [scores[subset_name(s)][task_type] for s in subsets(categories) if category not in s]
            t, p = stats.ttest_ind(with_it, without)   # two-sided, the paper's test
            table[category][task_type] = {"influence": float(np.mean(with_it) - np.mean(without)),
                                          "t": float(t), "p": float(p), "n": [len(with_it), len(without)]}
            tests.append((category, task_type))
    for (category, task_type), adjusted in zip(tests, holm([table[c][t]["p"] for c, t in tests])):
        table[category][task_type]["p_holm"] = adjusted
    return table
