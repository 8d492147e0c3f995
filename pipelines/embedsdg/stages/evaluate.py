"""embedsdg_evaluate: every arm against the student and each other, overall and by region density.

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_evaluate

Scores the base model, the student SM and SM + each arm's adapter on the held-out MMLU items
(the shared multiple-choice scorer: letter, cloze and length-normalised cloze). Reports accuracy
with Wilson 95% CIs, overall and split into items whose point falls in a sparse cell of D's grid
(fewer than T pool points, empty cells and points outside the box included) or a dense one (T or
more); paired comparisons (bootstrap CI, exact McNemar, log-prob of the correct option); the
tokens each arm spent. Per-item scores go to metrics/embedsdg/eval_items.csv (embedsdg_correlation reads it).
"""
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.summaries import accuracy, compare
from synthcraft.files import atomic_write_text, csv_text, read_jsonl
from synthcraft.methods.embedsdg.arms import ARMS
from synthcraft.methods.embedsdg.evaluation import COMPARISONS, EmbedsdgEvaluateParams, density_split, item_columns
from synthcraft.methods.embedsdg.grid import Grid
from synthcraft.runtime import pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    base: Path = Path("models/base")
    student: Path = Path("models/embedsdg/student")
    adapters: Path = Path("models/embedsdg/arms")
    eval: Path = Path("data/embedsdg/eval.jsonl")
    points: Path = Path("data/embedsdg/space/points.jsonl")
    regions: Path = Path("data/embedsdg/regions")
    filter_metrics: Path = Path("metrics/embedsdg/filter.json")
    metrics: Path = Path("metrics/embedsdg/evaluate.json")
    items: Path = Path("metrics/embedsdg/eval_items.csv")
    plot: Path = Path("metrics/embedsdg/accuracy.csv")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_evaluate
    items = read_jsonl(paths.eval)
    where = {r["id"]: r for r in read_jsonl(paths.points) if r["split"] == "eval"}
    grid_spec = json.loads((paths.regions / "grid.json").read_text())
    points = np.array([where[item["id"]]["point"] for item in items])
    region = np.array(density_split(points, grid_spec))
    cells = Grid.from_spec(grid_spec).cells(points)

    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    models = {"base": (str(paths.base), None), "student": (str(paths.student), None),
              **{arm: (str(paths.student), str(paths.adapters / arm)) for arm in ARMS}}
    scored = run_models(models, {"eval": items}, {}, batch_size=p.batch_size, device=device, bf16=bf16)[0]["eval"]

    form = p.primary
    report = {"items": len(items), "primary": form, "bf16": bf16,
              "split_counts": {k: int((region == k).sum()) for k in ("sparse", "dense")},
              "models": {}, "comparisons": {}}
    for name, s in scored.items():
        correct = s.correct(form)
        report["models"][name] = {"all": accuracy(correct),
                                  **{k: accuracy(correct[region == k]) for k in ("sparse", "dense") if (region == k).any()},
                                  "forms": {f: accuracy(s.correct(f))["accuracy"] for f in FORMS},
                                  "mean_correct_logprob": round(float(s.correct_logprob(form).mean()), 4)}
    for a, b in COMPARISONS:
        entry = {"all": compare(scored[a], scored[b], form, p.bootstrap_resamples)}
        for k in ("sparse", "dense"):
            mask = region == k
            if mask.sum() >= 2:
                entry[k] = compare(scored[a].where(mask), scored[b].where(mask), form, p.bootstrap_resamples)
        report["comparisons"][f"{a}_vs_{b}"] = entry
    spend = json.loads(paths.filter_metrics.read_text())
    report["tokens_spent"] = spend["tokens_spent"]
    report["arm_sizes"] = spend["arm_sizes"]
    write_metrics(paths.metrics, report)

    header, values = item_columns(scored, form)
    rows = ([item["id"], item["subject"], region[i], "-".join(map(str, cells[i]))] + values[i]
            for i, item in enumerate(items))
    atomic_write_text(paths.items, csv_text(["id", "subject", "region", "cell"] + header, rows))
    bars = "".join(f"{m} ({k}),{report['models'][m][k]['accuracy']}\n" for m in scored for k in ("all", "sparse", "dense")
                   if k in report["models"][m])
    atomic_write_text(paths.plot, "bar,accuracy\n" + bars)
    logging.info("accuracy (%s): %s", form, {m: r["all"]["accuracy"] for m, r in report["models"].items()})
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_evaluate=EmbedsdgEvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
