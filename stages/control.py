"""control: the positive control's training set: N human-written items of the task, in the same
chat format and supervision form as the synthetic data, so the same recipe trains on them.

    dvc repro train_control                       # N = the synthetic set's size (the default run's)
    dvc exp run -S control.n=500                  # a larger control: how much human data the harness needs
    python stages/control.py --size-of data/synthetic/bioqa/train.jsonl --out data/control/bioqa

Reads ``control.path`` (default: the SciQ train slice shipped in data/eval/sciq/); see
synthcraft/control.py for which items. Writes ``<out>/train.jsonl`` (id and the training example in
task.supervision's form: what train loads) and the metrics.
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from synthcraft.control import ControlParams, answer_letters, human_samples, training_rows
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    out: Path
    metrics: Path = Path("metrics/control.json")
    size_of: Optional[Path] = None   # the synthetic train.jsonl whose size N matches (control.n: null)


def run(params, paths: Paths) -> dict:
    p, task = params.control, params.task
    started = time.perf_counter()
    if p.n is None and paths.size_of is None:
        raise SystemExit("control: control.n is null and no --size-of file names the set whose size to match")
    n = p.n if p.n is not None else sum(1 for _ in read_jsonl(paths.size_of))
    try:
        samples = human_samples(p, n, task)
    except ValueError as err:
        raise SystemExit(f"control: {err}") from None
    paths.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(paths.out / "train.jsonl", training_rows(samples, task))
    metrics = {"source": p.path, "n": n, "n_from": "control.n" if p.n is not None else str(paths.size_of),
               "seed": p.seed, "task_type": task.type, "supervision": task.supervision}
    if task.type == "mcqa":
        metrics["answer_letters"] = answer_letters(samples)
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    write_metrics(paths.metrics, metrics)
    logging.info("control: %d items from %s (%s supervision)", n, p.path, task.supervision)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, control=ControlParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
