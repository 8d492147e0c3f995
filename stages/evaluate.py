"""evaluate: accuracy of the base model and of every adapter in evaluate.models, compared in pairs.

    dvc repro evaluate
    dvc metrics show metrics/eval.json
    dvc exp run -S 'evaluate.models.other=models/adapters/other'   # one more row, no code

Multiple-choice letter log-prob scoring (MMLU style), 95% Wilson intervals per subject and
overall, exact McNemar tests on the same items (each model against base and against
evaluate.reference), and 5-gram contamination of each adapter's training data against the
evaluation set (CRAFT 5.3).
"""
import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.evaluation import (EvaluateParams, accuracy_report, compare, contamination, item_key, load_mcqa,
                                   load_model, predict_letters)
from synthcraft.files import atomic_write_text, read_jsonl, write_json
from synthcraft.runtime import autocast, pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths
from synthcraft.tasks import TaskParams
from synthcraft.training import TRAINING_DATA


@dataclass
class Paths:
    base: Path = Path("models/base")
    metrics: Path = Path("metrics/eval.json")
    plot: Path = Path("metrics/eval_by_subject.csv")
    items: Path = Path("metrics/eval_items.csv")   # per item: subject, key, each model's letter


def run(params, paths: Paths) -> dict:
    p, task = params.evaluate, params.task
    if task.type != "mcqa":
        raise SystemExit(f"evaluate: task.type={task.type!r} has no evaluation yet (only mcqa). Fix: evaluate "
                         f"open-ended tasks with your own scorer on data/synthetic/{task.name}/ for now")
    from transformers import AutoTokenizer

    items = load_mcqa(p.dataset, p.subjects or None)[: p.limit]
    tokenizer = AutoTokenizer.from_pretrained(paths.base)
    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    predictions, reports = {}, {}
    for name, adapter in {"base": None, **p.models}.items():
        with autocast(device, bf16):
            model = load_model(str(paths.base), adapter, device)
            predictions[name] = predict_letters(model, tokenizer, items, p.batch_size, name)
        reports[name] = accuracy_report(items, predictions[name])
        logging.info("%s: accuracy %.4f %s", name, reports[name]["overall"]["accuracy"], reports[name]["overall"]["ci95"])

    eval_texts = [" ".join([i["question"], *i["choices"]]) for i in items]
    for name, adapter in p.models.items():
        train_texts = [" ".join(m["content"] for m in row["messages"]) for row in read_jsonl(Path(adapter) / TRAINING_DATA)]
        reports[name]["contamination"] = contamination(train_texts, eval_texts)
    metrics = {
        "task": task.name, "dataset": p.dataset, "items": len(items), "bf16": bf16, "models": reports,
        "comparisons": {f"{a}_vs_{b}": compare(items, predictions[a], predictions[b]) for a, b in p.comparisons()},
    }
    write_json(paths.metrics, metrics)
    table = io.StringIO()  # long format for `dvc plots`: one row per model x subject
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["model", "subject", "accuracy", "ci_low", "ci_high", "n"])
    for name, report in reports.items():
        for subject, r in {**report["by_subject"], "overall": report["overall"]}.items():
            writer.writerow([name, subject, r["accuracy"], *r["ci95"], r["n"]])
    atomic_write_text(paths.plot, table.getvalue())
    atomic_write_text(paths.items, item_table(items, predictions))
    return metrics


def item_table(items: list[dict], predictions: dict[str, list[str]]) -> str:
    """One row per evaluation item, so any two runs can be compared item by item (paired):
    `python -m synthcraft.compare_runs <rev> <rev>`. ``item_key`` identifies the question."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["item", "item_key", "subject", "answer", *predictions])
    for index, item in enumerate(items):
        writer.writerow([index, item_key(item), item["subject"], item["answer"],
                         *(p[index] for p in predictions.values())])
    return table.getvalue()


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, evaluate=EvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
