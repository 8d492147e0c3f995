"""How much human data the harness can see: the positive control's gain over base, per supervision
form and training-set size N, on one evaluation set.

    dvc repro base                                     # the student (models/base)
    python scripts/control_curve.py                    # N = 53, 200; cloze and letter_text; the sciq set
    python scripts/control_curve.py --n 53,500 --supervision cloze --out metrics/control_curve.json
    python scripts/control_curve.py --n 53,200,500 --supervision letter_text,letter

Each arm is the control stage's data (synthcraft/control.py: the seeded, nested draw from
control.path) trained with the `train:` recipe and scored like `evaluate` scores a model, every
form, each compared with base on the same items (paired bootstrap, McNemar, minimum detectable
difference). The JSON keeps every arm's per-item correctness, so other comparisons need no rerun.
An arm already in --out is not trained again (delete it to redo it). Adapters go to --work.
"""
import argparse
import json
import logging
import time
from pathlib import Path

from synthcraft.control import ControlParams, human_samples
from synthcraft.evaluation import EvaluateParams
from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.summaries import Scored, accuracy, compare
from synthcraft.files import atomic_write_text
from synthcraft.params import load_section
from synthcraft.runtime import machine, setup_logging
from synthcraft.tasks import TaskParams
from synthcraft.training import TrainParams, train_lora


def score(name: str, base: str, adapter, items: list[dict], batch_size: int) -> tuple[Scored, float]:
    """One model on the items through evaluate's own loop (float32 on the CPU), and the seconds it took."""
    started = time.perf_counter()
    scored, _ = run_models({name: (base, adapter)}, {"items": items}, {}, batch_size=batch_size, device="cpu",
                           bf16=False)
    return scored["items"][name], time.perf_counter() - started


def arm_report(scored: Scored, base: Scored, resamples: int) -> dict:
    return {"accuracy": {form: accuracy(scored.correct(form)) for form in FORMS},
            "vs_base": {form: compare(scored, base, form, resamples) for form in FORMS},
            "correct": {form: scored.correct(form).astype(int).tolist() for form in FORMS}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="53,200", help="training-set sizes, comma-separated")
    parser.add_argument("--supervision", default="cloze,letter_text", help="supervision forms, comma-separated")
    parser.add_argument("--set", default="sciq", help="a key of evaluate.sets")
    parser.add_argument("--base", default="models/base")
    parser.add_argument("--work", default="cache/control_curve", help="where the adapters go")
    parser.add_argument("--out", default="metrics/control_curve.json")
    parser.add_argument("--resamples", type=int, default=10000)
    args = parser.parse_args()
    setup_logging()
    evaluate = load_section("evaluate", EvaluateParams)
    control = load_section("control", ControlParams)
    recipe = load_section("train", TrainParams)
    items = evaluate.sets[args.set].load()
    out = Path(args.out)
    report = json.loads(out.read_text()) if out.exists() else {}
    report.update({"set": args.set, "items": len(items), "control_path": control.path, "seed": control.seed,
                   "recipe": vars(recipe), "machine": machine()})
    base, seconds = score("base", args.base, None, items, evaluate.batch_size)
    report["base"] = {"accuracy": {form: accuracy(base.correct(form)) for form in FORMS},
                      "score_seconds": round(seconds, 1)}
    arms = report.setdefault("arms", {})
    for supervision in args.supervision.split(","):
        task = TaskParams(supervision=supervision)
        for n in [int(x) for x in args.n.split(",")]:
            name = f"{supervision}_n{n}"
            if name in arms:
                logging.info("%s: already in %s", name, out)
                continue
            samples = human_samples(control, n, task)
            examples = [task.task_type.example(s, supervision) for s in samples]
            adapter = Path(args.work) / name
            stats = train_lora(args.base, examples, adapter, recipe, base_name=args.base,
                               loss_csv=adapter / "loss.csv")
            scored, seconds = score(name, args.base, str(adapter), items, evaluate.batch_size)
            arms[name] = {"supervision": supervision, "n": n, "train_seconds": stats["seconds"],
                          "train_loss": stats["train_loss"], "score_seconds": round(seconds, 1),
                          **arm_report(scored, base, args.resamples)}
            logging.info("%s: %s", name, {form: arms[name]["vs_base"][form]["accuracy_difference"] for form in FORMS})
            atomic_write_text(out, json.dumps(report, indent=1) + "\n")
    atomic_write_text(out, json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
