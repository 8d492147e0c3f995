"""What embedsdg_evaluate compares, and how evaluation items are split by the density of D around them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcraft.evaluation.scoring import FORMS
from synthcraft.methods.embedsdg.arms import ARMS
from synthcraft.methods.embedsdg.grid import Grid
from synthcraft.params import choice

# Every arm against the student it was trained on, and EmbedSDG against each baseline and against
# human data of its size (the positive control).
COMPARISONS = [("student", "base")] + [(arm, "student") for arm in ARMS] + [
    ("embedsdg", "random_seeds"), ("embedsdg", "random_pairs"), ("embedsdg", "random_seeds_tokens"),
    ("embedsdg", "human")]


@dataclass
class EmbedsdgEvaluateParams:
    """The ``embedsdg_evaluate:`` section."""
    primary: str = "cloze_norm"       # letter | cloze | cloze_norm: the form the split and the correlation use
    bootstrap_resamples: int = 10000
    batch_size: int = 16
    bf16: str = "auto"
    device: str = "auto"

    def __post_init__(self):
        choice(self.primary, FORMS, "embedsdg_evaluate.primary")


def density_split(points: np.ndarray, grid_spec: dict) -> list[str]:
    """"sparse" for items in a cell with fewer than T of D's points (empty cells and points outside
    D's box included: no training point is near them), "dense" for the rest."""
    grid = Grid.from_spec(grid_spec)
    counts = np.array(grid_spec["counts"])
    return ["sparse" if c[0] < 0 or counts[tuple(c)] < grid_spec["threshold"] else "dense" for c in grid.cells(points)]


def item_columns(scored: dict, form: str) -> tuple[list[str], list[list]]:
    """(header, one row per item): each model's correctness (0/1) and log-probability of the correct
    option in ``form``, as ``<model>_correct`` and ``<model>_logprob``, the columns
    embedsdg_correlation reads."""
    header = [f"{model}_{column}" for model in scored for column in ("correct", "logprob")]
    columns = [(s.correct(form), s.correct_logprob(form)) for s in scored.values()]
    rows = [[v for correct, logprob in columns for v in (int(correct[i]), round(float(logprob[i]), 5))]
            for i in range(len(columns[0][0]))]
    return header, rows
