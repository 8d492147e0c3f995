"""Evaluation: which data helps the student, and by how much, on the same items.

    items.py          evaluation sets from any JSONL: multiple choice, or open-ended (prompt, reference)
    scoring.py        option log-probabilities in letter and cloze form, one pass per question
    summaries.py      accuracy, correct-option rank and log-prob, position bias, paired comparisons
    answers.py        the student's greedy answers to open-ended prompts, in its chat format
    lexical.py        ROUGE (rouge-score) and BLEU (sacrebleu) per answer
    judge.py          reference-based LLM judge (four criteria, binary accuracy) through any backend
    openended.py      open-ended answers to a set report: lexical, judge, length, paired comparisons
    seeds.py          repeated training seeds: the runs to score, mean +- sd and t-tests across them
    stats.py          Wilson intervals, exact McNemar, paired bootstrap, minimum detectable difference
    contamination.py  5-gram overlap of training data with the evaluation items (CRAFT 5.3)
    harness.py        the same items through lm-evaluation-harness, as a cross-check of scoring.py
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Optional

import torch

from synthcraft import assets
from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, load_mcqa, load_open
from synthcraft.evaluation.scoring import FORMS
from synthcraft.params import choice
from synthcraft.runtime import pick_device


KINDS = ("mcqa", "open")


@dataclass
class EvalSet:
    """One evaluation set: a JSONL file, optionally narrowed to some subjects, to the first N items
    (``limit``) and to a seeded draw of N of those (``sample``, kept in file order: every subject
    keeps about its share, unlike the first N of a file sorted by subject). ``kind: mcqa`` scores
    each item's options by log-probability; ``kind: open`` has each model write an answer (at most
    ``max_new_tokens``) that is compared with the reference."""
    path: str = assets.MMLU
    subjects: list[str] = field(default_factory=list)   # [] = every item
    limit: Optional[int] = None
    sample: Optional[int] = None
    seed: int = 0
    kind: str = "mcqa"
    max_new_tokens: int = 64

    def __post_init__(self):
        choice(self.kind, KINDS, "kind")
        for key in ("limit", "sample"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                raise ValueError(f"{key}={getattr(self, key)}: give a positive number of items, or null for all")

    def load(self) -> list[dict]:
        return self.load_counting_skips()[0]

    def load_counting_skips(self) -> tuple[list[dict], dict[str, int]]:
        """The items, and how many rows were skipped per reason (open sets drawn from multiple-choice
        files skip questions that need their options)."""
        if self.kind == "open":
            items, skipped = load_open(self.path, self.subjects or None, self.limit)
        else:
            items, skipped = load_mcqa(self.path, self.subjects or None, self.limit), {}
        if self.sample is not None and self.sample < len(items):
            keep = sorted(random.Random(self.seed).sample(range(len(items)), self.sample))
            skipped = {**skipped, "not_sampled": len(items) - len(keep)}
            items = [items[i] for i in keep]
        return items, skipped


@dataclass
class EvaluateParams:
    """The ``evaluate:`` section. ``models`` maps a name to a LoRA adapter folder; each is scored
    beside the base model on every set in ``sets`` and compared, item by item, with base and with
    ``reference``."""
    models: dict[str, str] = field(default_factory=dict)
    reference: Optional[str] = None        # a key of ``models`` (None: compare with base only)
    control: Optional[str] = None          # the positive control (human data), a key of ``models``: every
                                           # other model is compared with it too
    sets: dict[str, EvalSet] = field(default_factory=lambda: {
        "mmlu_bio": EvalSet(assets.MMLU, list(CRAFT_BIO_TOPICS))})
    primary: str = "cloze_norm"            # the form plots and summaries lead with: letter | cloze | cloze_norm
    forms: list[str] = field(default_factory=lambda: list(FORMS))   # the forms scored and reported; without
                                           # letter its forward pass is skipped (a third of the scoring time)
    bootstrap_resamples: int = 10000
    batch_size: int = 16
    bf16: str = "auto"                     # bf16 autocast where supported (2.2x faster here)
    device: str = "auto"
    seed_sets: Optional[list[str]] = None  # the sets a model's repeated training seeds (train.repeat_seeds)
                                           # are scored on; None = every set. Each model's first seed is
                                           # scored on every set either way

    def __post_init__(self):
        if "base" in self.models:
            raise ValueError("'base' is the base model itself; name the adapters otherwise")
        for key in ("reference", "control"):
            if getattr(self, key) is not None and getattr(self, key) not in self.models:
                raise ValueError(f"{key}={getattr(self, key)!r} is not one of models {sorted(self.models)}. "
                                 f"Fix: name one of them, or null")
        if not self.sets:
            raise ValueError("sets is empty. Fix: name at least one evaluation set")
        unknown = sorted(set(self.seed_sets or ()) - set(self.sets))
        if unknown:
            raise ValueError(f"seed_sets names {unknown}, which are not among sets {sorted(self.sets)}. "
                             "Fix: name sets from sets:, or null for every set")
        for form in self.forms:
            choice(form, FORMS, "forms")
        if self.primary not in self.forms:
            raise ValueError(f"primary={self.primary!r} is not one of forms {self.forms}. Fix: add it to forms")
        self.forms = [form for form in FORMS if form in self.forms]   # one order in every report

    def adapters(self, task_name: str) -> dict[str, str]:
        """``models`` with ``{task}`` in a path replaced by the task's name, so the default paths
        follow ``task.name`` (the train stages write models/adapters/<task>[-fewshot])."""
        return {name: path.format(task=task_name) for name, path in self.models.items()}

    def comparisons(self) -> list[tuple[str, str]]:
        """(model, other) pairs: every model against base, against the reference and against the
        positive control; each pair of models once (the reference against the control, not also
        the control against the reference)."""
        pairs = [(name, "base") for name in self.models]
        for other in dict.fromkeys([self.reference, self.control]):
            pairs += [(name, other) for name in self.models
                      if other not in (None, name) and (other, name) not in pairs]
        return pairs


def load_model(base: str, adapter: Optional[str], device: str = "auto"):
    """The base model, with ``adapter`` merged in (merged: scoring runs at base-model speed)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if adapter:
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return model.to(pick_device(device)).eval()
