"""embedsdg_density_score: the base model and the student tuned on D, scored on the density check's items.

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_density_score

The shared scorer in every form (embedsdg_evaluate's batch size, device and bf16; its primary form
is the one embedsdg_correlation reads). Writes one row per item with each model's correctness and
log-probability of the correct option (the columns embedsdg_correlation reads), and each model's
accuracy with intervals, so the check says first whether the student is above chance at all. The
base model is the contrast: if density predicts its accuracy as well as the tuned student's, the
correlation is about which items are typical of SciQ, not about what tuning on D taught.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.summaries import accuracy, compare
from synthcraft.files import atomic_write_text, csv_text, read_jsonl
from synthcraft.methods.embedsdg.evaluation import EmbedsdgEvaluateParams, item_columns
from synthcraft.runtime import pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    base: Path = Path("models/base")
    student: Path = Path("models/embedsdg/density/student")
    eval: Path = Path("data/embedsdg/density/eval.jsonl")
    metrics: Path = Path("metrics/embedsdg/density/score.json")
    items: Path = Path("metrics/embedsdg/density/eval_items.csv")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_evaluate
    items = read_jsonl(paths.eval)
    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    models = {"base": (str(paths.base), None), "student": (str(paths.student), None)}
    scored = run_models(models, {"eval": items}, {}, batch_size=p.batch_size, device=device, bf16=bf16)[0]["eval"]
    form = p.primary
    report = {"items": len(items), "primary": form, "bf16": bf16,
              "models": {name: {**accuracy(s.correct(form)),
                                "forms": {f: accuracy(s.correct(f))["accuracy"] for f in FORMS}}
                         for name, s in scored.items()},
              "student_vs_base": compare(scored["student"], scored["base"], form, p.bootstrap_resamples)}
    write_metrics(paths.metrics, report)
    header, values = item_columns(scored, form)
    atomic_write_text(paths.items, csv_text(["id"] + header, ([item["id"]] + values[i] for i, item in enumerate(items))))
    logging.info("density check, accuracy (%s): %s", form,
                 {m: r["accuracy"] for m, r in report["models"].items()})
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_evaluate=EmbedsdgEvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
