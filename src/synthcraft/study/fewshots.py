"""The study's few-shots: SciQ items whose support passage stands in for a corpus text."""
from __future__ import annotations

import random
from pathlib import Path

from synthcraft.files import read_jsonl
from synthcraft.tasks.mcqa import LETTERS

# A few-shot's passage is shown with every request: a long one costs prompt tokens on each of them,
# a short one shows the teacher too little of what a passage looks like.
FEWSHOT_CHARS = (150, 1200)


def sciq_fewshots(path: str | Path, k: int, seed: int) -> tuple[list[dict], dict[str, int]]:
    """``k`` few-shots (id, text = the item's support passage, question, options, answer) drawn with
    ``seed`` from a SciQ-layout JSONL, and the rows left out per reason."""
    usable, skipped = [], {"no_passage": 0, "passage_length": 0, "not_four_options": 0}
    for line, row in enumerate(read_jsonl(path)):
        support = (row.get("support") or "").strip()
        if not support:
            skipped["no_passage"] += 1
        elif not FEWSHOT_CHARS[0] <= len(support) <= FEWSHOT_CHARS[1]:
            skipped["passage_length"] += 1
        elif len(row["choices"]) != len(LETTERS) or row["answer"] not in LETTERS:
            skipped["not_four_options"] += 1
        else:
            usable.append({"id": row.get("id") or f"{Path(path).stem}-{line:05d}", "text": support,
                           "question": row["question"], "options": row["choices"], "answer": row["answer"]})
    if k > len(usable):
        raise ValueError(f"{path}: {len(usable)} usable items ({skipped} left out), {k} few-shots wanted. "
                         f"Fix: lower study.fewshots")
    picks = sorted(random.Random(seed).sample(range(len(usable)), k))
    return [usable[i] for i in picks], skipped
