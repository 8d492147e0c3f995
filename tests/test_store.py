import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from conftest import INFO, HashEncoder, store_corpus as corpus
from synthcraft.store import PENDING_DIR, STORE_FILE, EmbeddingStore, StoreError, StoreInfo, sync_store



def test_store_layout_and_validation(tmp_path):
    ids, texts = corpus(100)
    stats = sync_store(tmp_path, ids, texts, HashEncoder(), INFO, commit_every=32, chunk_rows=16, progress=False)
    assert stats["encoded"] == 100 and stats["count"] == 100
    assert not (tmp_path / PENDING_DIR).exists()
    with h5py.File(tmp_path / STORE_FILE) as h5:
        assert h5["embeddings"].dtype == np.float16 and h5["embeddings"].chunks == (16, 16)
        assert h5.attrs["model"] == "test-encoder" and h5.attrs["dim"] == 16 and h5.attrs["normalized"] == "l2"
    with EmbeddingStore(tmp_path) as store:
        assert sorted(store.doc_ids) == sorted(ids)
        vectors = store.take(range(len(store)))
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=2e-3)
        expected = HashEncoder()([texts[ids.index(d)] for d in store.doc_ids])
        np.testing.assert_allclose(vectors, expected, atol=2e-3)
        chunks = list(store.iter_chunks(30))
        assert [start for start, _ in chunks] == [0, 30, 60, 90] and len(chunks[-1][1]) == 10


def test_incremental_encodes_only_new_and_prunes_removed(tmp_path):
    ids, texts = corpus(100)
    sync_store(tmp_path, ids, texts, HashEncoder(), INFO, commit_every=32, progress=False)
    new_ids, new_texts = corpus(20, start=100)
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids[10:] + new_ids, texts[10:] + new_texts, encoder, INFO, progress=False)
    assert sorted(encoder.encoded) == sorted(new_texts)
    assert (stats["encoded"], stats["reused"], stats["pruned"], stats["count"]) == (20, 90, 10, 110)
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids[10:] + new_ids, texts[10:] + new_texts, encoder, INFO, progress=False)
    assert encoder.calls == 0 and stats["count"] == 110


def test_other_model_rebuilds(tmp_path):
    ids, texts = corpus(50)
    sync_store(tmp_path, ids, texts, HashEncoder(), INFO, progress=False)
    other = StoreInfo(model="other", fingerprint="e" * 32, dim=16)
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids, texts, encoder, other, progress=False)
    assert stats["rebuilt"] and len(encoder.encoded) == 50
    with EmbeddingStore(tmp_path) as store:
        assert store.info.model == "other"


def test_vectors_computed_another_way_are_not_mixed_in(tmp_path):
    """Same model, other precision or kernels (StoreInfo.compute): a corpus edit must not add rows
    computed one way to rows computed another; a store from before the field counts as unknown."""
    ids, texts = corpus(40)
    sync_store(tmp_path, ids, texts, HashEncoder(), INFO, progress=False)   # compute "" (unknown)
    portable = StoreInfo(INFO.model, INFO.fingerprint, INFO.dim, compute="float32 on portable MKL_CBWR=AVX2")
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids[5:], texts[5:], encoder, portable, progress=False)
    assert stats["rebuilt"] and len(encoder.encoded) == 35
    with EmbeddingStore(tmp_path) as store:
        assert store.info == portable
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids, texts, encoder, portable, progress=False)   # same compute: incremental
    assert not stats["rebuilt"] and stats["reused"] == 35 and len(encoder.encoded) == 5


def test_interrupted_run_resumes_to_identical_store(tmp_path):
    ids, texts = corpus(200)
    sync_store(tmp_path / "clean", ids, texts, HashEncoder(), INFO, commit_every=32, progress=False)
    with pytest.raises(KeyboardInterrupt):
        sync_store(tmp_path / "killed", ids, texts, HashEncoder(fail_after_calls=3), INFO, commit_every=32, progress=False)
    assert len(list((tmp_path / "killed" / PENDING_DIR).glob("part-*.npz"))) == 3
    assert not (tmp_path / "killed" / STORE_FILE).exists()
    encoder = HashEncoder()
    stats = sync_store(tmp_path / "killed", ids, texts, encoder, INFO, commit_every=32, progress=False)
    assert stats["resumed"] == 96 and len(encoder.encoded) == 104
    with EmbeddingStore(tmp_path / "clean") as clean, EmbeddingStore(tmp_path / "killed") as resumed:
        np.testing.assert_array_equal(clean.doc_ids, resumed.doc_ids)
        np.testing.assert_array_equal(clean.embeddings[:], resumed.embeddings[:])


KILLED_AFTER_WRITE = """
import os, sys
sys.path.insert(0, {tests!r})
from conftest import INFO, HashEncoder, store_corpus
from synthcraft import store

ids, texts = store_corpus({before})
if ids:
    store.sync_store({path!r}, ids, texts, HashEncoder(), INFO, commit_every=32, progress=False)
write_h5 = store.write_h5
def write_then_die(*args, **kwargs):  # the new store has replaced the old; pending/ is still there
    write_h5(*args, **kwargs)
    os._exit(9)
store.write_h5 = write_then_die
ids, texts = store_corpus({after})
store.sync_store({path!r}, ids, texts, HashEncoder(), INFO, commit_every=32, progress=False)
"""


@pytest.mark.parametrize("before", [0, 100])
def test_kill_between_store_rename_and_cleanup_adds_no_rows(tmp_path, before):
    """Killed after the rename, before pending/ is removed: the next run found the parts still
    matching and appended them again (4 rows for 3 documents, then every open failed)."""
    script = KILLED_AFTER_WRITE.format(tests=str(Path(__file__).parent), path=str(tmp_path), before=before,
                                       after=120)
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    assert list((tmp_path / PENDING_DIR).glob("part-*.npz")), "the kill must land while pending/ holds parts"
    ids, texts = corpus(120)
    encoder = HashEncoder()
    stats = sync_store(tmp_path, ids, texts, encoder, INFO, commit_every=32, progress=False)
    assert encoder.calls == 0 and stats["count"] == 120 and stats["resumed"] == 0
    assert not (tmp_path / PENDING_DIR).exists()
    with EmbeddingStore(tmp_path) as store:
        assert sorted(store.doc_ids) == sorted(ids)


def test_inconsistent_store_is_refused(tmp_path):
    ids, texts = corpus(20)
    sync_store(tmp_path, ids, texts, HashEncoder(), INFO, progress=False)
    with h5py.File(tmp_path / STORE_FILE, "a") as h5:
        h5["doc_id"].resize(19, axis=0)
    with pytest.raises(StoreError, match="19 doc ids, 20 embeddings.*inconsistent"):
        EmbeddingStore(tmp_path)
    with pytest.raises(StoreError, match="no embedding store"):
        EmbeddingStore(tmp_path / "missing")
