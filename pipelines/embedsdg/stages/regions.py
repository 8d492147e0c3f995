"""embedsdg_regions: the grid, the sparse candidate cells and the seed pairs of every arm (3.3-3.4).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_regions
    dvc exp run -S embedsdg_regions.cells_per_axis=12 -S embedsdg_regions.threshold=4 pipelines/embedsdg/dvc.yaml

Writes data/embedsdg/regions/: grid.json (box, cell size, T, counts), pairs.jsonl (EmbedSDG pairs
from sparse cells, sparsest first, and random pairs, each with its seeds' ids), seeds.jsonl (the
random single seeds, in draw order). Plots: the grid-density histogram (the paper's Figure 2) and
a scatter of D with the cells used.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.files import atomic_write_text, csv_text, read_jsonl, write_json, write_jsonl
from synthcraft.methods.embedsdg.grid import (Grid, RegionsParams, candidate_cells, density_histogram, random_pairs,
                                              random_seeds, sparse_pairs, threshold_of)
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    points: Path = Path("data/embedsdg/space/points.jsonl")
    out: Path = Path("data/embedsdg/regions")
    metrics: Path = Path("metrics/embedsdg/regions.json")
    histogram: Path = Path("metrics/embedsdg/grid_density.csv")
    scatter: Path = Path("metrics/embedsdg/regions_points.csv")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_regions
    pool = [r for r in read_jsonl(paths.points) if r["split"] == "pool"]
    points = np.array([r["point"] for r in pool])
    grid = Grid(points, p.cells_per_axis)
    counts = grid.counts(points)
    threshold = threshold_of(counts, p)
    candidates = candidate_cells(counts, threshold, p.seed)
    pairs = sparse_pairs(points, grid, counts, p, threshold)
    if len(pairs) < p.examples_per_arm:
        logging.warning("the %d candidate cells hold only %d distinct seed pairs of the %d wanted "
                        "(embedsdg_regions.examples_per_arm): the embedsdg arm gets %d requests, the random arms %d "
                        "(raise embedsdg_regions.threshold, side_band or cells_per_axis for more)",
                        len(candidates), len(pairs), p.examples_per_arm, len(pairs), p.examples_per_arm)
    ids = [r["id"] for r in pool]
    rows = [{"kind": "embedsdg", "order": i, "seeds": [ids[a] for a in pair["rows"]], **pair}
            for i, pair in enumerate(pairs)]
    rows += [{"kind": "random_pairs", "order": i, "seeds": [ids[a] for a in pair], "rows": pair}
             for i, pair in enumerate(random_pairs(len(pool), p.examples_per_arm, p.seed + 1))]
    seeds = random_seeds(len(pool), round(p.examples_per_arm * p.baseline_factor), p.seed + 2)

    paths.out.mkdir(parents=True, exist_ok=True)
    write_json(paths.out / "grid.json", {**grid.spec(), "threshold": threshold, "counts": counts.tolist()})
    write_jsonl(paths.out / "pairs.jsonl", rows)
    write_jsonl(paths.out / "seeds.jsonl", [{"kind": "random_seeds", "order": i, "seeds": [ids[r]], "rows": [r]}
                                            for i, r in enumerate(seeds)])
    histogram = density_histogram(counts)
    atomic_write_text(paths.histogram, csv_text(["points_in_cell", "cells"],
                                                ([h["points_in_cell"], h["cells"]] for h in histogram)))
    used = {tuple(r["cell"]) for r in rows if r["kind"] == "embedsdg"}
    seed_rows = {a for r in rows if r["kind"] == "embedsdg" for a in r["rows"]}
    cells = grid.cells(points)
    kinds = ["seed" if i in seed_rows else "in_used_cell" if tuple(c) in used else "pool"
             for i, c in enumerate(cells)]
    atomic_write_text(paths.scatter, csv_text(["x", "y", "kind"], ([round(pt[0], 4), round(pt[1], 4), kind]
                                                                    for pt, kind in zip(points, kinds))))
    occupied = counts[counts > 0]
    metrics = {"pool": len(pool), "cells": int(counts.size), "occupied_cells": int(occupied.size),
               "threshold": threshold, "candidate_cells": len(candidates), "cells_used": len(used),
               "embedsdg_pairs": len(pairs), "embedsdg_pairs_wanted": p.examples_per_arm, "random_pairs": p.examples_per_arm, "random_seeds": len(seeds),
               "points_per_occupied_cell": {"median": float(np.median(occupied)), "max": int(occupied.max())},
               "used_cell_counts": sorted(int(counts[c]) for c in used)}
    write_metrics(paths.metrics, metrics)
    logging.info("T = %d: %d candidate cells of %d occupied; %d pairs from %d cells", threshold, len(candidates),
                 occupied.size, len(pairs), len(used))
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_regions=RegionsParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
