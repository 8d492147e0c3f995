"""study_fewshots: the study's K few-shots, and the few-shot arm's training rows.

    dvc repro pipelines/study/dvc.yaml:study_fewshots
    dvc exp run -S study.fewshots=10 pipelines/study/dvc.yaml

Draws study.fewshots SciQ items with a support passage from study.fewshot_path (SciQ's validation
slice: disjoint from the human arm's train items and from the test items scored), seeded. Writes
the few-shot file every generative arm prompts with (data/study/fewshots/<task>.jsonl, the format
of data/fewshots/), the same items as training rows in the task's supervision form (the few-shot
arm trains on them alone) and the metrics.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.fewshots import load_fewshots, training_examples
from synthcraft.files import write_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import FEWSHOT, StudyParams, study_task
from synthcraft.study.fewshots import sciq_fewshots
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    out: Path = Path("data/study/fewshots")
    train: Path = Path("data/study/train")
    metrics: Path = Path("metrics/study/fewshots.json")


def run(params, paths: Paths) -> dict:
    s = params.study
    task = study_task(s, params.task)
    try:
        shots, skipped = sciq_fewshots(s.fewshot_path, s.fewshots, s.seed)
    except ValueError as err:
        raise SystemExit(f"study_fewshots: {err}") from None
    out = paths.out / f"{task.name}.jsonl"
    write_jsonl(out, shots)
    shots = load_fewshots(out, task.task_type)   # the checks every few-shot file passes
    rows = [{"id": shot["id"], **example}
            for shot, example in zip(shots, training_examples(shots, task.task_type, task.supervision))]
    write_jsonl(paths.train / f"{FEWSHOT}.jsonl", rows)
    metrics = {"source": s.fewshot_path, "fewshots": len(shots), "ids": [shot["id"] for shot in shots],
               "left_out": skipped, "seed": s.seed, "supervision": task.supervision}
    write_metrics(paths.metrics, metrics)
    logging.info("study_fewshots: %d few-shots from %s", len(shots), s.fewshot_path)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
