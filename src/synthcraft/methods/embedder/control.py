"""The embedder's positive control: human-written (question, passage) pairs in place of the synthetic
rows, trained with the same recipe, so a null for the method can be told from a harness that
cannot see a gain.

Each row is a SciQ train question (written by crowd workers) with its own support passage as the
positive and, as the miner does for synthetic rows (``embedder_mine.ranks`` / ``max_similarity``), a
hard negative drawn from ranks first..last of the other train passages by the base embedder. The
rows are a seeded shuffle, the first N kept, so a larger N holds every row of a smaller one. A
passage that is also a test or validation passage (SciQRetrieval's documents) is left out. Every
row's task is SciQRetrieval's instruction: human data written for that task, described as a user
would describe it (the synthetic rows carry the teacher's brainstormed tasks).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Optional

import numpy as np

from synthcraft.methods.embedder.mining import MineParams
from synthcraft.methods.embedder.tasks import SCIQ_INSTRUCTION


@dataclass
class EmbedderControlParams:
    """The ``embedder_control:`` section."""
    n: Optional[int] = None     # rows (None: as many as the synthetic train.jsonl)
    pool: Optional[int] = None  # negatives come from the passages of this many questions (None: all usable)
    seed: int = 0               # which questions: a seeded shuffle, nested across n

    def __post_init__(self):
        for name in ("n", "pool"):
            if getattr(self, name) is not None and getattr(self, name) < 2:
                raise ValueError(f"{name}={getattr(self, name)}: give at least 2, or null")


def usable_questions(rows: list[dict], held_out: set[str]) -> tuple[list[dict], Counter]:
    """Rows with a support passage that no evaluation set uses; the rest counted by reason."""
    dropped = Counter()
    usable = []
    for row in rows:
        passage = row["support"].strip()
        if not passage:
            dropped["no_support"] += 1
        elif passage in held_out:
            dropped["passage_in_evaluation"] += 1
        else:
            usable.append(row)
    return usable, dropped


def human_pairs(rows: list[dict], n: int, encode, mine: MineParams, p: EmbedderControlParams,
                source: str) -> tuple[list[dict], dict]:
    """``n`` rows {id, query, positive, negative} from ``rows`` (already filtered by
    ``usable_questions``); ``encode`` maps texts to L2-normalised vectors. Returns (rows, stats)."""
    if n > len(rows):
        raise ValueError(f"N={n} pairs wanted but {source} holds {len(rows)} usable questions. Fix: lower "
                         f"embedder_control.n, or ship a larger train slice")
    order = list(range(len(rows)))
    random.Random(p.seed).shuffle(order)
    chosen = [rows[i] for i in order[:n]]
    pooled = order[: max(n, p.pool)] if p.pool else order    # the first questions of the same shuffle
    passages = sorted({rows[i]["support"].strip() for i in pooled})
    index = {text: i for i, text in enumerate(passages)}
    pool = encode(passages)
    queries = encode([r["question"] for r in chosen])
    first, last = mine.ranks
    stats = Counter(guard_hits=0, no_negative=0)
    out = []
    for row, query in zip(chosen, queries):
        own = index[row["support"].strip()]
        similarity_to_positive = pool @ pool[own]
        window, rank = [], 0
        for candidate in np.argsort(-(pool @ query), kind="stable"):
            if candidate == own:
                continue
            if similarity_to_positive[candidate] >= mine.max_similarity:
                stats["guard_hits"] += 1
                continue
            rank += 1
            if first <= rank <= last:
                window.append(passages[candidate])
            if rank >= last:
                break
        if not window:
            stats["no_negative"] += 1
            continue
        negative = random.Random(f"{mine.seed}:{row['id']}").choice(window)
        out.append({"id": row["id"], "task": SCIQ_INSTRUCTION, "query": row["question"],
                    "positive": row["support"].strip(), "negative": negative, "source": "human"})
    return out, {"rows": len(out), **stats}
