"""Does density predict accuracy under other readings of "region"? The SciQ density check
(embedsdg_density_*) at other grid sizes, with three PCA axes, and without a grid at all.

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_density_correlation   # the space and the scores
    python scripts/embedsdg_density_variants.py
    python scripts/embedsdg_density_variants.py --grids 2:6,3:4 --neighbours 10

Nothing is trained or embedded again: the student's N-vectors (data/embedsdg/density/space) are
reduced afresh with PCA to K axes, which is what embedsdg_density_embed does with
``-S embedsdg_embed.k=K`` (the N-vectors do not depend on K), and the per-item scores come from
metrics/embedsdg/density/eval_items.csv.

- **Grids** (``K:cells``): the paper's reading, regions = cells of a grid over D's box, Pearson r
  with a bootstrap CI, for the student and the untuned base model, as correlation.py computes it
  (``embedsdg_correlation``'s min_items and resamples from params.yaml: ``2:6`` reproduces
  metrics/embedsdg/density/correlation.json).
- **No grid**: each test item's density is the mean cosine similarity of its ``--neighbours``
  nearest points of D in the full N-dimensional space, so no axis and no item are thrown away.
  Item-level Spearman of density against the correct option's log-probability (student, base,
  and student − base: what tuning on D added), and the AUC with which density separates the
  student's right answers from its wrong ones; 95% bootstrap intervals over items.

Every setting is exploratory: at about ten settings, one p below 0.05 is expected by chance.
Writes --out with each setting's numbers and the machine.
"""
import argparse
import csv
import json
import logging
from pathlib import Path

import numpy as np
from scipy import stats

from synthcraft.files import atomic_write_text, read_jsonl
from synthcraft.methods.embedsdg.correlation import CorrelationParams, correlate, region_table
from synthcraft.methods.embedsdg.grid import Grid
from synthcraft.methods.embedsdg.reduce import Reducer
from synthcraft.params import load_section
from synthcraft.runtime import machine, setup_logging
from synthcraft.store import EmbeddingStore

ITEM_RESAMPLES = 2000         # over 1,000 items: Spearman per resample is the slow part


def load(space: Path, items_csv: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """D's N-vectors, the test items' N-vectors in items_csv order, and the items' score columns
    (with each item's length in tokens)."""
    points = read_jsonl(space / "points.jsonl")
    split = {r["id"]: r["split"] for r in points}
    tokens = {r["id"]: r["tokens"] for r in points}
    with EmbeddingStore(space) as store:
        vectors = store.take(range(len(store))).astype(np.float64)
        row_of = {doc_id: i for i, doc_id in enumerate(store.doc_ids)}
        pool = vectors[[row_of[d] for d in store.doc_ids if split[d] == "pool"]]
    with open(items_csv, newline="") as fh:
        items = list(csv.DictReader(fh))
    evaluation = vectors[[row_of[i["id"]] for i in items]]
    columns = {f"{m}_{c}": np.array([float(i[f"{m}_{c}"]) for i in items])
               for m in ("base", "student") for c in ("correct", "logprob")}
    columns["tokens"] = np.array([tokens[i["id"]] for i in items], dtype=float)
    return pool, evaluation, columns


def grid_setting(pool: np.ndarray, evaluation: np.ndarray, columns: dict, k: int, cells: int,
                 p: CorrelationParams) -> dict:
    reducer = Reducer("pca", k, seed=0)
    pool_points, eval_points = reducer.fit(pool), reducer.transform(evaluation)
    grid = Grid(pool_points, cells)
    pool_cells, eval_cells = grid.cells(pool_points), grid.cells(eval_points)
    out = {"k": k, "cells_per_axis": cells, "explained_variance": reducer.explained_variance}
    for model in ("student", "base"):
        table = region_table(pool_cells, eval_cells, columns[f"{model}_correct"], columns[f"{model}_logprob"], p.min_items)
        found = correlate([r["pool_points"] for r in table], [r["accuracy"] for r in table], p.bootstrap_resamples, p.seed)
        if model == "student":
            held = [r["pool_points"] for r in table]
            out["items_in_regions"] = sum(r["items"] for r in table)
            out["pool_points_per_region"] = [min(held), max(held)] if held else None
        out[model] = found
    return out


def knn_density(pool: np.ndarray, evaluation: np.ndarray, neighbours: int) -> np.ndarray:
    """Mean cosine similarity of each evaluation vector to its nearest ``neighbours`` pool vectors."""
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)   # noqa: E731
    sims = unit(evaluation) @ unit(pool).T
    return np.sort(sims, axis=1)[:, -neighbours:].mean(axis=1)


def partial_spearman(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Spearman of x and y with z's rank held fixed: Pearson of their rank residuals on z's ranks."""
    rz = stats.rankdata(z)
    residual = lambda v: v - np.polyval(np.polyfit(rz, v, 1), rz)   # noqa: E731
    return float(np.corrcoef(residual(stats.rankdata(x)), residual(stats.rankdata(y)))[0, 1])


def _interval(statistic, n: int, rng) -> list[float]:
    draws = [statistic(rng.integers(0, n, n)) for _ in range(ITEM_RESAMPLES)]
    return [round(float(v), 4) for v in np.percentile(draws, [2.5, 97.5])]


def item_setting(pool: np.ndarray, evaluation: np.ndarray, columns: dict, neighbours: int) -> dict:
    density = knn_density(pool, evaluation, neighbours)
    rng = np.random.default_rng(0)
    n = len(density)
    out = {"neighbours": neighbours, "items": n,
           "density_range": [round(float(density.min()), 4), round(float(density.max()), 4)]}
    # Eq. 2 sums over tokens, so an item's length may drive its density: say how much.
    out["spearman_tokens"] = round(float(stats.spearmanr(density, columns["tokens"]).statistic), 4)
    targets = {"student_logprob": columns["student_logprob"], "base_logprob": columns["base_logprob"],
               "gain_logprob": columns["student_logprob"] - columns["base_logprob"]}
    for name, y in targets.items():
        rho = lambda i, y=y: stats.spearmanr(density[i], y[i]).statistic   # noqa: E731
        result = stats.spearmanr(density, y)
        out[f"spearman_{name}"] = {"rho": round(float(result.statistic), 4), "p": float(result.pvalue),
                                   "ci95": _interval(rho, n, rng)}
    tokens, gain = columns["tokens"], targets["gain_logprob"]
    partial = lambda i: partial_spearman(density[i], gain[i], tokens[i])   # noqa: E731
    out["spearman_gain_logprob"]["given_tokens"] = {"rho": round(partial(np.arange(n)), 4),
                                                    "ci95": _interval(partial, n, rng)}
    correct = columns["student_correct"].astype(bool)

    def auc(i):
        right, wrong = density[i][correct[i]], density[i][~correct[i]]
        return stats.mannwhitneyu(right, wrong).statistic / (len(right) * len(wrong))

    test = stats.mannwhitneyu(density[correct], density[~correct])
    out["auc_student_correct"] = {"auc": round(float(auc(np.arange(n))), 4), "p": float(test.pvalue),
                                  "ci95": _interval(auc, n, rng), "right": int(correct.sum()),
                                  "wrong": int((~correct).sum())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--space", type=Path, default=Path("data/embedsdg/density/space"))
    parser.add_argument("--items", type=Path, default=Path("metrics/embedsdg/density/eval_items.csv"))
    parser.add_argument("--grids", default="2:4,2:6,2:8,2:10,3:3,3:4,3:5",
                        help="K:cells_per_axis settings, comma-separated (the committed run is 2:6)")
    parser.add_argument("--neighbours", default="10,50", help="kNN sizes for the grid-free density")
    parser.add_argument("--out", type=Path, default=Path("metrics/embedsdg/density/variants.json"))
    args = parser.parse_args()
    setup_logging()

    p = load_section("embedsdg_correlation", CorrelationParams)   # min_items, resamples: as the stage ran
    pool, evaluation, columns = load(args.space, args.items)
    grids = []
    for spec in args.grids.split(","):
        k, cells = map(int, spec.split(":"))
        grids.append(grid_setting(pool, evaluation, columns, k, cells, p))
        logging.info("K=%d, %d cells per axis: student %s", k, cells, grids[-1]["student"])
    items = [item_setting(pool, evaluation, columns, int(n)) for n in args.neighbours.split(",")]
    for setting in items:
        logging.info("kNN %d: %s", setting["neighbours"], setting)
    report = {"what": "SciQ density check under other region definitions (scripts/embedsdg_density_variants.py)",
              "pool": len(pool), "eval": len(evaluation), "min_items": p.min_items,
              "bootstrap_resamples": {"grids": p.bootstrap_resamples, "items": ITEM_RESAMPLES},
              "grids": grids, "knn": items, "machine": machine()}
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    logging.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
