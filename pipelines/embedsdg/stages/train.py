"""esdg_train: one LoRA adapter per arm, trained on top of the student (paper section 4.2).

    dvc repro pipelines/embedsdg/dvc.yaml              # every arm (a DVC foreach)
    python pipelines/embedsdg/stages/train.py --arm embedsdg --out models/esdg/arms/embedsdg

The shared trainer (synthcraft.training) with the esdg_train recipe; the student (SM, tuned on D)
is the starting point, so each arm answers "does this data improve SM?".
"""
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import write_json
from synthcraft.methods.embedsdg.training import ArmTrainParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths
from synthcraft.training import load_conversations, train_lora


@dataclass
class Paths:
    arm: Path
    out: Path
    student: Path = Path("models/esdg/student")
    arms: Path = Path("data/esdg/arms")
    metrics: Path = Path("metrics/esdg/train")


def run(params, paths: Paths) -> dict:
    arm = str(paths.arm)
    conversations = load_conversations(paths.arms / f"{arm}.jsonl")
    shutil.rmtree(paths.out, ignore_errors=True)
    stats = train_lora(paths.student, conversations, paths.out, params.esdg_train, base_name="models/esdg/student",
                       loss_csv=paths.metrics / f"{arm}_loss.csv")
    write_json(paths.metrics / f"{arm}.json", {"arm": arm, **stats})
    logging.info("%s: %s", arm, stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(esdg_train=ArmTrainParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
