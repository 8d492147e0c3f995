"""The three ways EmbGen draws the material of one request, from the pairs' structure.

    proximity  a random anchor pair and its nearest neighbours in the proximity graph (local,
               often across documents)
    intra      several pairs drawn from one cluster (clusters drawn uniformly, so small topics
               are not drowned by big ones)
    inter      pairs from two or more distinct clusters, drawn uniformly among all clusters, the
               pairs split evenly between them. Uniform pairing is this project's reading (the
               paper does not say how clusters are paired): it links topics the corpus itself
               does not link, which is the point of the sampler.

Draw k is a pure function of (seed, k): a longer run repeats a shorter run's draws, so the token
budget can grow the request list without changing what came before.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLERS = ("proximity", "intra", "inter")


@dataclass
class EmbgenSamplingParams:
    """The ``embgen_sampling:`` section: the samplers' mix (weights, normalised) and request size."""
    proximity: float = 1.0
    intra: float = 1.0
    inter: float = 1.0
    pairs_per_request: int = 4
    clusters_per_inter: int = 2
    seed: int = 0

    def __post_init__(self):
        if min(self.mix.values()) < 0 or sum(self.mix.values()) <= 0:
            raise ValueError("the sampler weights proximity / intra / inter must be >= 0 and not all 0")
        if self.pairs_per_request < 2 or self.clusters_per_inter < 2:
            raise ValueError("pairs_per_request and clusters_per_inter must be at least 2")

    @property
    def mix(self) -> dict[str, float]:
        return {"proximity": self.proximity, "intra": self.intra, "inter": self.inter}


class Sampler:
    def __init__(self, labels: np.ndarray, neighbours: np.ndarray, p: EmbgenSamplingParams):
        self.labels, self.neighbours, self.p = labels, neighbours, p
        self.members = {int(c): np.flatnonzero(labels == c) for c in sorted(set(labels.tolist()) - {-1})}
        weights = np.array(list(p.mix.values()), dtype=float)
        self.weights = weights / weights.sum()
        if p.inter > 0 and len(self.members) < p.clusters_per_inter:
            raise ValueError(f"inter-cluster draws need {p.clusters_per_inter} clusters, the structure has "
                             f"{len(self.members)}. Fix: set embgen_sampling.inter=0 or raise embgen_structure.clusters")
        if (p.intra > 0 or p.inter > 0) and not self.members:
            raise ValueError("no clusters to draw from (every pair is noise). Fix: see embgen_structure")

    def draw(self, k: int) -> dict:
        """Draw k: {sampler, pairs (row indices), clusters (their labels, noise -1 included)}."""
        rng = np.random.default_rng([self.p.seed, k])
        sampler = SAMPLERS[int(rng.choice(len(SAMPLERS), p=self.weights))]
        size = self.p.pairs_per_request
        if sampler == "proximity":
            anchor = int(rng.integers(len(self.labels)))
            rows = [anchor, *self.neighbours[anchor, : size - 1].tolist()]
        elif sampler == "intra":
            members = self.members[int(rng.choice(list(self.members)))]
            rows = rng.choice(members, size=min(size, len(members)), replace=False).tolist()
        else:
            chosen = rng.choice(list(self.members), size=self.p.clusters_per_inter, replace=False)
            shares = np.array_split(np.arange(max(size, len(chosen))), len(chosen))
            rows = []
            for c, share in zip(chosen, shares):
                members = self.members[int(c)]
                rows += rng.choice(members, size=min(len(share), len(members)), replace=False).tolist()
        rows = [int(r) for r in rows]
        return {"sampler": sampler, "pairs": rows, "clusters": sorted({int(self.labels[r]) for r in rows})}
