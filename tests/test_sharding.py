"""The sharded store: stable assignment, per-shard sync, and top-k that equals the single file's."""
import json
from collections import Counter

import numpy as np
import pytest

from synthcraft.methods.craft.retrieval import retrieve
from synthcraft.sharding import MANIFEST, ShardedStore, open_store, shard_of, sync, topk
from synthcraft.store import STORE_FILE, EmbeddingStore, StoreError
from synthcraft.topk import normalize, streamed_topk
from conftest import INFO, HashEncoder, store_corpus as corpus


def build(path, n=3000, shards=1, start=0):
    ids, texts = corpus(n, start)
    stats = sync(path, ids, texts, HashEncoder(), INFO, shards=shards, commit_every=256, chunk_rows=128,
                 progress=False)
    return stats


def test_assignment_is_stable_and_even():
    ids, _ = corpus(4000)
    counts = Counter(shard_of(d, 4) for d in ids)
    assert set(counts) == {0, 1, 2, 3} and min(counts.values()) > 900
    assert [shard_of(d, 4) for d in ids[:50]] == [shard_of(d, 4) for d in ids[:50]]


@pytest.mark.parametrize("k", [1, 10, 100, 1500])  # 1500: more than any shard holds
def test_sharded_topk_equals_single_file(tmp_path, k):
    build(tmp_path / "one")
    stats = build(tmp_path / "three", shards=3)
    assert stats["count"] == 3000 and sum(stats["shard_counts"]) == 3000 and len(stats["shard_counts"]) == 3
    queries = normalize(np.random.default_rng(k).standard_normal((7, INFO.dim)).astype(np.float32))
    with EmbeddingStore(tmp_path / "one") as one, open_store(tmp_path / "three") as three:
        assert isinstance(three, ShardedStore) and len(three) == 3000
        scores_1, rows_1 = streamed_topk(one, queries, k, chunk_rows=128, progress=False)
        scores_3, rows_3 = topk(three, queries, k, chunk_rows=128, progress=False)
        assert (one.doc_ids[rows_1] == three.doc_ids[rows_3]).all()
        np.testing.assert_allclose(scores_3, scores_1, rtol=0, atol=1e-6)
        # Row numbering runs through the shards: take() and doc_ids agree.
        rows = rows_3[0]
        by_id = {d: i for i, d in enumerate(one.doc_ids)}
        np.testing.assert_array_equal(three.take(rows), one.take([by_id[d] for d in three.doc_ids[rows]]))


def test_retrieval_is_the_same_on_a_sharded_store(tmp_path):
    build(tmp_path / "one")
    build(tmp_path / "four", shards=4)
    shots = normalize(np.random.default_rng(0).standard_normal((5, INFO.dim)).astype(np.float32))
    with open_store(tmp_path / "one") as one, open_store(tmp_path / "four") as four:
        hits_1 = retrieve(one, list("abcde"), shots, strategy="mixed", k=40, chunk_rows=256, progress=False)
        hits_4 = retrieve(four, list("abcde"), shots, strategy="mixed", k=40, chunk_rows=256, progress=False)
        assert [one.doc_ids[h.row] for h in hits_1] == [four.doc_ids[h.row] for h in hits_4]


def test_incremental_resharding_and_back(tmp_path):
    build(tmp_path, n=600, shards=2)
    stats = build(tmp_path, n=700, shards=2)  # 100 new documents: only they are encoded
    assert (stats["encoded"], stats["reused"], stats["count"]) == (100, 600, 700)
    assert not (tmp_path / STORE_FILE).exists()
    stats = build(tmp_path, n=700, shards=3)  # another shard count: a new layout
    assert stats["encoded"] == 700 and json.loads((tmp_path / MANIFEST).read_text())["shards"] == 3
    assert sorted(p.name for p in tmp_path.glob("shard-*")) == ["shard-00000", "shard-00001", "shard-00002"]
    with open_store(tmp_path) as store:
        assert len(store) == 700 and sorted(store.doc_ids) == sorted(corpus(700)[0])
    stats = build(tmp_path, n=700, shards=1)  # back to one file: the shards go
    assert stats["count"] == 700 and not (tmp_path / MANIFEST).exists() and not list(tmp_path.glob("shard-*"))
    assert isinstance(open_store(tmp_path), EmbeddingStore)


def test_manifest_mismatch_and_empty_shard_are_errors(tmp_path):
    build(tmp_path, n=300, shards=2)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["entries"][1]["count"] += 1
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="the manifest says"):
        open_store(tmp_path)
    with pytest.raises(StoreError, match="Fix: use fewer shards"):
        build(tmp_path / "small", n=3, shards=8)
