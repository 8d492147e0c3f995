"""The positive control: human-written items of the task, trained on with the synthetic data's
recipe, so a null for a method can be told from a harness that cannot see a gain.

The items are a seeded shuffle of a multiple-choice file (question, choices, answer), the first N
kept: a larger N holds every item of a smaller one. Each becomes a training example of the task
type: multiple choice as is, open QA as question -> the correct option's text (questions that need
their options are left out, as open evaluation sets leave them out)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from synthcraft.evaluation.items import load_mcqa, load_open
from synthcraft.tasks import TaskParams


@dataclass
class ControlParams:
    """The ``control:`` section."""
    path: str = "data/eval/sciq/train.jsonl"   # human-written multiple-choice items (question, choices, answer)
    n: Optional[int] = None                    # items to train on (None: as many as the synthetic set has)
    seed: int = 0                              # which items: a seeded shuffle, nested across n

    def __post_init__(self):
        if self.n is not None and self.n < 1:
            raise ValueError(f"n={self.n}: give a positive number of items, or null for the synthetic set's size")


def human_samples(params: ControlParams, n: int, task: TaskParams) -> list[dict]:
    """``n`` samples in the task type's schema, each with an ``id`` naming the source's folder, file
    and row among the usable ones ("sciq-train-00042")."""
    if task.type == "mcqa":
        items = [{"question": i["question"], "options": i["choices"], "answer": i["answer"]} for i in load_mcqa(params.path)]
    elif task.type == "openqa":
        items = [{"question": i["prompt"], "answer": i["reference"]} for i in load_open(params.path)[0]]
    else:
        raise ValueError(f"task.type {task.type!r}: the human control is built from multiple-choice items, for "
                         f"mcqa and openqa tasks. Fix: leave out the control and train_control stages")
    if n > len(items):
        raise ValueError(f"N={n} items wanted but {params.path} holds {len(items)} usable ones. Fix: lower control.n, "
                         f"or point control.path at a larger file")
    order = list(range(len(items)))
    random.Random(params.seed).shuffle(order)
    source = Path(params.path)
    return [{"id": f"{source.parent.name}-{source.stem}-{i:05d}", **items[i]} for i in order[:n]]


def training_rows(samples: list[dict], task: TaskParams) -> list[dict]:
    """What train loads: each sample's id and its training example in ``task.supervision``'s form."""
    return [{"id": s["id"], **task.task_type.example(s, task.supervision)} for s in samples]


def answer_letters(samples: list[dict]) -> dict[str, int]:
    """How often each answer letter is the key: a control that teaches one letter shows here."""
    return {letter: sum(s["answer"] == letter for s in samples) for letter in sorted({s["answer"] for s in samples})}
