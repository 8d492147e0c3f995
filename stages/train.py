"""train: LoRA fine-tune of the base model on the synthetic data (or on the few-shots alone).

    dvc repro train                      # synthcraft-tuned adapter
    dvc repro train_fewshot              # CRAFT's few-shot-only baseline (XS)
    python stages/train.py --data data/synthetic/bioqa/train.jsonl --out models/adapters/bioqa

Writes the adapter (loadable by peft's PeftModel.from_pretrained and by vLLM's LoRA support; its
config names the base model portably), metrics/train[_fewshot].json and the loss curve CSV.
"""
import argparse
import json
import logging
from pathlib import Path

from synthcraft.fewshots import load_fewshots
from synthcraft.params import TaskParams, load_section
from synthcraft.reports import setup_logging, write_json
from synthcraft.tasks import get_task_type
from synthcraft.training import LoraConfigParams, train_lora


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="models/base")
    parser.add_argument("--data", help="chat JSONL (messages); default: the task's synthetic train.jsonl")
    parser.add_argument("--fewshots", help="train on this few-shot file instead (the XS baseline)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--loss-csv", required=True)
    parser.add_argument("--effective-batch", type=int, help="override train.effective_batch (CRAFT: 2 for few-shots only)")
    args = parser.parse_args()
    setup_logging()
    params = load_section("train", LoraConfigParams)
    if args.effective_batch:
        params.effective_batch = args.effective_batch
        params.micro_batch = min(params.micro_batch, args.effective_batch)
    task = load_section("task", TaskParams)
    task_type = get_task_type(task.type)

    if args.fewshots:
        shots = load_fewshots(args.fewshots, task_type)
        conversations = [task_type.messages({k: s[k] for k in task_type.keys}) for s in shots]
    else:
        path = Path(args.data or f"data/synthetic/{task.name}/train.jsonl")
        conversations = [json.loads(line)["messages"] for line in path.read_text(encoding="utf-8").splitlines()]
    stats = train_lora(args.base, conversations, args.out, params, base_name=args.base, loss_csv=args.loss_csv)
    write_json(args.metrics, stats)
    logging.info("trained %s on %d examples: loss %.4f -> %.4f in %.0fs", args.out, stats["examples"],
                 stats["first_loss"] or 0, stats["last_loss"] or 0, stats["seconds"])


if __name__ == "__main__":
    main()
