"""coverage: the corpus, the selected documents, the synthetic samples, the few-shots and the
evaluation items in the store's embedding space, as a 2-D map and one number per evaluation set.

    dvc repro coverage
    dvc exp run -S coverage.corpus_sample=5000

For each evaluation set in evaluate.sets: the share of items whose nearest synthetic sample is
closer (cosine) than their nearest few-shot — does the synthetic data reach the questions the
student is tested on? Writes metrics/coverage.json and metrics/coverage_points.csv (x, y per
point, for the report's map).
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from synthcraft.coverage import CoverageParams, coverage_report, pca_2d
from synthcraft.embedders import Encoder
from synthcraft.evaluation import EvaluateParams
from synthcraft.evaluation.scoring import letter_user_turn
from synthcraft.fewshots import load_fewshots
from synthcraft.files import atomic_write_text, csv_text
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.sharding import check_model, open_store
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    store: Path = Path("data/store")
    retrieved: Path = Path("data/retrieved")
    synthetic: Path = Path("data/synthetic")
    fewshots: Path = Path("data/fewshots")
    metrics: Path = Path("metrics/coverage.json")
    points: Path = Path("metrics/coverage_points.csv")


def run(params, paths: Paths) -> dict:
    task, p = params.task, params.coverage
    started = time.perf_counter()
    shots = load_fewshots(paths.fewshots / f"{task.name}.jsonl", task.task_type)
    synthetic = pq.read_table(paths.synthetic / task.name / "train.parquet").to_pylist()
    selected_ids = set(pq.read_table(paths.retrieved / f"{task.name}.parquet", columns=["doc_id"])["doc_id"].to_pylist())
    sets = {name: spec.load() for name, spec in params.evaluate.sets.items()}

    with open_store(paths.store) as store:
        encoder = Encoder(check_model(store), precision="float32")
        rng = np.random.default_rng(p.seed)
        selected_rows = np.flatnonzero(np.isin(store.doc_ids, list(selected_ids)))
        others = np.setdiff1d(np.arange(len(store)), selected_rows)
        background = np.sort(rng.choice(others, size=min(p.corpus_sample, len(others)), replace=False))
        groups = {"corpus": store.take(background), "selected": store.take(selected_rows)}
    # One format for everything that is a question, whatever form training uses: the task type's
    # chat prompt (for multiple-choice items, the lettered one; open items are their prompt).
    groups["synthetic"] = encoder([task.task_type.prompt_and_answer(sample)[0] for sample in synthetic])
    groups["fewshot"] = encoder([task.task_type.prompt_and_answer(shot)[0] for shot in shots])
    for name, items in sets.items():
        open_set = params.evaluate.sets[name].kind == "open"
        groups[f"eval:{name}"] = encoder([item["prompt"] if open_set else letter_user_turn(item) for item in items])

    kinds = [kind for kind, vectors in groups.items() for _ in range(len(vectors))]
    coordinates, explained = pca_2d(np.concatenate([v for v in groups.values() if len(v)]).astype(np.float32))
    metrics = {
        "task": task.name, "model": store.info.model, "explained_variance_2d": explained,
        "points": {kind: len(vectors) for kind, vectors in groups.items()},
        "sets": {name: coverage_report(groups[f"eval:{name}"], groups["synthetic"], groups["fewshot"]) for name in sets},
        "seconds": round(time.perf_counter() - started, 1),
    }
    for name, report in metrics["sets"].items():
        logging.info("%s: %.1f%% of items are closer to a synthetic sample than to any few-shot", name,
                     100 * (report["share_closer_to_synthetic"] or 0))
    write_metrics(paths.metrics, metrics)
    atomic_write_text(paths.points, csv_text(["kind", "x", "y"], ([kind, round(float(x), 4), round(float(y), 4)]
                                                                  for kind, (x, y) in zip(kinds, coordinates))))
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, coverage=CoverageParams, evaluate=EvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
