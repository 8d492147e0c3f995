"""embedder_evaluate: the base embedder, the one trained on synthetic rows, its two ablations (the
recipe's task instruction; no consistency filter) and the human-data control, on the local tasks and the shipped
benchmarks, item by item.

    dvc repro pipelines/embedder/dvc.yaml:embedder_evaluate
    dvc exp run -S 'embedder_evaluate.hub_tasks=["STSBenchmark","SciFact"]' pipelines/embedder/dvc.yaml   # with the hub
    python pipelines/embedder/stages/evaluate.py --model models/embedder --control models/embedder-human

mteb runs every task folder in data/embedder/mteb_tasks/ (local) and data/embedder/benchmarks/ for
each model; its result JSON lands in metrics/embedder/mteb/<model>/ (git-tracked), its predictions
in data/embedder/eval/. metrics/embedder/evaluate.json holds, per task, each model's score, each
model's score against chance where the task has one, and every comparison (trained - base,
human - base, trained - human, trained - instructed, trained - unfiltered) with a 95% paired
bootstrap interval, p-value, minimum detectable difference and the items a 2-point difference
would need. Models trained behind task instructions read each task's instruction (task.json). A
task where every model is at chance (its interval against chance holds 0) is reported but left out
of the means, so it cannot dilute them; the means (all tasks, local, benchmarks) resample the
tasks jointly, replicate by replicate.

A model folder holding repeated training runs (``seeds/seed-<n>/``, embedder_repeats) has each run
scored too, as ``<model>@seed<n>``; ``across_seeds`` then gives, per task and per mean, every seed's
score, mean +- sd, and t-tests across seeds against base and against the human control (paired by
seed). The paired bootstrap comparisons stay on the seed-0 models.
"""
import csv
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from synthcraft.evaluation.seeds import add_seed_summaries
from synthcraft.methods.embedder.evaluation import (EmbedderEvaluateParams, against_chance, bootstrap_differences,
                                                    evaluate_models, read_spec, size, summarize)
from synthcraft.methods.embedder.training import EmbedderTrainParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.training import SEEDS_DIR

# trained - instructed and trained - unfiltered: what bare queries (over the recipe's instruction)
# and the consistency filter each add, on the same teacher data.
PAIRS = (("trained", "base"), ("human", "base"), ("trained", "human"), ("trained", "instructed"),
         ("trained", "unfiltered"))


@dataclass
class Paths:
    tasks: Path = Path("data/embedder/mteb_tasks")
    benchmarks: Optional[Path] = Path("data/embedder/benchmarks")
    model: Path = Path("models/embedder")
    control: Optional[Path] = Path("models/embedder-human")
    instructed: Optional[Path] = Path("models/embedder-instructed")   # the ablations (embedder_ablation)
    unfiltered: Optional[Path] = Path("models/embedder-unfiltered")
    results: Path = Path("metrics/embedder/mteb")
    predictions: Path = Path("data/embedder/eval")
    metrics: Path = Path("metrics/embedder/evaluate.json")
    scores_csv: Path = Path("metrics/embedder/scores.csv")


def task_folders(paths: Paths) -> dict[Path, str]:
    """Each task folder with its group ("local" or "benchmark")."""
    groups = {d: "local" for d in sorted(paths.tasks.iterdir()) if d.is_dir()}
    if paths.benchmarks is not None:
        groups.update({d: "benchmark" for d in sorted(paths.benchmarks.iterdir()) if d.is_dir()})
    return groups


def seed_runs(name: str, folder: str) -> dict[str, str]:
    """'<name>@seed<n>' -> folder, for each repeated training run saved inside a model folder."""
    runs = {int(p.name.removeprefix("seed-")): p for p in (Path(folder) / SEEDS_DIR).glob("seed-*")
            if (p / "modules.json").exists()}   # a sentence-transformers folder
    return {f"{name}@seed{seed}": str(runs[seed]) for seed in sorted(runs)}


def seed_values(report: dict) -> dict[str, dict[str, float]]:
    """{measure: {run: score}}: each task's main score and each task group's mean."""
    values = {name: {m: row[m] for m in report["models"]} for name, row in report["tasks"].items()}
    values.update({f"mean ({label})": {m: mean[m] for m in report["models"]} for label, mean in report["mean"].items()})
    return values


def compare(scores: dict, items: dict, groups: dict[Path, str], resamples: int) -> dict:
    models = list(scores)
    pairs = [(a, b) for a, b in PAIRS if a in models and b in models]
    report, replicates = {}, {}
    for seed, (task_dir, group) in enumerate(groups.items()):
        spec = read_spec(task_dir)
        name = spec["name"]
        row = {"type": spec["type"], "main_score": spec["main_score"], "group": group,
               **{m: scores[m][name] for m in models}, "comparisons": {}}
        chance = {m: against_chance(items[m][name], resamples, seed) for m in models}
        if all(c is not None for c in chance.values()):
            row["against_chance"] = chance
            row["at_chance"] = all(c["at_chance"] for c in chance.values())
        for a, b in pairs:
            difference, diffs = bootstrap_differences(items[a][name], items[b][name], resamples, seed=seed)
            row["comparisons"][f"{a} - {b}"] = summarize(difference, diffs, size(items[a][name]))
            replicates[(name, a, b)] = (difference, diffs)
        report[name] = row
    means = {}
    for label, wanted in (("all", {"local", "benchmark"}), ("local", {"local"}), ("benchmark", {"benchmark"})):
        names = [n for n, r in report.items() if r["group"] in wanted and not r.get("at_chance")]
        if not names:
            continue
        mean = {"tasks": names, **{m: round(float(np.mean([report[n][m] for n in names])), 5) for m in models},
                "comparisons": {}}
        for a, b in pairs:
            observed = float(np.mean([replicates[(n, a, b)][0] for n in names]))
            mean["comparisons"][f"{a} - {b}"] = summarize(observed, np.mean([replicates[(n, a, b)][1] for n in names], axis=0))
        means[label] = mean
    return {"models": models, "tasks": report, "at_chance": [n for n, r in report.items() if r.get("at_chance")],
            "mean": means}


def run(params, paths: Paths) -> dict:
    groups = task_folders(paths)
    models = {"base": params.embedder_train.base_model, "trained": str(paths.model)}
    for name, path in (("human", paths.control), ("instructed", paths.instructed), ("unfiltered", paths.unfiltered)):
        if path is not None:
            models[name] = str(path)
    runs = dict(models)
    for name, folder in models.items():
        if name != "base":
            runs.update(seed_runs(name, folder))
    # A model reads the tasks' instructions when it was trained behind them: the instructed ablation
    # always, the others when embedder_train.instruction is on; MiniLM (base) never was.
    followers = ("trained", "human", "unfiltered", "instructed") if params.embedder_train.instruction else ("instructed",)
    instructed = frozenset(run for run in runs if run.split("@seed")[0] in followers)
    outcome = evaluate_models(runs, list(groups), paths.predictions, paths.results, params.embedder_evaluate, instructed)
    report = compare(outcome["scores"], outcome["items"], groups, params.embedder_evaluate.bootstrap_resamples)
    add_seed_summaries(report, models, "human" if "human" in models else None, runs, seed_values(report))
    report["instructed"] = sorted(instructed)
    report["hub_tasks"] = {t: {m: outcome["scores"][m].get(t) for m in runs} for t in params.embedder_evaluate.hub_tasks}
    write_metrics(paths.metrics, report)
    with open(paths.scores_csv, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task", "model", "score"])
        for task, row in report["tasks"].items():
            writer.writerows([[task, m, row[m]] for m in runs])
    for task, row in report["tasks"].items():
        logging.info("%-26s %s%s", task, "  ".join(f"{m} {row[m]:.4f}" for m in runs),
                     "  (every model at chance)" if row.get("at_chance") else "")
        for pair, c in row["comparisons"].items():
            logging.info("    %-16s %+.4f CI %s  detectable %s", pair, c["difference"], c["ci95"],
                         c.get("minimum_detectable_difference"))
    for label, mean in report["mean"].items():
        logging.info("mean (%s, %d tasks): %s", label, len(mean["tasks"]),
                     "  ".join(f"{pair} {c['difference']:+.4f} CI {c['ci95']}" for pair, c in mean["comparisons"].items()))
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedder_train=EmbedderTrainParams, embedder_evaluate=EmbedderEvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
