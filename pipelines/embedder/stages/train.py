"""embedder_train: contrastive training of the sentence embedder on the mined rows.

    dvc repro pipelines/embedder/dvc.yaml:embedder_train
    dvc exp run -S embedder_train.loss=cached_mnrl -S embedder_train.batch_size=256 pipelines/embedder/dvc.yaml
    dvc exp run -S embedder_train.method=lora pipelines/embedder/dvc.yaml
    python pipelines/embedder/stages/train.py --data data/embedder/train.jsonl --out models/embedder
    python pipelines/embedder/stages/train.py --instruction on --out models/embedder-instructed  # the ablation
    dvc exp run -S 'embedder_repeats.seeds=[1,2,3,4]' pipelines/embedder/dvc.yaml   # more seeds of the main comparison

Each query is trained bare unless ``embedder_train.instruction`` is true (the recipe's task
instruction before it); ``--instruction on|off`` overrides it for one run (the embedder_ablation
stages train the same data behind the recipe's instructions, and the data without the consistency
filter, beside the default). With ``--repeats on`` (the synthetic-trained model and the human
control) the same rows train again with each seed of ``embedder_repeats.seeds``, into
``<out>/seeds/seed-<n>/`` (sentence-transformers loads ``<out>`` itself as before); embedder_evaluate
scores every run and reports the spread across seeds.
Writes models/embedder/ (a sentence-transformers folder: `dvc exp run -S embed.model=models/embedder`
re-embeds the corpus with it), metrics with the loss curve, and the loss CSV for `dvc plots`.
"""
import csv
import dataclasses
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from synthcraft.methods.embedder.training import EmbedderTrainParams, train_embedder
from synthcraft.files import read_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.training import SEEDS_DIR, repeat_dir


@dataclass
class RepeatParams:
    """The ``embedder_repeats:`` section: more training seeds for the main comparison's two models.
    A section of its own, not a key of embedder_train: that section is the recipe every ablation and
    influence cell trains with, and a key there would mark them all stale, though none repeats."""
    seeds: list[int] = field(default_factory=list)


@dataclass
class Paths:
    data: Path = Path("data/embedder/train.jsonl")
    out: Path = Path("models/embedder")
    work: Path = Path("cache/embedder_train")
    metrics: Path = Path("metrics/embedder/train.json")
    loss_csv: Path = Path("metrics/embedder/loss.csv")
    instruction: Optional[Path] = None    # on | off: overrides embedder_train.instruction for this run
    repeats: Optional[Path] = None        # on: train again with each seed of embedder_repeats.seeds


def switch(flag: Optional[Path], name: str) -> Optional[bool]:
    if flag is None:
        return None
    if str(flag) not in ("on", "off"):
        raise SystemExit(f"--{name} {flag}: give on or off")
    return str(flag) == "on"


def repeat_seeds(params, paths: Paths) -> list[int]:
    if not switch(paths.repeats, "repeats"):
        return []
    seeds = params.embedder_repeats.seeds
    if params.embedder_train.seed in seeds or len(set(seeds)) != len(seeds):
        raise SystemExit(f"params.yaml: embedder_repeats.seeds {seeds} must be distinct and differ from "
                         f"embedder_train.seed {params.embedder_train.seed}. Fix: list other seeds")
    return seeds


def run(params, paths: Paths) -> dict:
    rows = read_jsonl(paths.data)
    recipe = params.embedder_train
    instruction = switch(paths.instruction, "instruction")
    if instruction is not None:
        recipe = dataclasses.replace(recipe, instruction=instruction)
    seeds = repeat_seeds(params, paths)
    # A folder of seeds left by an earlier run with other seeds would be scored as this run's.
    shutil.rmtree(paths.out / SEEDS_DIR, ignore_errors=True)
    stats = train_embedder(rows, recipe, paths.out, paths.work, source=str(paths.data))
    if seeds:
        stats["repeat_seeds"] = {}
        for seed in seeds:
            run_stats = train_embedder(rows, dataclasses.replace(recipe, seed=seed), repeat_dir(paths.out, seed),
                                       paths.work / f"seed-{seed}", source=str(paths.data))
            stats["repeat_seeds"][str(seed)] = {k: run_stats[k] for k in ("steps", "seconds", "loss_first", "loss_last")}
            logging.info("seed %d: loss %s -> %s in %ss", seed, run_stats["loss_first"], run_stats["loss_last"],
                         run_stats["seconds"])
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
    run(load_params(embedder_train=EmbedderTrainParams, embedder_repeats=RepeatParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
