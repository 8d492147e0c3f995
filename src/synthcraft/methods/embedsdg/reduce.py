"""dim_red[K] of eq. 3: N-vectors -> K-dimensional points, fitted on the seed pool D.

PCA and TruncatedSVD are linear maps, so anything later (evaluation items, decoded texts, the
interpolation of eq. 5) is placed by the same map; for PCA the interpolation lands exactly on the
midpoint of its seeds. t-SNE has no map for new points: they are placed at the distance-weighted
mean of their ``TSNE_NEIGHBOURS`` nearest pool points' positions (a common out-of-sample
approximation, not part of t-SNE), so with t-SNE the in-cell rate measures that placement too.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.manifold import TSNE
from sklearn.neighbors import NearestNeighbors

TSNE_NEIGHBOURS = 5


class Reducer:
    """``fit`` on D's N-vectors (returns their points), then ``transform`` anything else."""

    def __init__(self, method: str, k: int, seed: int = 0, perplexity: float = 30.0):
        self.method, self.k, self.seed, self.perplexity = method, k, seed, perplexity
        self._map = None
        self._pool_vectors = self._pool_points = None

    def fit(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float64)
        if len(vectors) <= self.k:
            raise ValueError(f"{len(vectors)} pool examples cannot span {self.k} dimensions. Fix: raise "
                             "embedsdg_pool.pool_per_subject")
        if self.method == "tsne":
            perplexity = min(self.perplexity, (len(vectors) - 1) / 3)   # t-SNE needs perplexity < n / 3
            points = TSNE(self.k, perplexity=perplexity, random_state=self.seed, init="pca").fit_transform(vectors)
            self._pool_vectors, self._pool_points = vectors, points
            self._neighbours = NearestNeighbors(n_neighbors=min(TSNE_NEIGHBOURS, len(vectors))).fit(vectors)
            return points
        self._map = (PCA(self.k, random_state=self.seed) if self.method == "pca"
                     else TruncatedSVD(self.k, random_state=self.seed))
        points = self._map.fit_transform(vectors)
        # scikit-learn leaves components_ a strided view, and a product with a view can take another
        # BLAS path (other sums) than one with the row-major copy save() writes: a reloaded reducer
        # placed points differently in the last bits (TruncatedSVD, scikit-learn 1.9). Row-major
        # copies from the start give this reducer and every reloaded one the same arrays and layout.
        for key, value in vars(self._map).items():
            if isinstance(value, np.ndarray):
                setattr(self._map, key, np.ascontiguousarray(value))
        return points

    def transform(self, vectors: np.ndarray) -> np.ndarray:
        vectors = np.asarray(vectors, dtype=np.float64)
        if len(vectors) == 0:
            return np.zeros((0, self.k))
        if self.method != "tsne":
            return self._map.transform(vectors)
        distances, rows = self._neighbours.kneighbors(vectors)
        weights = 1.0 / np.maximum(distances, 1e-9)
        weights /= weights.sum(axis=1, keepdims=True)
        return (self._pool_points[rows] * weights[:, :, None]).sum(axis=1)

    @property
    def explained_variance(self) -> list[float] | None:
        """Share of variance per kept axis (PCA and TruncatedSVD; None for t-SNE)."""
        return None if self._map is None else [round(float(v), 4) for v in self._map.explained_variance_ratio_]

    @property
    def linear(self) -> bool:
        return self.method != "tsne"

    def save(self, path: str | Path) -> None:
        """The fitted reducer as arrays and plain values in an ``.npz`` (read back with
        ``allow_pickle=False``: unlike a pickle, loading it cannot run code). The linear map's own
        fields are kept as they are, so a loaded reducer places points bit for bit as this one."""
        plain = {"method": self.method, "k": self.k, "seed": self.seed, "perplexity": self.perplexity}
        arrays = {}
        if self._map is None:
            arrays = {"pool_vectors": self._pool_vectors, "pool_points": self._pool_points}
        else:
            plain["map_class"] = type(self._map).__name__
            for key, value in vars(self._map).items():
                if isinstance(value, (np.ndarray, np.generic)):
                    arrays[f"map.{key}"] = np.asarray(value)
                else:
                    plain[f"map.{key}"] = value
        with open(path, "wb") as fh:
            np.savez(fh, plain=np.array(json.dumps(plain)), **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "Reducer":
        with np.load(path, allow_pickle=False) as data:
            plain = json.loads(str(data["plain"]))
            arrays = {key: data[key] for key in data.files if key != "plain"}
        reducer = cls(plain["method"], plain["k"], plain["seed"], plain["perplexity"])
        if "map_class" not in plain:
            reducer._pool_vectors, reducer._pool_points = arrays["pool_vectors"], arrays["pool_points"]
            reducer._neighbours = NearestNeighbors(n_neighbors=min(TSNE_NEIGHBOURS, len(reducer._pool_vectors)))
            reducer._neighbours.fit(reducer._pool_vectors)
            return reducer
        estimator = {"PCA": PCA, "TruncatedSVD": TruncatedSVD}[plain["map_class"]]
        reducer._map = estimator.__new__(estimator)
        fields = {key[4:]: value for key, value in plain.items() if key.startswith("map.")}
        fields.update({key[4:]: value if value.ndim else value[()] for key, value in arrays.items()})
        vars(reducer._map).update(fields)
        return reducer
