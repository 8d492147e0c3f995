"""EmbGen's repeated training seeds: the across-seed summary embgen_evaluate writes per closed-book
group, built from per-item scores whose accuracies are known."""
import numpy as np
import pytest

from synthcraft.evaluation.scoring import OptionScores
from synthcraft.evaluation.summaries import Scored
from synthcraft.methods.embgen.evaluation import MODELS, across_seeds

ITEMS = [{"question": f"q{i}", "choices": ["a", "b"], "answer": "A", "source": "seen" if i < 4 else "heldout"}
         for i in range(8)]
GROUPS = {"seen": np.array([i < 4 for i in range(8)]), "heldout": np.array([i >= 4 for i in range(8)])}


def scored(right: list[int]) -> Scored:
    """A model that answers the items at ``right`` correctly (option A) and the rest wrongly."""
    return Scored(ITEMS, [OptionScores(None, [0.0, -1.0] if i in right else [-1.0, 0.0], [1, 1])
                          for i in range(len(ITEMS))])


def test_seed_summary_per_group_against_no_aug_and_one_doc():
    runs = {"no_aug": scored([0, 4]),
            "embgen": scored([0, 1, 4]), "embgen@seed1": scored([0, 1, 2, 4]), "embgen@seed2": scored([0, 1, 4, 5]),
            "one_doc": scored([0, 4]), "one_doc@seed1": scored([0, 1, 4]), "one_doc@seed2": scored([0, 4, 5])}
    summary = across_seeds(runs, GROUPS, "cloze")
    assert set(summary) == {"embgen", "one_doc"}    # the control has no repeated seeds here
    seen = summary["embgen"]["seen"]
    assert seen["values"] == [0.5, 0.75, 0.5]
    assert seen["vs_no_aug"]["difference_mean"] == pytest.approx(1 / 3, abs=1e-6)   # no_aug: 0.25 on seen
    assert seen["vs_no_aug"]["test"].startswith("one-sample")
    assert seen["vs_one_doc"]["test"] == "paired t over seeds"
    assert seen["vs_one_doc"]["difference_mean"] == pytest.approx(0.25)
    assert summary["embgen"]["heldout"]["values"] == [0.25, 0.25, 0.5]
    assert summary["embgen"]["all"]["values"] == [0.375, 0.5, 0.5]
    assert "vs_one_doc" not in summary["one_doc"]["seen"]


def test_no_repeated_seeds_gives_no_summary():
    assert across_seeds({name: scored([0]) for name in MODELS}, GROUPS, "cloze") == {}
