"""The HDF5 embedding store: one file, ``embeddings`` [N, dim] (L2-normalised, row-chunked) and
``doc_id`` [N], plus attributes naming the model, its dimension and a fingerprint of its files.

Crash safety: encoded batches are committed as small part files under ``pending/`` (each written
to a temporary name and renamed), and the HDF5 file is only ever replaced whole by a new one
written beside it. A run killed at any point leaves the old store intact plus the committed
parts, and the next run continues from there. HDF5 itself is never edited in place, because a
killed writer can leave an HDF5 file unreadable.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import h5py
import numpy as np
from tqdm.auto import tqdm

from synthcraft.files import atomic_write, atomic_write_text, writing

STORE_FILE = "embeddings.h5"
PENDING_DIR = "pending"
FORMAT_VERSION = 1
ID_DTYPE = "S24"  # corpus.doc_id is 24 hex characters


class StoreError(ValueError):
    pass


@dataclass(frozen=True)
class StoreInfo:
    model: str          # the model spec as given in params (portable: pkg://... or a name)
    fingerprint: str    # of the model files, see embedders.fingerprint
    dim: int
    dtype: str = "float16"
    compute: str = ""   # how the vectors were computed: precision and CPU kernels (runtime.compute_id).
                        # Vectors made another way are not mixed in: the store is rebuilt

    def same_vectors(self, other: "StoreInfo") -> bool:
        """Whether rows computed under ``other`` may sit beside this store's rows."""
        return (self.fingerprint, self.dim, self.dtype, self.compute) == \
            (other.fingerprint, other.dim, other.dtype, other.compute)


class EmbeddingStore:
    """Read access to a validated store. Use as a context manager."""

    def __init__(self, path: str | Path):
        path = Path(path)
        self.path = path / STORE_FILE if path.is_dir() else path
        if not self.path.exists():
            raise StoreError(f"{self.path}: no embedding store. Fix: run `dvc repro embed` first")
        self._h5 = h5py.File(self.path, "r")
        try:
            self._validate()
        except Exception:
            self._h5.close()
            raise

    def _validate(self) -> None:
        h5, where = self._h5, self.path
        for name in ("embeddings", "doc_id"):
            if name not in h5:
                raise StoreError(f"{where}: missing dataset '{name}'; not a synthcraft store. Fix: delete it and re-run `dvc repro embed`")
        attrs = h5.attrs
        emb, ids = h5["embeddings"], h5["doc_id"]
        if emb.ndim != 2 or emb.shape[1] != attrs["dim"]:
            raise StoreError(f"{where}: embeddings shape {emb.shape} does not match dim={attrs['dim']}")
        if not (len(ids) == emb.shape[0] == attrs["count"]):
            raise StoreError(
                f"{where}: {len(ids)} doc ids, {emb.shape[0]} embeddings, count attribute {attrs['count']}: "
                f"the store is inconsistent. Fix: delete {where} and re-run `dvc repro embed`"
            )
        self.doc_ids = ids[:].astype(str)
        if len(np.unique(self.doc_ids)) != len(self.doc_ids):
            raise StoreError(f"{where}: duplicate doc ids. Fix: delete it and re-run `dvc repro embed`")
        self.embeddings = emb
        self.info = StoreInfo(model=attrs["model"], fingerprint=attrs["model_fingerprint"],
                              dim=int(attrs["dim"]), dtype=str(emb.dtype), compute=str(attrs.get("compute", "")))

    def __len__(self) -> int:
        return len(self.doc_ids)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._h5.close()

    def iter_chunks(self, chunk_rows: int) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (start row, rows) reusing one buffer, so memory stays at one chunk."""
        n = len(self)
        buffer = np.empty((min(chunk_rows, max(n, 1)), self.info.dim), dtype=self.embeddings.dtype)
        for start in range(0, n, chunk_rows):
            stop = min(start + chunk_rows, n)
            view = buffer[: stop - start]
            self.embeddings.read_direct(view, np.s_[start:stop], np.s_[0: stop - start])
            yield start, view

    def take(self, rows: Sequence[int]) -> np.ndarray:
        """Embeddings of the given rows, as float32, in the given order."""
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows)
        out = np.empty((len(rows), self.info.dim), dtype=np.float32)
        if len(rows):
            out[order] = self.embeddings[rows[order]]  # h5py wants increasing indices
        return out


# --- writing -------------------------------------------------------------------------------


def _pending_parts(store_dir: Path, info: StoreInfo) -> list[Path]:
    """Committed parts from an interrupted run with the same model; stale ones are discarded."""
    pending = store_dir / PENDING_DIR
    meta = pending / "meta.json"
    if meta.exists() and json.loads(meta.read_text()) == asdict(info):
        return sorted(pending.glob("part-*.npz"))
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir(parents=True)
    atomic_write_text(meta, json.dumps(asdict(info)), fsync=True)
    return []


def _save_part(path: Path, ids: Sequence[str], embeddings: np.ndarray) -> None:
    atomic_write(path, lambda fh: np.savez(fh, doc_id=np.asarray(ids, dtype=ID_DTYPE), embeddings=embeddings),
                 fsync=True)


def write_h5(target: Path, info: StoreInfo, blocks: Iterator[tuple[np.ndarray, np.ndarray]],
              chunk_rows: int) -> int:
    """Write a complete new store beside ``target`` and rename it over; returns the row count."""
    tmp = target.with_suffix(".h5.tmp")
    with h5py.File(tmp, "w") as h5:
        emb = h5.create_dataset("embeddings", shape=(0, info.dim), maxshape=(None, info.dim),
                                dtype=info.dtype, chunks=(chunk_rows, info.dim))
        ids = h5.create_dataset("doc_id", shape=(0,), maxshape=(None,), dtype=ID_DTYPE,
                                chunks=(max(chunk_rows, 1024),))
        count = 0
        for block_ids, block_emb in blocks:
            n = len(block_ids)
            emb.resize(count + n, axis=0)
            ids.resize(count + n, axis=0)
            emb[count: count + n] = block_emb.astype(info.dtype)
            ids[count: count + n] = np.asarray(block_ids, dtype=ID_DTYPE)
            count += n
        h5.attrs.update({"model": info.model, "model_fingerprint": info.fingerprint, "dim": info.dim,
                         "compute": info.compute, "normalized": "l2", "count": count,
                         "format_version": FORMAT_VERSION})
    with open(tmp, "rb+") as fh:  # on disk before the rename: a crash leaves the old store or the whole new one
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return count


def sync_store(store_dir: str | Path, doc_ids: Sequence[str], texts: Sequence[str],
               encode: Callable[[list[str]], np.ndarray], info: StoreInfo, *,
               commit_every: int = 1024, chunk_rows: int = 4096, progress: bool = True) -> dict:
    """Make the store hold exactly the embeddings of ``doc_ids``, encoding only what is missing.

    Documents already in the store (same model) are kept, documents no longer in the corpus are
    pruned, new ones are encoded shortest first (less padding) and committed every
    ``commit_every`` documents, so a killed run resumes where it stopped.
    """
    with writing(store_dir):  # one writer per store
        store_dir = Path(store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
        target = store_dir / STORE_FILE
        stats = {"documents": len(doc_ids), "reused": 0, "resumed": 0, "encoded": 0, "pruned": 0, "rebuilt": False}

        old = None
        if target.exists():
            old = EmbeddingStore(target)
            if not old.info.same_vectors(info):
                # another model, dtype, precision or kernels: every embedding must be redone, or the
                # store would hold rows no single run of the current code computes
                logging.getLogger(__name__).info("%s: rebuilt: stored %s, now %s", target, old.info, info)
                old.close()
                old, stats["rebuilt"] = None, True

        # A run killed after the new store replaced the old one, before pending/ was removed, leaves
        # parts whose documents the store already holds: they are skipped, never appended twice.
        stored = set(old.doc_ids) if old is not None else set()
        parts = _pending_parts(store_dir, info)
        resumed_ids: set[str] = set()
        for part in parts:
            with np.load(part) as data:
                resumed_ids.update(data["doc_id"].astype(str))
        resumed_ids -= stored
        stats["resumed"] = len(resumed_ids)

        wanted = set(doc_ids)
        todo = [i for i, d in enumerate(doc_ids) if d not in stored and d not in resumed_ids]
        todo.sort(key=lambda i: (len(texts[i]), doc_ids[i]))  # deterministic: a resumed run batches the same way

        with tqdm(total=len(todo), unit="doc", desc="embed", disable=not progress, dynamic_ncols=True) as bar:
            for start in range(0, len(todo), commit_every):
                batch = todo[start: start + commit_every]
                vectors = encode([texts[i] for i in batch])
                part = store_dir / PENDING_DIR / f"part-{len(parts):06d}.npz"
                _save_part(part, [doc_ids[i] for i in batch], vectors)
                parts.append(part)
                stats["encoded"] += len(batch)
                bar.update(len(batch))

        def blocks():
            if old is not None:
                keep = np.array([d in wanted for d in old.doc_ids])
                stats["reused"], stats["pruned"] = int(keep.sum()), int((~keep).sum())
                for start, rows in old.iter_chunks(chunk_rows):
                    mask = keep[start: start + len(rows)]
                    if mask.any():
                        yield old.doc_ids[start: start + len(rows)][mask], rows[mask]
            for part in parts:
                with np.load(part) as data:
                    ids = data["doc_id"].astype(str)
                    mask = np.array([d in wanted and d not in stored for d in ids], dtype=bool)
                    yield ids[mask], data["embeddings"][mask]

        if old is None and not parts and not doc_ids:
            raise StoreError("nothing to store: the corpus is empty")
        needs_write = old is None or stats["encoded"] or stats["resumed"] or len(stored - wanted)
        if needs_write:
            stats["count"] = write_h5(target, info, blocks(), chunk_rows)
        else:
            stats["reused"], stats["count"] = len(old), len(old)
        if old is not None:
            old.close()
        shutil.rmtree(store_dir / PENDING_DIR, ignore_errors=True)
        return stats
