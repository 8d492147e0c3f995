"""CRAFT's retrieval (section 3.4, B.4): corpus documents nearest the few-shots, by strategy.

individual: each few-shot's own nearest documents, taken round-robin so each gets its share.
mean:       the documents nearest the mean of the few-shot embeddings.
mixed:      half individual, half mean, without repeats (CRAFT's choice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from synthcraft.params import choice
from synthcraft.store import EmbeddingStore
from synthcraft.tasks.base import TaskType
from synthcraft.sharding import topk
from synthcraft.topk import Hit, mean_pairwise_cosine, normalize

STRATEGIES = ("individual", "mean", "mixed")
METHODS = ("craft", "random")   # random: the uniform control (methods/random), same count and template


@dataclass
class RetrieveParams:
    """The ``retrieve:`` section."""
    method: str = "craft"         # craft: near the few-shots | random: uniform draw, the control
    model: Optional[str] = None   # None: the store's own model (anything else is refused)
    strategy: str = "mixed"
    k: int = 100                  # documents in total: about twice the samples wanted (CRAFT S = 240)
    oversample: float = 0.2       # each query list is fetched k * (1 + oversample) deep
    chunk_rows: int = 65536       # rows scored at a time: memory is one chunk plus k per query
    seed: int = 0                 # random: which documents are drawn

    def __post_init__(self):
        choice(self.method, METHODS, "method")
        choice(self.strategy, STRATEGIES, "strategy")
        if self.k < 1 or self.oversample < 0:
            raise ValueError("need k >= 1 and oversample >= 0")


def embedding_text(shot: dict, task: TaskType) -> str:
    """What is embedded for a few-shot: the whole example, as in CRAFT (domain and task both count)."""
    prompt, answer = task.prompt_and_answer(shot)
    return f"{shot['text']}\n\n{prompt} {answer}"


def plan_queries(strategy: str, k: int, oversample: float) -> tuple[int, int, int]:
    """(documents wanted from the per-few-shot lists, from the mean list, list depth to fetch).

    Lists overlap (several few-shots pull the same documents, the mean list repeats them), so
    every list is fetched ``k * (1 + oversample)`` deep: enough to fill ``k`` distinct documents
    whatever the overlap, and cheap, since depth costs little in the streamed scan.
    """
    choice(strategy, STRATEGIES, "retrieve.strategy")
    from_individual = {"individual": k, "mean": 0, "mixed": k // 2}[strategy]
    return from_individual, k - from_individual, max(1, math.ceil(k * (1 + oversample)))


def retrieve(store: EmbeddingStore, shot_ids: list[str], shot_vectors: np.ndarray, *, strategy: str,
             k: int, oversample: float = 0.2, chunk_rows: int = 65536, progress: bool = True) -> list[Hit]:
    """CRAFT retrieval: ``k`` distinct documents by the chosen strategy (see README).

    individual: round-robin over the few-shots' own top lists, so each few-shot gets its share.
    mean:       top-k to the normalised mean of the few-shot embeddings.
    mixed:      half individual, half mean (CRAFT B.4), without repeats.
    """
    from_individual, from_mean, depth = plan_queries(strategy, k, oversample)
    queries = np.vstack([normalize(shot_vectors), normalize(shot_vectors.mean(axis=0))[None]])
    scores, rows = topk(store, queries, depth, chunk_rows, progress)
    names = list(shot_ids) + ["mean"]

    chosen: dict[int, Hit] = {}
    pointers = [0] * len(names)  # next unread position in each query's list

    def take_next(query: int) -> bool:
        """Take the best not-yet-chosen document from one query's list."""
        while pointers[query] < rows.shape[1]:
            position = pointers[query]
            pointers[query] += 1
            row = int(rows[query, position])
            if row >= 0 and row not in chosen:
                chosen[row] = Hit(row, float(scores[query, position]), names[query], position + 1)
                return True
        return False

    # Individual share: one document per few-shot per round, so every few-shot gets its share.
    while len(chosen) < from_individual:
        if not any([take_next(shot) for shot in range(len(shot_ids)) if len(chosen) < from_individual]):
            break
    while len(chosen) < from_individual + from_mean and take_next(len(shot_ids)):
        pass
    return sorted(chosen.values(), key=lambda hit: -hit.score)


def retrieval_report(store: EmbeddingStore, hits: list[Hit], requested: int, seed: int = 0) -> dict:
    """Score distribution, diversity (against a random sample of the same size), per-query counts."""
    scores = np.array([h.score for h in hits])
    rows = [h.row for h in hits]
    random_rows = np.random.default_rng(seed).choice(len(store), size=min(len(rows), len(store)), replace=False)
    per_query: dict[str, int] = {}
    for hit in hits:
        per_query[hit.query] = per_query.get(hit.query, 0) + 1
    return {
        "requested": requested,
        "retrieved": len(hits),
        "shortfall": requested - len(hits),
        "score": {name: round(float(fn(scores)), 4) for name, fn in
                  [("min", np.min), ("p10", lambda s: np.percentile(s, 10)), ("median", np.median),
                   ("mean", np.mean), ("max", np.max)]} if len(hits) else {},
        "mean_pairwise_cosine": round(mean_pairwise_cosine(store.take(rows)), 4),
        "mean_pairwise_cosine_random_sample": round(mean_pairwise_cosine(store.take(random_rows)), 4),
        "per_query": dict(sorted(per_query.items())),
    }
