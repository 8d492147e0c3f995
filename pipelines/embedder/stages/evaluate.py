"""embedder_evaluate: base embedder against the trained one on the local mteb tasks, item by item.

    dvc repro pipelines/embedder/dvc.yaml:embedder_evaluate
    dvc exp run -S 'embedder_evaluate.hub_tasks=["STSBenchmark","SciFact"]' pipelines/embedder/dvc.yaml   # with the hub
    python pipelines/embedder/stages/evaluate.py --model models/embedder --tasks data/embedder/mteb_tasks

mteb runs every task folder in data/embedder/mteb_tasks/ for both models; its result JSON lands in
metrics/embedder/mteb/<model>/ (git-tracked), its predictions in data/embedder/eval/. metrics/embedder/evaluate.json
holds each task's scores, the trained-minus-base difference with a 95% paired bootstrap interval
and p-value, and the same for the mean over tasks (tasks resampled jointly, replicate by replicate).
"""
import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.methods.embedder.training import EmbedderTrainParams
from synthcraft.methods.embedder.evaluation import EmbedderEvaluateParams, bootstrap_differences, evaluate_models, read_spec, summarize

from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    tasks: Path = Path("data/embedder/mteb_tasks")
    model: Path = Path("models/embedder")
    results: Path = Path("metrics/embedder/mteb")
    predictions: Path = Path("data/embedder/eval")
    metrics: Path = Path("metrics/embedder/evaluate.json")
    scores_csv: Path = Path("metrics/embedder/scores.csv")


def compare(scores: dict, items: dict, task_dirs: list[Path], resamples: int) -> dict:
    report, replicates, observed = {}, [], []
    for task_dir in task_dirs:
        spec = read_spec(task_dir)
        name = spec["name"]
        difference, diffs = bootstrap_differences(items["trained"][name], items["base"][name], resamples,
                                                  seed=len(report))
        replicates.append(diffs)
        observed.append(difference)
        report[name] = {"type": spec["type"], "main_score": spec["main_score"], "base": scores["base"][name],
                        "trained": scores["trained"][name], **summarize(difference, diffs,
                                                                        len(items["base"][name].get("values") or
                                                                            items["base"][name].get("labels")))}
    mean = {"base": round(float(np.mean([t["base"] for t in report.values()])), 5),
            "trained": round(float(np.mean([t["trained"] for t in report.values()])), 5),
            **summarize(float(np.mean(observed)), np.mean(replicates, axis=0))}
    return {"tasks": report, "mean": mean}


def run(params, paths: Paths) -> dict:
    task_dirs = sorted(d for d in paths.tasks.iterdir() if d.is_dir())
    models = {"base": params.embedder_train.base_model, "trained": str(paths.model)}
    outcome = evaluate_models(models, task_dirs, paths.predictions, paths.results, params.embedder_evaluate)
    report = compare(outcome["scores"], outcome["items"], task_dirs, params.embedder_evaluate.bootstrap_resamples)
    report["hub_tasks"] = {t: {m: outcome["scores"][m].get(t) for m in models} for t in params.embedder_evaluate.hub_tasks}
    write_metrics(paths.metrics, report)
    with open(paths.scores_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task", "model", "score"])
        for task, row in report["tasks"].items():
            writer.writerows([[task, m, row[m]] for m in models])
    for task, row in report["tasks"].items():
        logging.info("%-26s base %.4f trained %.4f diff %+.4f CI %s p %s", task, row["base"], row["trained"],
                     row["difference"], row["ci95"], row["p_value"])
    logging.info("mean: base %.4f trained %.4f diff %+.4f CI %s", report["mean"]["base"], report["mean"]["trained"],
                 report["mean"]["difference"], report["mean"]["ci95"])
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedder_train=EmbedderTrainParams, embedder_evaluate=EmbedderEvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
