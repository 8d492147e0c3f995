"""The random control: documents drawn uniformly from the whole store, as many as CRAFT retrieves,
then rewritten with CRAFT's own template, filtered and trained the same way.

It answers "does choosing documents near the few-shots matter?": any method's gain over base
must be measured against what the same budget of arbitrary corpus text gives.
"""
from __future__ import annotations

import numpy as np

from synthcraft.store import EmbeddingStore
from synthcraft.topk import Hit, normalize


def draw(store: EmbeddingStore, shot_vectors: np.ndarray, k: int, seed: int) -> list[Hit]:
    """``k`` distinct rows uniformly at random (seeded). Each hit's score is its best cosine to a
    few-shot, so the retrieve metrics show how far from the task the control's material lies."""
    rows = np.random.default_rng(seed).choice(len(store), size=min(k, len(store)), replace=False)
    scores = store.take(rows) @ normalize(shot_vectors.astype(np.float32)).T
    return [Hit(int(row), float(best), "random", rank) for rank, (row, best) in enumerate(zip(rows, scores.max(axis=1)), 1)]
