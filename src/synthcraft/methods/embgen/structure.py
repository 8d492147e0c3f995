"""The corpus's structure, found in the pairs' embeddings: UMAP to a few dimensions, clusters in
that space (KMeans, or HDBSCAN whose noise points belong to no cluster), and a k-nearest-neighbour
proximity graph by cosine similarity in the full embedding space.

HDBSCAN is scikit-learn's (``sklearn.cluster.HDBSCAN``, the same algorithm as the ``hdbscan``
package, without a second compiled dependency). Why cluster in UMAP space but take neighbours in
the full space: density clustering needs few dimensions, while "nearest" is best judged on the
embeddings themselves.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from synthcraft.params import choice

log = logging.getLogger(__name__)
NOISE = -1


@dataclass
class EmbgenStructureParams:
    """The ``embgen_structure:`` section."""
    umap_components: int = 5
    umap_neighbors: int = 15
    umap_min_dist: float = 0.0       # tight clumps: what clustering wants (UMAP's documentation)
    algorithm: str = "kmeans"        # kmeans | hdbscan
    clusters: int = 12               # kmeans: the number of clusters
    min_cluster_size: int = 8        # hdbscan: the smallest cluster; smaller groups become noise
    neighbours: int = 5              # proximity graph: neighbours per pair
    seed: int = 0

    def __post_init__(self):
        choice(self.algorithm, ("kmeans", "hdbscan"), "algorithm")
        if self.clusters < 1 or self.neighbours < 1 or self.umap_components < 2:
            raise ValueError("clusters and neighbours must be at least 1, umap_components at least 2")


def portable_numba() -> None:
    """Under the portable kernels, compile numba (UMAP, its neighbour search) for numba's portable
    "generic" target, not the host CPU's features: the same coordinates, so the same clusters and
    generation prompts, on any x86 CPU. Set here rather than at ``import synthcraft``, where every
    stage of every pipeline would count it as a changed dependency; numba reads it when first
    imported, which in a stage process is UMAP's import below."""
    import os
    import sys

    import synthcraft

    if synthcraft.kernels == "portable" and "numba" not in sys.modules:
        os.environ.setdefault("NUMBA_CPU_NAME", "generic")


def reduce(vectors: np.ndarray, p: EmbgenStructureParams, components: int | None = None) -> np.ndarray:
    """UMAP (cosine metric) to ``components`` (default ``umap_components``) dimensions."""
    portable_numba()
    import umap

    n = len(vectors)
    components = components or p.umap_components
    if n <= components + 1:
        raise ValueError(f"{n} pairs are too few for a {components}-dimensional UMAP. Fix: extract more pairs "
                         "(embgen_corpus.docs_per_topic, embgen_extract.max_pairs) or lower embgen_structure.umap_components")
    neighbors = min(p.umap_neighbors, n - 1)
    if neighbors < p.umap_neighbors:
        log.warning("UMAP: %d pairs, n_neighbors lowered from %d to %d", n, p.umap_neighbors, neighbors)
    # init="random" because the default spectral start fails on tiny or disconnected graphs.
    reducer = umap.UMAP(n_components=components, n_neighbors=neighbors, min_dist=p.umap_min_dist, metric="cosine",
                        random_state=p.seed, n_jobs=1, init="random" if n < 100 else "spectral")
    return reducer.fit_transform(vectors).astype(np.float32)


def cluster(low: np.ndarray, p: EmbgenStructureParams) -> np.ndarray:
    """A cluster label per row (``NOISE`` = -1 for HDBSCAN's noise)."""
    n = len(low)
    if p.algorithm == "kmeans":
        from sklearn.cluster import KMeans

        if p.clusters > n:
            raise ValueError(f"embgen_structure.clusters={p.clusters} is more than the {n} pairs. Fix: lower "
                             "embgen_structure.clusters or extract more pairs")
        return KMeans(n_clusters=p.clusters, n_init=10, random_state=p.seed).fit_predict(low)
    from sklearn.cluster import HDBSCAN

    labels = HDBSCAN(min_cluster_size=min(p.min_cluster_size, n), copy=True).fit_predict(low)
    if (labels == NOISE).all():
        raise ValueError(f"HDBSCAN labelled all {n} pairs noise. Fix: lower embgen_structure.min_cluster_size "
                         f"(now {p.min_cluster_size}) or use embgen_structure.algorithm=kmeans")
    return labels


def proximity_graph(vectors: np.ndarray, k: int) -> np.ndarray:
    """(n, k) row indices of each row's k nearest other rows by cosine similarity, nearest first."""
    n = len(vectors)
    if k >= n:
        raise ValueError(f"embgen_structure.neighbours={k} needs more than {k} pairs (have {n}). Fix: lower it")
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def cluster_stats(low: np.ndarray, labels: np.ndarray) -> dict:
    """Sizes, noise share and the silhouette of the clustered (non-noise) points in UMAP space."""
    from sklearn.metrics import silhouette_score

    inside = labels != NOISE
    ids, sizes = np.unique(labels[inside], return_counts=True)
    silhouette = (round(float(silhouette_score(low[inside], labels[inside])), 4)
                  if 2 <= len(ids) < inside.sum() else None)
    return {"clusters": int(len(ids)), "sizes": {int(c): int(s) for c, s in zip(ids, sizes)},
            "noise": int((~inside).sum()), "noise_share": round(float((~inside).mean()), 4),
            "silhouette": silhouette}


def pair_vectors(store_dir, pair_ids: list[str]) -> np.ndarray:
    """Embeddings of ``pair_ids`` from the pair store, in that order (float32)."""
    from synthcraft.store import EmbeddingStore

    with EmbeddingStore(store_dir) as store:
        row_of = {str(i): r for r, i in enumerate(store.doc_ids)}
        return store.take([row_of[i] for i in pair_ids])
