"""The random control (src/synthcraft/methods/random)."""
import numpy as np

from synthcraft.methods import random as random_method
from synthcraft.store import EmbeddingStore, StoreInfo, sync_store


def make_store(tmp_path, n=500, dim=16):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"{i:024x}" for i in range(n)]
    lookup = dict(zip(ids, vectors))
    sync_store(tmp_path, ids, ids, lambda batch: np.stack([lookup[i] for i in batch]),
               StoreInfo("random", "r" * 32, dim), commit_every=1 << 20, chunk_rows=128, progress=False)
    return EmbeddingStore(tmp_path)


def test_draws_k_distinct_rows_seeded_with_best_fewshot_cosine(tmp_path):
    shots = np.random.default_rng(5).standard_normal((3, 16)).astype(np.float32)
    with make_store(tmp_path) as store:
        hits = random_method.draw(store, shots, 40, seed=0)
        rows = [h.row for h in hits]
        assert len(rows) == len(set(rows)) == 40
        assert rows == [h.row for h in random_method.draw(store, shots, 40, seed=0)]
        assert rows != [h.row for h in random_method.draw(store, shots, 40, seed=1)]
        assert [h.rank for h in hits] == list(range(1, 41)) and {h.query for h in hits} == {"random"}
        unit = shots / np.linalg.norm(shots, axis=1, keepdims=True)
        expected = (store.take(rows) @ unit.T).max(axis=1)
        np.testing.assert_allclose([h.score for h in hits], expected, rtol=1e-5)
        # Uniform over the store: 40 of 500 rows spread over it, not clustered at the front.
        assert max(rows) > 250 and min(rows) < 250
        assert len(random_method.draw(store, shots, 10_000, seed=0)) == 500
