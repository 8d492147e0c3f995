"""embedder_influence: the influence of each data category on each task type (the paper's section 4).

    dvc repro pipelines/embedder/influence/dvc.yaml
    dvc exp run -S embedder_train.learning_rate=5e-5 pipelines/embedder/influence/dvc.yaml   # all cells again

Reads the 16 cells (metrics/embedder/influence/<cell>.json) and the noise-seed repeats of the full
subset; writes metrics/embedder/influence.json (per category and task type: influence = mean with -
mean without, t, p, Holm-adjusted p; the seed noise floor per task type), the table as CSV and
the heat map as an image (both `dvc plots`). The noise floor is the standard deviation of the
full subset's scores over its seed repeats (the foreach items ending in -seed<n>).
"""
import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np


from synthcraft.methods.embedder.categories import CATEGORIES
from synthcraft.methods.embedder.influence import FULL, influence_table, subset_name, subsets
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths, write_metrics


@dataclass
class Paths:
    cells: Path = Path("metrics/embedder/influence")
    metrics: Path = Path("metrics/embedder/influence.json")
    table_csv: Path = Path("metrics/embedder/influence.csv")
    heatmap: Path = Path("metrics/embedder/influence.png")


def by_type(cell: dict) -> dict[str, float]:
    """Mean main score per task type (one local task per type by default)."""
    types = sorted(set(cell["task_types"].values()))
    return {t: float(np.mean([s for task, s in cell["scores"].items() if cell["task_types"][task] == t])) for t in types}


def draw(table: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = sorted(next(iter(table.values())))
    values = np.array([[table[c][t]["influence"] * 100 for t in types] for c in CATEGORIES])
    limit = max(abs(values).max(), 1e-9)
    fig, ax = plt.subplots(figsize=(1.4 * len(types) + 1.8, 3.4))
    ax.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(types)), [t.replace("Classification", "\nClassification").strip() for t in types])
    ax.set_yticks(range(len(CATEGORIES)), CATEGORIES)
    for i, category in enumerate(CATEGORIES):
        for j, task_type in enumerate(types):
            star = "*" if table[category][task_type]["p_holm"] < 0.05 else ""
            colour = "white" if abs(values[i, j]) > 0.6 * limit else "black"
            ax.text(j, i, f"{values[i, j]:+.2f}{star}", ha="center", va="center", fontsize=9, color=colour)
    ax.set_title("influence (points; * Holm p < 0.05)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(params, paths: Paths) -> dict:
    cells = {subset_name(s): json.loads((paths.cells / f"{subset_name(s)}.json").read_text()) for s in subsets()}
    scores = {name: by_type(cell) for name, cell in cells.items()}
    table = influence_table(scores)
    seeded = sorted(paths.cells.glob(f"{FULL}-seed*.json"))   # the full subset retrained with other seeds
    repeats = [scores[FULL]] + [by_type(json.loads(f.read_text())) for f in seeded]
    noise = {t: round(float(np.std([r[t] for r in repeats], ddof=1)), 5) if len(repeats) > 1 else None
             for t in scores[FULL]}
    report = {"cells": {name: {"rows": cell["rows"], **scores[name]} for name, cell in cells.items()},
              "influence": {c: {t: {k: round(v, 5) if isinstance(v, float) else v for k, v in cell.items()}
                                for t, cell in row.items()} for c, row in table.items()},
              "seed_noise_sd": noise, "noise_runs": len(repeats)}
    write_metrics(paths.metrics, report)
    with open(paths.table_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["category", "task_type", "influence", "p", "p_holm"])
        for category, row in table.items():
            for task_type, cell in row.items():
                writer.writerow([category, task_type, round(cell["influence"], 5), round(cell["p"], 5),
                                 round(cell["p_holm"], 5)])
    draw(table, paths.heatmap)
    for category, row in table.items():
        logging.info("%-12s %s", category, {t: f"{c['influence']:+.4f} (p_holm {c['p_holm']:.3f})" for t, c in row.items()})
    logging.info("seed noise sd: %s", noise)
    return report


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
