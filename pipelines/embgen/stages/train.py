"""eg_train: one LoRA adapter per arm on the student (the default pipeline's models/base).

    dvc repro pipelines/embgen/dvc.yaml                       # every arm (a DVC foreach)
    python pipelines/embgen/stages/train.py --arm embgen --out models/embgen/embgen

The shared trainer (synthcraft.training) with the eg_train recipe; the no-augmentation arm is the
student itself and needs no training.
"""
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import write_json
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths
from synthcraft.methods.embgen.training import EgTrainParams
from synthcraft.training import load_conversations, train_lora


@dataclass
class Paths:
    arm: Path
    out: Path
    base: Path = Path("models/base")
    data: Path = Path("data/embgen/train")
    metrics: Path = Path("metrics/embgen/train")


def run(params, paths: Paths) -> dict:
    arm = str(paths.arm)
    conversations = load_conversations(paths.data / f"{arm}.jsonl")
    shutil.rmtree(paths.out, ignore_errors=True)
    stats = train_lora(paths.base, conversations, paths.out, params.eg_train, base_name="models/base",
                       loss_csv=paths.metrics / f"{arm}_loss.csv")
    write_json(paths.metrics / f"{arm}.json", {"arm": arm, **stats})
    logging.info("%s: %s", arm, stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(eg_train=EgTrainParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
