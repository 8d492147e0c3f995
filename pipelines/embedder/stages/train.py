"""embedder_train: contrastive training of the sentence embedder on the mined rows.

    dvc repro pipelines/embedder/dvc.yaml:embedder_train
    dvc exp run -S embedder_train.loss=cached_mnrl -S embedder_train.batch_size=256 pipelines/embedder/dvc.yaml
    dvc exp run -S embedder_train.method=lora pipelines/embedder/dvc.yaml
    python pipelines/embedder/stages/train.py --data data/embedder/train.jsonl --out models/embedder
    python pipelines/embedder/stages/train.py --instruction on --out models/embedder-instructed  # the ablation

Each query is trained bare unless ``embedder_train.instruction`` is true (the recipe's task
instruction before it); ``--instruction on|off`` overrides it for one run (the embedder_ablation
stages train the same data behind the recipe's instructions, and the data without the consistency
filter, beside the default).
Writes models/embedder/ (a sentence-transformers folder: `dvc exp run -S embed.model=models/embedder`
re-embeds the corpus with it), metrics with the loss curve, and the loss CSV for `dvc plots`.
"""
import csv
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from synthcraft.methods.embedder.training import EmbedderTrainParams, train_embedder
from synthcraft.files import read_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    data: Path = Path("data/embedder/train.jsonl")
    out: Path = Path("models/embedder")
    work: Path = Path("cache/embedder_train")
    metrics: Path = Path("metrics/embedder/train.json")
    loss_csv: Path = Path("metrics/embedder/loss.csv")
    instruction: Optional[Path] = None    # on | off: overrides embedder_train.instruction for this run


def run(params, paths: Paths) -> dict:
    rows = read_jsonl(paths.data)
    recipe = params.embedder_train
    if paths.instruction is not None:
        flag = str(paths.instruction)
        if flag not in ("on", "off"):
            raise SystemExit(f"--instruction {flag}: give on or off")
        recipe = dataclasses.replace(recipe, instruction=flag == "on")
    stats = train_embedder(rows, recipe, paths.out, paths.work, source=str(paths.data))
    paths.loss_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(paths.loss_csv, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["step", "loss"])
        writer.writeheader()
        writer.writerows(stats["loss_curve"])
    write_metrics(paths.metrics, {k: v for k, v in stats.items() if k != "loss_curve"})
    logging.info("trained %s on %d rows, %d steps: loss %s -> %s in %ss", paths.out, stats["rows"], stats["steps"],
                 stats["loss_first"], stats["loss_last"], stats["seconds"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embedder_train=EmbedderTrainParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
