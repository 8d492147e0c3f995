"""Is the recipe what keeps EmbGen's positive control flat? The human-text arm trained longer or
harder, scored on the closed-book items beside the untuned student.

    dvc repro pipelines/embgen/dvc.yaml                  # the control's data and the items
    python scripts/embgen_control_recipe.py              # 6 epochs at learning rate 3e-4
    python scripts/embgen_control_recipe.py --settings 2:1e-4,6:3e-4,12:3e-4

Each setting is ``epochs:learning_rate`` on top of the arms' recipe (embgen_train over train); the
arm's data is data/embgen/train/human.jsonl, the same rows embgen_train@human learns from. Every
model is scored like embgen_evaluate scores it (the shared runner, float32 on the CPU), each arm
compared with the untuned student per group: seen (the test) and heldout (the no-leak control).
Writes --out with the training loss, accuracy and paired comparisons per group and form, and the
machine. A setting already in --out is not trained again (delete it to redo it).
"""
import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np

from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.summaries import accuracy, compare
from synthcraft.files import atomic_write_text, read_jsonl
from synthcraft.methods.embgen.evaluation import EmbgenEvaluateParams
from synthcraft.methods.embgen.items import SOURCES
from synthcraft.params import load_section
from synthcraft.runtime import machine, setup_logging
from synthcraft.training import RECIPE_BASE, TrainParams, load_examples, train_lora



def score(models: dict, items: list[dict], batch_size: int) -> dict:
    scored, _ = run_models(models, {"items": items}, {}, batch_size=batch_size, device="cpu", bf16=False)
    return scored["items"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", default="6:3e-4", help="epochs:learning_rate, comma-separated")
    parser.add_argument("--data", default="data/embgen/train/human.jsonl")
    parser.add_argument("--items", default="data/embgen/eval/closed_book.jsonl")
    parser.add_argument("--base", default="models/base")
    parser.add_argument("--work", default="cache/embgen_control_recipe", help="where the adapters go")
    parser.add_argument("--out", default="metrics/embgen/control_recipe.json")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--resamples", type=int, default=10000)
    args = parser.parse_args()
    setup_logging()
    recipe = load_section("embgen_train", TrainParams, base=RECIPE_BASE)
    form = load_section("embgen_evaluate", EmbgenEvaluateParams).primary
    items, examples = read_jsonl(args.items), load_examples(args.data)
    masks = {g: np.array([item["source"] == g for item in items]) for g in SOURCES}
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    report.update({"data": args.data, "items": {g: int(m.sum()) for g, m in masks.items()}, "recipe": vars(recipe),
                   "machine": machine()})
    started = time.perf_counter()
    base = score({"no_aug": (args.base, None)}, items, args.batch_size)["no_aug"]
    report["no_aug"] = {g: accuracy(base.where(m).correct(form)) for g, m in masks.items()}
    report["no_aug"]["score_seconds"] = round(time.perf_counter() - started, 1)
    arms = report.setdefault("settings", {})
    for setting in args.settings.split(","):
        epochs, rate = setting.split(":")
        name = f"epochs{epochs}_lr{rate}"
        if name in arms:
            logging.info("%s: already in %s", name, out)
            continue
        adapter = Path(args.work) / name
        stats = train_lora(args.base, examples, adapter, dataclasses.replace(recipe, epochs=int(epochs),
                                                                             learning_rate=float(rate)),
                           base_name=args.base, loss_csv=adapter / "loss.csv")
        scored = score({name: (args.base, str(adapter))}, items, args.batch_size)[name]
        arms[name] = {"epochs": int(epochs), "learning_rate": float(rate),
                      **{k: stats[k] for k in ("examples", "steps", "train_loss", "first_loss", "last_loss", "seconds")},
                      "groups": {g: {"accuracy": accuracy(scored.where(m).correct(form)),
                                     "vs_no_aug": {f: compare(scored.where(m), base.where(m), f, args.resamples)
                                                   for f in FORMS}}
                                 for g, m in masks.items()}}
        logging.info("%s: loss %.3f -> %.3f; seen %+.4f, heldout %+.4f", name, stats["first_loss"], stats["last_loss"],
                     *[arms[name]["groups"][g]["vs_no_aug"][form]["accuracy_difference"] for g in SOURCES])
        atomic_write_text(out, json.dumps(report, indent=1) + "\n")
    atomic_write_text(out, json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
