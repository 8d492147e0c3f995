"""study_human: the human arm (the positive control): N human-written SciQ train items in the
same supervision form as every other arm.

    dvc repro pipelines/study/dvc.yaml:study_human
    dvc exp run -S study.human_n=500 pipelines/study/dvc.yaml     # how much human data the study needs

N is study.human_n, or (null) as many rows as the craft arm kept, so the control and the method
it checks train on sets of one size. The items are synthcraft.control's seeded, nested shuffle of
study.human_path. Writes <train>/human.jsonl and the metrics (with the answer letters' counts).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.control import ControlParams, answer_letters, human_samples, training_rows
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import HUMAN, StudyParams, study_task
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    size_of: Path = Path("data/study/train/craft.jsonl")
    train: Path = Path("data/study/train")
    metrics: Path = Path("metrics/study/human.json")


def run(params, paths: Paths) -> dict:
    s = params.study
    task = study_task(s, params.task)
    n = s.human_n or sum(1 for _ in read_jsonl(paths.size_of))
    if n == 0:
        raise SystemExit(f"study_human: {paths.size_of} has no rows, so the human arm would be empty. Fix: see "
                         f"metrics/study/generate/craft.json's funnel, or set study.human_n")
    try:
        samples = human_samples(ControlParams(path=s.human_path, seed=s.seed), n, task)
    except ValueError as err:
        raise SystemExit(f"study_human: {err}") from None
    write_jsonl(paths.train / f"{HUMAN}.jsonl", training_rows(samples, task))
    metrics = {"source": s.human_path, "n": n, "n_from": "study.human_n" if s.human_n else str(paths.size_of),
               "seed": s.seed, "supervision": task.supervision,
               "answer_letters": answer_letters(samples)}
    write_metrics(paths.metrics, metrics)
    logging.info("study_human: %d items from %s", n, s.human_path)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
