import numpy as np
import pytest

from synthcraft.methods.craft.retrieval import plan_queries, retrieve
from synthcraft.topk import bf16_score_error, mean_pairwise_cosine, streamed_topk
from synthcraft.store import EmbeddingStore, StoreInfo, sync_store


def unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make_store(tmp_path, vectors):
    ids = [f"{i:024x}" for i in range(len(vectors))]
    info = StoreInfo("random", "r" * 32, vectors.shape[1])
    lookup = dict(zip(ids, vectors))
    sync_store(tmp_path, ids, ids, lambda batch: np.stack([lookup[i] for i in batch]), info,
               commit_every=1 << 20, chunk_rows=512, progress=False)
    return EmbeddingStore(tmp_path)


def exact_topk(store, queries, k):
    data = store.take(range(len(store)))
    scores = queries @ data.T
    rows = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, rows, axis=1), rows


@pytest.mark.parametrize("scan", ["bfloat16", "float32"])
@pytest.mark.parametrize("chunk_rows, k", [(700, 10), (4096, 50), (128, 300), (3000, 5000)])
def test_streamed_topk_equals_exact(tmp_path, chunk_rows, k, scan):
    rng = np.random.default_rng(0)
    with make_store(tmp_path, unit(rng, 3000, 64)) as store:
        queries = unit(rng, 7, 64)
        scores, rows = streamed_topk(store, queries, k, chunk_rows, progress=False, scan=scan)
        ref_scores, ref_rows = exact_topk(store, queries, k)
        assert scores.shape == (7, min(k, 3000))
        for q in range(7):
            assert set(rows[q]) == set(ref_rows[q])
        np.testing.assert_allclose(scores, ref_scores, atol=1e-5)


@pytest.mark.parametrize("scan", ["bfloat16", "float32"])
def test_exact_under_near_ties(tmp_path, scan):
    """Clusters of nearly identical vectors: bf16 cannot tell them apart, the re-scoring must."""
    rng = np.random.default_rng(1)
    centres = unit(rng, 20, 32)
    data = np.repeat(centres, 100, axis=0) + 1e-3 * rng.standard_normal((2000, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    with make_store(tmp_path, data) as store:
        queries = centres[:4] + 0.01 * unit(rng, 4, 32)
        scores, rows = streamed_topk(store, queries, 37, chunk_rows=300, progress=False, scan=scan)
        ref_scores, ref_rows = exact_topk(store, queries, 37)
        np.testing.assert_allclose(scores, ref_scores, atol=1e-6)
        for q in range(4):
            # Equal sets, except where f16-stored neighbours tie to float precision.
            differ = set(rows[q]) ^ set(ref_rows[q])
            assert not differ or np.ptp(ref_scores[q, -2:]) < 1e-6


def test_bf16_error_bound_holds():
    import torch

    rng = np.random.default_rng(2)
    q, x = unit(rng, 16, 384), unit(rng, 5000, 384).astype(np.float16)
    exact = q @ x.astype(np.float32).T
    coarse = (torch.from_numpy(q).bfloat16() @ torch.from_numpy(x).bfloat16().T).float().numpy()
    assert np.abs(coarse - exact).max() <= bf16_score_error(384)


def test_strategies(tmp_path):
    rng = np.random.default_rng(3)
    with make_store(tmp_path, unit(rng, 2000, 32)) as store:
        shots = unit(rng, 5, 32)
        ids = [f"shot{i}" for i in range(5)]
        for strategy in ("individual", "mean", "mixed"):
            hits = retrieve(store, ids, shots, strategy=strategy, k=100, chunk_rows=256, progress=False)
            assert len(hits) == 100 and len({h.row for h in hits}) == 100
            counts = {q: sum(h.query == q for h in hits) for q in ids + ["mean"]}
            if strategy == "individual":
                assert all(counts[i] == 20 for i in ids) and counts["mean"] == 0
            elif strategy == "mean":
                assert counts["mean"] == 100
                mean = shots.mean(0) / np.linalg.norm(shots.mean(0))
                _, ref = exact_topk(store, mean[None], 100)
                assert {h.row for h in hits} == set(ref[0])
            else:
                assert counts["mean"] == 50 and all(counts[i] == 10 for i in ids)
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_plan_and_small_store(tmp_path):
    assert plan_queries("mixed", 400, 0.2) == (200, 200, 480)
    with pytest.raises(ValueError, match="not one of"):
        plan_queries("best", 10, 0.2)
    rng = np.random.default_rng(4)
    with make_store(tmp_path, unit(rng, 30, 8)) as store:
        hits = retrieve(store, ["a", "b"], unit(rng, 2, 8), strategy="mixed", k=50, progress=False)
        assert len(hits) == 30  # the whole store, no repeats


def test_mean_pairwise_cosine():
    rng = np.random.default_rng(5)
    x = unit(rng, 50, 8)
    sims = x @ x.T
    expected = (sims.sum() - np.trace(sims)) / (50 * 49)
    assert mean_pairwise_cosine(x) == pytest.approx(expected, abs=1e-6)
