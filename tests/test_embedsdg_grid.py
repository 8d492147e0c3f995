"""The grid, the "0 < n < T" rule on a point cloud with a known sparse hole, and opposite-side pairs."""
import random

import numpy as np
import pytest

from synthcraft.methods.embedsdg.grid import (Grid, RegionsParams, candidate_cells, density_histogram,
                                              opposite_pairs, random_pairs, random_seeds, side_seed, sparse_pairs,
                                              threshold_of)


def cloud() -> np.ndarray:
    """A 4x4 grid over [0, 4]^2: 10 points in every cell except cell (1, 2) with 2 and (3, 3) with 0."""
    rng = np.random.default_rng(0)
    points = []
    for i in range(4):
        for j in range(4):
            n = 2 if (i, j) == (1, 2) else 0 if (i, j) == (3, 3) else 10
            points += [(i + rng.uniform(0.05, 0.95), j + rng.uniform(0.05, 0.95)) for _ in range(n)]
    points += [(0.0, 4.0), (4.0, 0.0)]   # pin the bounding box to [0, 4] x [0, 4]
    return np.array(points)


def test_grid_counts_points_per_cell_and_the_far_edge_belongs_to_the_last_cell():
    points = cloud()
    grid = Grid(points, 4)
    counts = grid.counts(points)
    assert counts.sum() == len(points)
    assert counts[1, 2] == 2 and counts[3, 3] == 0 and counts[3, 0] == 10 + 1   # (4.0, 0.0) is on the far edge
    assert grid.cells(np.array([[5.0, 1.0]])).tolist() == [[-1, -1]]           # outside the box
    assert Grid.from_spec(grid.spec()).cells(points).tolist() == grid.cells(points).tolist()


def test_only_non_empty_cells_under_the_threshold_are_candidates():
    counts = Grid(cloud(), 4).counts(cloud())
    assert candidate_cells(counts, threshold=5) == [(1, 2)]       # the empty corner (3, 3) is skipped
    assert candidate_cells(counts, threshold=12)[0] == (1, 2)      # sparsest first
    assert threshold_of(counts, RegionsParams(threshold=7)) == 7
    assert threshold_of(counts, RegionsParams(threshold_quantile=0.5)) == 10
    assert {"points_in_cell": 0, "cells": 1} in density_histogram(counts)


def test_no_candidate_cell_names_the_params():
    points = cloud()
    grid = Grid(points, 4)
    with pytest.raises(ValueError, match="embedsdg_regions.threshold"):
        sparse_pairs(points, grid, grid.counts(points), RegionsParams(examples_per_arm=2), threshold=2)


def test_a_pool_without_extent_cannot_be_gridded():
    with pytest.raises(ValueError, match="pool_per_subject"):
        Grid(np.array([[1.0, 2.0], [1.0, 3.0]]), 4)


def test_pairs_come_from_opposite_sides():
    # cell [0, 1]^2; two points hug the left side, two the right side, one sits in the middle.
    points = np.array([[0.05, 0.5], [0.1, 0.2], [0.95, 0.4], [0.9, 0.8], [0.5, 0.5], [2.0, 2.0]])
    grid = Grid(points, 2)   # cells of width 1
    rng = random.Random(0)
    for first, second, axis in opposite_pairs(points, grid, (0, 0), 4, band=0.25, rng=rng):
        if axis == 0:
            assert first in (0, 1) and second in (2, 3)


def test_a_side_without_points_takes_the_nearest_one():
    points = np.array([[0.5, 0.5], [1.3, 0.5], [3.0, 3.0]])
    low, high = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    # nothing within 0.25 of the right side x = 1 inside the cell: the nearest is (1.3, 0.5), outside it
    assert side_seed(points, low, high, 0, 1.0, 0.25, random.Random(0), set()) == 1
    assert side_seed(points, low, high, 0, 1.0, 0.25, random.Random(0), {1}) == 0


def test_sparse_pairs_are_distinct_and_from_candidate_cells():
    points = cloud()
    grid = Grid(points, 4)
    counts = grid.counts(points)
    pairs = sparse_pairs(points, grid, counts, RegionsParams(examples_per_arm=6, pairs_per_cell=2), threshold=11)
    assert len(pairs) == 6 and len({frozenset(p["rows"]) for p in pairs}) == 6
    assert all(0 < counts[tuple(p["cell"])] < 11 and p["rows"][0] != p["rows"][1] for p in pairs)
    assert pairs[0]["cell"] == [1, 2]


def test_more_pairs_wanted_than_the_cells_hold_gives_every_distinct_pair():
    points = cloud()
    grid = Grid(points, 4)
    counts = grid.counts(points)
    pairs = sparse_pairs(points, grid, counts, RegionsParams(examples_per_arm=10_000), threshold=11)
    assert 6 < len(pairs) < 10_000 and len({frozenset(p["rows"]) for p in pairs}) == len(pairs)


def test_random_pairs_and_seeds():
    pairs = random_pairs(10, 20, seed=0)
    assert len({frozenset(p) for p in pairs}) == 20 and all(a != b for a, b in pairs)
    seeds = random_seeds(5, 12, seed=0)
    assert len(seeds) == 12 and sorted(seeds[:5]) == list(range(5)) and sorted(seeds[5:10]) == list(range(5))
