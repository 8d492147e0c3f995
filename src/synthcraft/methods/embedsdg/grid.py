"""Sparse regions and seed pairs (paper sections 3.3-3.4).

The grid spans the bounding box of D's points (K = 2: rectangles, K = 3: boxes) with
``cells_per_axis`` cells along each axis. A cell is a candidate sparse region when it holds more
than 0 and fewer than T of D's points: empty cells -- the runs of them around the data's corners
and in its holes -- are never candidates, as in the paper. T is absolute, or the given quantile
of the non-empty cells' counts. Candidates are used sparsest first.

A seed pair comes from two opposite sides of a cell (left/right, bottom/top, and in 3-D
front/back), the axis drawn per pair. A point is "on" a side when it lies within ``side_band``
cell widths of it and inside the cell's extent along the other axes; when no point is, the point
nearest to that side (face) is taken, as the paper prescribes.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class RegionsParams:
    """The ``embedsdg_regions:`` section."""
    examples_per_arm: int = 64          # N: seed pairs for EmbedSDG and random pairs, requests per arm
    cells_per_axis: int = 8
    threshold: Optional[int] = None     # T: candidate cells hold 0 < n < T points of D
    threshold_quantile: float = 0.5     # threshold null: T = this quantile of non-empty cell counts (>= 2)
    pairs_per_cell: int = 2             # new pairs per cell and pass (passes repeat until N pairs)
    side_band: float = 0.25             # "on a side": within this many cell widths of it
    baseline_factor: float = 2.0        # random single seeds drawn: N x this (for the equal-token arm)
    seed: int = 0

    def __post_init__(self):
        if self.cells_per_axis < 2:
            raise ValueError("embedsdg_regions.cells_per_axis must be >= 2")
        if self.threshold is not None and self.threshold < 2:
            raise ValueError("embedsdg_regions.threshold must be >= 2 (a candidate cell holds 0 < n < T points)")
        if self.baseline_factor < 1:
            raise ValueError("embedsdg_regions.baseline_factor must be >= 1")


class Grid:
    """Cells over the bounding box of ``points`` (the pool's K-dimensional positions)."""

    def __init__(self, points: np.ndarray, cells_per_axis: int):
        points = np.asarray(points, dtype=float)
        self.k, self.n = points.shape[1], cells_per_axis
        self.low, high = points.min(axis=0), points.max(axis=0)
        if np.any(high <= self.low):
            raise ValueError("the pool's points have no extent along some axis: no grid can be laid. Fix: use more "
                             "pool examples (embedsdg_pool.pool_per_subject) or another embedsdg_embed.dim_red")
        self.size = (high - self.low) / cells_per_axis

    def spec(self) -> dict:
        return {"low": self.low.tolist(), "size": self.size.tolist(), "cells_per_axis": self.n}

    @classmethod
    def from_spec(cls, spec: dict) -> "Grid":
        """The grid ``spec()`` described (later stages place new points on the same cells)."""
        low, size = np.array(spec["low"], dtype=float), np.array(spec["size"], dtype=float)
        return cls(np.vstack([low, low + size * spec["cells_per_axis"]]), spec["cells_per_axis"])

    def cells(self, points: np.ndarray) -> np.ndarray:
        """Each point's cell index per axis ([n, K] ints); -1 in every column outside the box."""
        raw = np.floor((np.asarray(points, dtype=float) - self.low) / self.size).astype(int)
        edge = np.isclose(np.asarray(points, dtype=float), self.low + self.size * self.n)
        raw = np.where(edge & (raw == self.n), self.n - 1, raw)   # the box's far edge belongs to the last cell
        outside = np.any((raw < 0) | (raw >= self.n), axis=1)
        raw[outside] = -1
        return raw

    def counts(self, points: np.ndarray) -> np.ndarray:
        """Points per cell, an array of shape (cells_per_axis,) * K."""
        grid = np.zeros((self.n,) * self.k, dtype=int)
        for cell in self.cells(points):
            if cell[0] >= 0:
                grid[tuple(cell)] += 1
        return grid

    def bounds(self, cell) -> tuple[np.ndarray, np.ndarray]:
        low = self.low + np.asarray(cell) * self.size
        return low, low + self.size


def threshold_of(counts: np.ndarray, params: RegionsParams) -> int:
    if params.threshold is not None:
        return params.threshold
    occupied = counts[counts > 0]
    return max(2, math.ceil(float(np.quantile(occupied, params.threshold_quantile))))


def candidate_cells(counts: np.ndarray, threshold: int, seed: int = 0) -> list[tuple[int, ...]]:
    """Cells with 0 < n < T, sparsest first (ties in a seeded order)."""
    cells = [tuple(int(i) for i in c) for c in np.argwhere((counts > 0) & (counts < threshold))]
    rng = random.Random(seed)
    rng.shuffle(cells)
    return sorted(cells, key=lambda c: counts[c])


def side_seed(points: np.ndarray, low: np.ndarray, high: np.ndarray, axis: int, side: float, band: float,
              rng: random.Random, exclude: set[int]) -> int:
    """A pool row on the face ``points[axis] == side`` of the cell [low, high], or the nearest one."""
    others = [a for a in range(points.shape[1]) if a != axis]
    width = (high - low)[axis]
    within = np.all((points[:, others] >= low[others]) & (points[:, others] <= high[others]), axis=1)
    on_side = within & (np.abs(points[:, axis] - side) <= band * width)
    rows = [int(r) for r in np.flatnonzero(on_side) if int(r) not in exclude]
    if rows:
        return rng.choice(rows)
    # Distance to the face: along ``axis`` to the side, along the others to the face's extent.
    nearest = np.clip(points, low, high)
    nearest[:, axis] = side
    distance = np.linalg.norm(points - nearest, axis=1)
    distance[list(exclude)] = np.inf
    return int(np.argmin(distance))


def opposite_pairs(points: np.ndarray, grid: Grid, cell, count: int, band: float,
                   rng: random.Random) -> list[tuple[int, int, int]]:
    """Up to ``count`` distinct (row, row, axis) pairs from opposite sides of ``cell``."""
    low, high = grid.bounds(cell)
    pairs, seen = [], set()
    for attempt in range(count * 4):
        axis = rng.randrange(grid.k)
        first = side_seed(points, low, high, axis, low[axis], band, rng, set())
        second = side_seed(points, low, high, axis, high[axis], band, rng, {first})
        key = frozenset((first, second))
        if key not in seen:
            seen.add(key)
            pairs.append((first, second, axis))
        if len(pairs) == count:
            break
    return pairs


def sparse_pairs(points: np.ndarray, grid: Grid, counts: np.ndarray, params: RegionsParams,
                 threshold: int) -> list[dict]:
    """``examples_per_arm`` distinct seed pairs from the candidate cells: passes over the cells,
    sparsest first, each taking up to ``pairs_per_cell`` new pairs per cell, until there are enough
    or a whole pass finds none new. Then the pairs found are all there are (the stage reports the
    shortfall; the equal-count arms are cut to the smallest arm anyway)."""
    candidates = candidate_cells(counts, threshold, params.seed)
    if not candidates:
        raise ValueError(f"no grid cell holds 0 < n < T = {threshold} pool points. Fix: raise embedsdg_regions.threshold "
                         "(or threshold_quantile) or embedsdg_regions.cells_per_axis")
    rng = random.Random(params.seed)
    out, used = [], set()
    while True:
        before = len(out)
        for cell in candidates:
            for first, second, axis in opposite_pairs(points, grid, cell, params.pairs_per_cell, params.side_band, rng):
                if frozenset((first, second)) in used:
                    continue
                used.add(frozenset((first, second)))
                out.append({"cell": list(cell), "cell_count": int(counts[cell]), "axis": axis, "rows": [first, second]})
                if len(out) == params.examples_per_arm:
                    return out
        if len(out) == before:   # a whole pass found nothing new
            if not out:
                raise ValueError(f"{len(candidates)} candidate cells give no seed pair. Fix: raise "
                                 "embedsdg_regions.threshold, side_band or cells_per_axis")
            return out


def random_pairs(n_pool: int, count: int, seed: int) -> list[list[int]]:
    """``count`` distinct random pairs of distinct rows (the ablation arm)."""
    if n_pool < 2:
        raise ValueError("the pool needs at least 2 examples")
    rng, out, seen = random.Random(seed), [], set()
    while len(out) < min(count, n_pool * (n_pool - 1) // 2):
        pair = rng.sample(range(n_pool), 2)
        if frozenset(pair) not in seen:
            seen.add(frozenset(pair))
            out.append(pair)
    return out


def random_seeds(n_pool: int, count: int, seed: int) -> list[int]:
    """``count`` rows drawn uniformly; beyond the pool's size every row is used once per round."""
    rng, out = random.Random(seed), []
    while len(out) < count:
        round_rows = list(range(n_pool))
        rng.shuffle(round_rows)
        out += round_rows[: count - len(out)]
    return out


def density_histogram(counts: np.ndarray) -> list[dict]:
    """Figure 2: how many cells hold each number of points."""
    values, cells = np.unique(counts, return_counts=True)
    return [{"points_in_cell": int(v), "cells": int(c)} for v, c in zip(values, cells)]
