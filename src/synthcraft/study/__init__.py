"""The head-to-head study (pipelines/study/dvc.yaml): which method's data helps one task, at one
budget of teacher tokens, scored one way.

    fewshots.py  the few-shots: SciQ items with their support passage
    streams.py   each generative arm's documents and stream of teacher requests
    analysis.py  per-item scores to differences between arms, across seeds, and the gap recovered

The task is science multiple choice: SciQ's test items in-domain, MMLU biology out of domain, and
subjects the data should not move (astronomy, geography) as a no-effect check (the ``evaluate:``
sets). Every arm trains the same student with the same recipe and supervision form, over the same
training seeds; only the training rows differ.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from synthcraft.tasks import TaskParams
from synthcraft.tasks.mcqa import TASK as MCQA

BASE = "base"            # no training: the base model as it is
FEWSHOT = "fewshot"      # the K few-shots alone
HUMAN = "human"          # human-written SciQ train items: the positive control
RANDOM = "random"        # uniform corpus documents through CRAFT's template: what any method must beat
CRAFT = "craft"          # documents retrieved near the few-shots, CRAFT's template and filters
EMBGEN = "embgen"        # EmbGen: entity-description pairs of the domain's documents, reassembled by
                         # their embedding structure (samplers, cluster system prompts), the same filters
EMBEDSDG = "embedsdg"    # EmbedSDG: pairs of domain documents from sparse regions of the student's
                         # embedding space, their decoded interpolation as a draft, the same filters
REWRITING = (RANDOM, CRAFT)               # arms that rewrite one corpus document per request
GENERATIVE = (*REWRITING, EMBGEN, EMBEDSDG)   # arms whose rows the teacher writes, under one token budget
TRAINED = (FEWSHOT, HUMAN, *GENERATIVE)       # arms with a training set (each trained over the seeds)
ARMS = (BASE, *TRAINED)


@dataclass
class StudyParams:
    """The ``study:`` section (the teacher and its sampling are the ``generate:`` section's)."""
    task: str = "sciq"                 # the few-shot file's name: data/study/fewshots/<task>.jsonl
    fewshot_path: str = "data/eval/sciq/validation.jsonl"   # few-shots drawn from here (SciQ items with a passage)
    fewshots: int = 5                  # K: how many
    human_path: str = "data/eval/sciq/train.jsonl"          # the human arm's items (disjoint from both)
    human_n: Optional[int] = None      # items in the human arm (null: as many rows as the craft arm kept)
    documents: int = 400               # corpus documents in each generative arm's stream (retrieved or drawn)
    budget_tokens: int = 8000          # teacher output tokens per generative arm
    max_requests: int = 400            # a stream that never spends the budget stops here (counted)
    seed: int = 0                      # few-shot draw, stream order, human items
    embgen_source: str = CRAFT         # EmbGen's documents: the craft arm's (the domain) or the random arm's
    embgen_documents: int = 100        # the first N of that arm's stream, whose pairs the teacher extracts
    embedsdg_source: str = CRAFT       # EmbedSDG's documents (its D): the craft arm's or the random arm's
    embedsdg_documents: int = 400      # the first N of that arm's stream, embedded by the student

    def __post_init__(self):
        for key in ("embgen_source", "embedsdg_source"):
            if getattr(self, key) not in REWRITING:
                raise ValueError(f"{key}={getattr(self, key)!r}: one of {REWRITING}")
        for key in ("fewshots", "documents", "budget_tokens", "max_requests", "embgen_documents", "embedsdg_documents"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key}={getattr(self, key)}: give a positive number")
        if self.human_n is not None and self.human_n < 1:
            raise ValueError(f"human_n={self.human_n}: give a positive number of items, or null for the craft arm's size")


def study_task(study: StudyParams, task: TaskParams) -> TaskParams:
    """The study's task: multiple choice named ``study.task``, trained in the ``task:`` section's
    supervision form when that section is multiple choice too (else mcqa's default, cloze)."""
    return TaskParams(name=study.task, type=MCQA.name, supervision=task.supervision_for(MCQA))
