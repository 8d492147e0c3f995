"""Where the synthetic data sits in the store's embedding space, next to the corpus, the selected
documents, the few-shots and the evaluation items: does it reach the questions the student is
tested on any better than the few-shots alone do?

All texts are embedded by the store's own model; multiple-choice samples, few-shots and
evaluation items in one format (question, lettered options, "Answer:"), so distances compare
content, not layout. The map is a 2-D PCA of all points together: linear, deterministic, and
distances along its axes mean what they mean in the full space (t-SNE or UMAP would not).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CoverageParams:
    """The ``coverage:`` section."""
    corpus_sample: int = 2000   # corpus documents drawn (seeded) for the map's background
    seed: int = 0


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Coordinates on the first two principal axes, and the share of variance each explains.
    Signs are fixed (largest loading positive) so the same data always draws the same map."""
    centred = vectors - vectors.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    axes = axes[:2]
    axes *= np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])[:, None]
    variance = singular ** 2
    return centred @ axes.T, [round(float(v), 4) for v in variance[:2] / variance.sum()]


def nearest_similarity(queries: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Cosine similarity of each (L2-normalised) query to its nearest reference; -1 without references."""
    if len(references) == 0:
        return np.full(len(queries), -1.0)
    return (queries @ references.T).max(axis=1)


def coverage_report(eval_vectors: np.ndarray, synthetic: np.ndarray, fewshots: np.ndarray) -> dict:
    """For one evaluation set: how close its items are to the nearest synthetic sample and to the
    nearest few-shot, and the share of items whose nearest synthetic sample is the closer one."""
    to_synthetic = nearest_similarity(eval_vectors, synthetic)
    to_fewshots = nearest_similarity(eval_vectors, fewshots)
    return {"items": len(eval_vectors),
            "share_closer_to_synthetic": round(float((to_synthetic > to_fewshots).mean()), 4) if len(eval_vectors) else None,
            "mean_nearest_synthetic": round(float(to_synthetic.mean()), 4),
            "mean_nearest_fewshot": round(float(to_fewshots.mean()), 4)}
