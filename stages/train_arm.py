"""train_arm: one LoRA adapter per arm of a method's comparison, on that method's student.

    dvc repro pipelines/embedsdg/dvc.yaml               # embedsdg_train@<arm>: every arm (a DVC foreach)
    dvc repro pipelines/embgen/dvc.yaml                 # embgen_train@<arm>
    dvc exp run -S train.learning_rate=2e-4 pipelines/embgen/dvc.yaml   # reaches every arm of every method
    python stages/train_arm.py --recipe embgen_train --arm embgen --base models/base \
        --data data/embgen/train --out models/embgen/embgen --metrics metrics/embgen/train

The recipe is the ``train:`` section with the ``--recipe`` section's keys on top (the method's
changes only: epochs, batch, length), so an edit to ``train`` reaches every method's arms unless
the method overrides that key in plain sight; dvc.yaml lists both sections. Writes the adapter,
``<metrics>/<arm>.json`` and the loss curve ``<metrics>/<arm>_loss.csv``; with the recipe's
``repeat_seeds``, the same training again per seed inside the adapter (``seeds/seed-<n>/``), which
evaluation scores as ``<arm>@seed<n>``.
"""
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace


from synthcraft.params import load_section
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths, write_metrics
from synthcraft.training import RECIPE_BASE, TrainParams, load_examples, train_with_repeats


@dataclass
class Paths:
    recipe: Path   # the params section holding this method's changes to `train` (a name, not a file)
    arm: Path      # the arm's name: its data is <data>/<arm>.jsonl
    base: Path     # the model the adapter is trained on (the method's student)
    data: Path     # the folder of per-arm training JSONL files (synthcraft.training.load_examples)
    out: Path      # the adapter folder
    metrics: Path  # the folder for <arm>.json and <arm>_loss.csv


def run(params, paths: Paths) -> dict:
    arm = str(paths.arm)
    examples = load_examples(paths.data / f"{arm}.jsonl")
    shutil.rmtree(paths.out, ignore_errors=True)
    stats = train_with_repeats(paths.base, examples, paths.out, params.recipe, base_name=str(paths.base),
                               loss_csv=paths.metrics / f"{arm}_loss.csv")
    write_metrics(paths.metrics / f"{arm}.json", {"arm": arm, **stats})
    logging.info("%s: %s", arm, stats)
    return stats


def main() -> None:
    setup_logging()
    paths = parse_paths(Paths, __doc__)
    run(SimpleNamespace(recipe=load_section(str(paths.recipe), TrainParams, base=RECIPE_BASE)), paths)


if __name__ == "__main__":
    main()
