"""Cross-check: the same items scored by lm-evaluation-harness, the field's standard scorer.

    pip install -e '.[crosscheck]'          # lm-eval (an optional extra)
    python -m synthcraft.evaluation.harness --model models/base --set mmlu_bio
    python -m synthcraft.evaluation.harness --model models/base --adapter models/adapters/bioqa --limit 200

Two local lm-eval task definitions are written for the chosen evaluation set: the letter form
(the chat-template prompt, continuations "A".."D") run with ``apply_chat_template``, and the cloze
form ("Question: ...\\nAnswer:", continuations " <option>", ``acc`` and ``acc_norm``) run on plain
text. The same model object is scored by both harnesses in float32; the report gives each
accuracy, the difference in points and the number of items whose predicted option differs.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import yaml

from synthcraft.evaluation.items import LETTERS, item_key
from synthcraft.evaluation.scoring import cloze_prompt, letter_user_turn, score_items
from synthcraft.evaluation.summaries import Scored

TASKS = {"letter": "synthcraft_letter", "cloze": "synthcraft_cloze"}


def write_tasks(items: list[dict], folder: Path) -> None:
    """The items as JSONL, and one lm-eval task YAML per form reading them."""
    # lm-eval renders the chat template itself: it gets the letter form's user turn as text
    rows = [{"id": item_key(item), "gold": LETTERS.index(item["answer"]), "letters": list(LETTERS[:len(item["choices"])]),
             "letter_user": letter_user_turn(item), "cloze_context": cloze_prompt(item),
             "choices": [choice.strip() for choice in item["choices"]]} for item in items]
    data = folder / "items.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    common = {"dataset_path": "json", "dataset_kwargs": {"data_files": {"test": str(data)}},
              "test_split": "test", "output_type": "multiple_choice", "doc_to_target": "gold"}
    letter = {**common, "task": TASKS["letter"], "doc_to_text": "letter_user", "doc_to_choice": "letters",
              "metric_list": [{"metric": "acc"}]}
    cloze = {**common, "task": TASKS["cloze"], "doc_to_text": "cloze_context", "doc_to_choice": "choices",
             "target_delimiter": " ", "metric_list": [{"metric": "acc"}, {"metric": "acc_norm"}]}
    for config in (letter, cloze):
        (folder / f"{config['task']}.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def run_lm_eval(model, tokenizer, items: list[dict], batch_size: int = 16) -> dict[str, list[int]]:
    """lm-eval's predicted option index per item, per form (letter, cloze, cloze_norm)."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")  # the items are a local file: never ask the hub
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size)
    predictions: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        write_tasks(items, Path(folder))
        manager = TaskManager(include_path=folder)
        for form, chat in (("letter", True), ("cloze", False)):
            result = simple_evaluate(model=lm, tasks=[TASKS[form]], task_manager=manager, apply_chat_template=chat,
                                     log_samples=True)
            samples = sorted(result["samples"][TASKS[form]], key=lambda s: s["doc_id"])
            # one list per item: items may have different option counts
            loglikelihoods = [np.array([float(r[0]) for r in s["filtered_resps"]]) for s in samples]
            predictions[form] = [int(ll.argmax()) for ll in loglikelihoods]
            if form == "cloze":
                lengths = [np.array([len(c) for c in s["doc"]["choices"]], dtype=float) for s in samples]
                predictions["cloze_norm"] = [int((ll / n).argmax()) for ll, n in zip(loglikelihoods, lengths)]
    return predictions


def agreement(model, tokenizer, items: list[dict], batch_size: int = 16) -> dict:
    """Accuracy per form by synthcraft's scorer and by lm-eval, their difference in points and the
    items on which the two pick different options."""
    ours = Scored(items, score_items(model, tokenizer, items, batch_size, "synthcraft"))
    theirs = run_lm_eval(model, tokenizer, items, batch_size)
    answers = ours.answers()
    report = {"items": len(items)}
    for form, picks in theirs.items():
        our_picks = np.array([LETTERS.index(p) for p in ours.predictions(form)])
        lm_eval_accuracy = float((np.array(picks) == answers).mean())
        synthcraft_accuracy = float(ours.correct(form).mean())
        report[form] = {"synthcraft": round(synthcraft_accuracy, 4), "lm_eval": round(lm_eval_accuracy, 4),
                        "difference_points": round(100 * (synthcraft_accuracy - lm_eval_accuracy), 2),
                        "items_picked_differently": int((our_picks != np.array(picks)).sum())}
    return report


def main(argv: list[str] | None = None) -> int:
    from transformers import AutoTokenizer

    from synthcraft.evaluation import EvaluateParams, load_model
    from synthcraft.params import load_section
    from synthcraft.runtime import setup_logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/base", help="the base model folder")
    parser.add_argument("--adapter", help="a LoRA adapter folder to merge in")
    parser.add_argument("--set", help="a key of evaluate.sets in params.yaml (default: the first)")
    parser.add_argument("--limit", type=int, help="the first N items only")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    setup_logging()
    params = load_section("evaluate", EvaluateParams)
    name = args.set or next(iter(params.sets))
    if params.sets[name].kind != "mcqa":
        raise SystemExit(f"evaluate.sets.{name} is kind {params.sets[name].kind!r}: the cross-check scores "
                         f"multiple-choice sets only. Fix: pick one with --set")
    items = params.sets[name].load()[: args.limit]
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = load_model(args.model, args.adapter, "cpu")  # float32, no autocast: the two scorers see equal numbers
    report = {"set": name, "model": args.model, "adapter": args.adapter, **agreement(model, tokenizer, items,
                                                                                      args.batch_size)}
    logging.info("agreement: %s", report)
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
