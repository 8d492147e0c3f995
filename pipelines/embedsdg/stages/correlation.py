"""embedsdg_correlation: is the student's accuracy higher where D is denser? (paper section 4.4)

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_correlation
    dvc exp run -S embedsdg_correlation.cells_per_axis=4 pipelines/embedsdg/dvc.yaml

Regions: a grid over D's bounding box (methods/embedsdg/correlation.py says why and how); x = D's
points in a region, y = the student's accuracy on the evaluation items in it, and their mean
log-probability of the correct option. Pearson and Spearman with p-values, a bootstrap CI on r,
and the scatter as a dvc plot (metrics/embedsdg/correlation.csv); the same for the base model
(``base_contrast``) where the items file scores it. The SciQ density check runs this script on its
own files (embedsdg_density_correlation).
"""
import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.files import atomic_write_text, read_jsonl
from synthcraft.methods.embedsdg.correlation import CorrelationParams, correlate, region_table
from synthcraft.methods.embedsdg.grid import Grid
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    points: Path = Path("data/embedsdg/space/points.jsonl")
    items: Path = Path("metrics/embedsdg/eval_items.csv")
    metrics: Path = Path("metrics/embedsdg/correlation.json")
    plot: Path = Path("metrics/embedsdg/correlation.csv")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_correlation
    rows = read_jsonl(paths.points)
    pool = np.array([r["point"] for r in rows if r["split"] == "pool"])
    point_of = {r["id"]: r["point"] for r in rows if r["split"] == "eval"}
    with open(paths.items, newline="") as fh:
        items = list(csv.DictReader(fh))
    if f"{p.model}_correct" not in items[0]:
        raise ValueError(f"embedsdg_correlation.model = {p.model!r} was not evaluated. Fix: use student or an arm name")
    grid = Grid(pool, p.cells_per_axis)
    eval_cells = grid.cells(np.array([point_of[i["id"]] for i in items]))
    pool_cells = grid.cells(pool)

    def regions(model: str) -> tuple[list[dict], dict]:
        correct = np.array([int(i[f"{model}_correct"]) for i in items])
        logprob = np.array([float(i[f"{model}_logprob"]) for i in items])
        table = region_table(pool_cells, eval_cells, correct, logprob, p.min_items)
        x = [r["pool_points"] for r in table]
        return table, {"accuracy": correlate(x, [r["accuracy"] for r in table], p.bootstrap_resamples, p.seed),
                       "mean_logprob": correlate(x, [r["mean_logprob"] for r in table], p.bootstrap_resamples, p.seed)}

    table, found = regions(p.model)
    report = {"model": p.model, "cells_per_axis": p.cells_per_axis, "min_items": p.min_items,
              "items_in_regions": sum(r["items"] for r in table), **found, "regions": table}
    if p.model != "base" and "base_correct" in items[0]:
        # The untuned model on the same regions: density that predicts its accuracy as well says which
        # items are typical of D's distribution, not what training on D taught.
        report["base_contrast"] = regions("base")[1]
    write_metrics(paths.metrics, report)
    atomic_write_text(paths.plot, "pool_points,accuracy,mean_logprob,items\n" + "".join(
        f"{r['pool_points']},{r['accuracy']:.4f},{r['mean_logprob']:.4f},{r['items']}\n" for r in table))
    logging.info("density-accuracy over %d regions: %s", len(table), report["accuracy"])
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_correlation=CorrelationParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
