"""Hard-negative mining: exclusions, the rank window, the false-negative guard, round-trip consistency."""
import numpy as np

from synthcraft.methods.embedder.mining import MineParams, mine_negatives
from synthcraft.store import EmbeddingStore, StoreInfo, sync_store

DIM = 8


def axis(i):
    v = np.zeros(DIM, dtype=np.float32)
    v[i] = 1
    return v


def mix(a, direction):
    """Unit vector with cosine ``a`` to axis 0, the rest along ``direction``."""
    return (a * axis(0) + np.sqrt(1 - a * a) * axis(direction)).astype(np.float32)


def doc_id(prefix, i):
    return f"{prefix}{i:016x}"


def build(tmp_path):
    docs = {doc_id("f0000000", 0): mix(0.90, 1),            # the positive
            doc_id("f0000000", 1): mix(0.88, 1),            # a near-duplicate of it (guard)
            doc_id("00000001", 2): mix(0.85, 2)}            # held out (hash share < 0.1)
    for i, a in enumerate([0.84, 0.83, 0.82, 0.81, 0.80, 0.79], start=3):
        docs[doc_id("f0000000", i)] = mix(a, 2 + i % 6)
    ids = list(docs)
    sync_store(tmp_path, ids, ids, lambda batch: np.stack([docs[i] for i in batch]), StoreInfo("t", "t" * 32, DIM),
               commit_every=1 << 20, chunk_rows=4, progress=False)
    return EmbeddingStore(tmp_path), ids


def encoder_for(vectors):
    return lambda texts: np.stack([vectors[t] for t in texts])


def test_mining_window_guard_heldout_and_consistency(tmp_path):
    store, ids = build(tmp_path)
    texts = {i: f"document {i} " * 10 for i in ids}   # long views
    instances = [
        {"id": "a", "category": "short-long", "doc_id": ids[0], "query": "q", "positive": texts[ids[0]], "negative": None},
        # its own document ranks last for this query: dropped by the consistency check
        {"id": "b", "category": "short-long", "doc_id": ids[3], "query": "far", "positive": texts[ids[3]],
         "negative": None},
        # long-short targets are the teacher's: kept as generated
        {"id": "c", "category": "long-short", "doc_id": ids[4], "query": texts[ids[4]], "positive": "label",
         "negative": "other label"},
    ]
    vectors = {"q": axis(0), "far": -axis(0), texts[ids[0]]: mix(0.90, 1), texts[ids[3]]: mix(0.84, 5)}
    params = MineParams(ranks=[2, 4], max_similarity=0.95, consistency_rank=3)
    rows, stats = mine_negatives(instances, store, encoder_for(vectors), texts, params, heldout_share=0.1)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {"a", "c"}
    # after the positive, the near-duplicate and the held-out document go, ranks 2..4 are ids[4..6]
    assert by_id["a"]["negative"] in {texts[i] for i in ids[4:7]} and by_id["a"]["negative_source"] == "mined"
    assert by_id["c"]["negative"] == "other label" and by_id["c"]["negative_source"] == "generated"
    assert stats["mined"] == 1 and stats["kept_generated"] == 1 and stats["inconsistent"] == 1
    assert stats["guard_hits"] == 1 and stats["heldout_skipped"] == 1 and stats["positive_found"] == 1
    assert stats["margin"]["negative_share"] == 0.0
    # seeded: the same negative again; another seed may pick another one from the window
    again, _ = mine_negatives(instances, store, encoder_for(vectors), texts, params, heldout_share=0.1)
    assert again == rows
    # the filter's ablation: "b" is mined and kept, marked; every other row is as the filter leaves it
    every, kept_stats = mine_negatives(instances, store, encoder_for(vectors), texts, params, heldout_share=0.1,
                                       keep_inconsistent=True)
    assert [r["id"] for r in every] == ["a", "b", "c"] and every[1]["consistent"] is False
    assert every[1]["negative_source"] == "mined" and every[1]["negative"] != every[1]["positive"]
    assert [r for r in every if r.get("consistent", True)] == rows
    assert kept_stats["inconsistent"] == 1 and kept_stats["mined"] == 2


def test_rank_window_is_respected(tmp_path):
    store, ids = build(tmp_path)
    texts = {i: f"document {i} " * 10 for i in ids}
    instance = {"id": "a", "category": "short-long", "doc_id": ids[0], "query": "q", "positive": texts[ids[0]],
                "negative": None}
    vectors = {"q": axis(0), texts[ids[0]]: mix(0.90, 1)}
    picked = {mine_negatives([instance], store, encoder_for(vectors), texts,
                             MineParams(ranks=[1, 1], seed=s), heldout_share=0.1)[0][0]["negative"] for s in range(5)}
    assert picked == {texts[ids[3]]}   # rank 1 after exclusions, whatever the seed
    kept, stats = mine_negatives([instance], store, encoder_for(vectors), texts, MineParams(enabled=False), 0.1)
    assert kept == [] and stats["no_negative"] == 1   # nothing mined and no generated negative: dropped, counted
