"""The coverage map's numbers (src/synthcraft/coverage.py) on hand-made vectors."""
import numpy as np
import pytest

from synthcraft.coverage import coverage_report, nearest_similarity, pca_2d


def unit(*rows):
    vectors = np.array(rows, dtype=float)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_pca_finds_the_spread_axis_and_is_deterministic():
    rng = np.random.default_rng(0)
    points = np.zeros((200, 5))
    points[:, 2] = rng.normal(0, 10, 200)   # most of the spread
    points[:, 4] = rng.normal(0, 1, 200)
    coordinates, explained = pca_2d(points)
    assert explained[0] > 0.95 and sum(explained) == pytest.approx(1, abs=1e-3)
    assert np.corrcoef(coordinates[:, 0], points[:, 2])[0, 1] == pytest.approx(1, abs=1e-6)  # sign fixed: +1
    again, _ = pca_2d(points[::-1].copy())
    assert np.allclose(again[::-1], coordinates)


def test_nearest_and_the_share_closer_to_synthetic():
    evaluation = unit([1, 0, 0], [0, 1, 0], [0, 0, 1])
    synthetic = unit([1, 0.1, 0], [0, 1, 1])
    fewshots = unit([0, 0, 1])
    assert nearest_similarity(evaluation, synthetic) == pytest.approx([0.995, 0.7071, 0.7071], abs=1e-3)
    report = coverage_report(evaluation, synthetic, fewshots)
    # item 1 and 2 are nearer a synthetic sample; item 3 is the few-shot itself
    assert report["share_closer_to_synthetic"] == pytest.approx(2 / 3, abs=1e-4) and report["items"] == 3
    assert coverage_report(evaluation, synthetic[:0], fewshots)["share_closer_to_synthetic"] == 0
