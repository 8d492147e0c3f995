"""A store in shards: ``shard-00000/embeddings.h5`` ... plus ``manifest.json``, for corpora that
outgrow one file or one machine.

Each document belongs to shard ``hash(doc_id) % shards``, so adding documents never moves the
ones already stored, and each shard is an ordinary store kept up to date by ``store.sync_store``
(incremental, resumable, pruned) on its own: shards can be encoded by different workers. The
manifest is written last and names every shard with its row count; rows are numbered through the
shards in manifest order. Top-k runs per shard (in parallel) and merges exactly: every document
of the global top-k is in its own shard's top-k.

``embed.shards: 1`` (the default) keeps the single-file layout; ``open_store`` reads either.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from synthcraft.embedders import fingerprint
from synthcraft.files import atomic_write_text
from synthcraft.store import STORE_FILE, EmbeddingStore, StoreError, StoreInfo, sync_store
from synthcraft.topk import streamed_topk

MANIFEST = "manifest.json"


def shard_of(doc_id: str, shards: int) -> int:
    """Stable shard of a document: the same on every machine and run, whatever else is stored."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest(), "big") % shards


def shard_dir(store_dir: Path, shard: int) -> Path:
    return store_dir / f"shard-{shard:05d}"


def sync_sharded(store_dir: str | Path, doc_ids: Sequence[str], texts: Sequence[str],
                 encode: Callable[[list[str]], np.ndarray], info: StoreInfo, shards: int,
                 run_shards: Callable[[list[tuple]], list[dict]] | None = None, **sync_kwargs) -> dict:
    """``sync_store`` per shard, then the manifest. Returns the summed counts plus per-shard rows.

    ``run_shards`` takes the plan -- (shard folder, doc ids, texts) per shard -- and returns each
    shard's ``sync_store`` stats in order; the default runs them here, one after another
    (``shard_runner`` runs them as Ray tasks, ``ray_params`` a ``cluster.RayParams``). Switching from one file to shards (or to
    another shard count) re-encodes everything: the old layout is removed first.
    """
    store_dir = Path(store_dir)
    store_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = store_dir / MANIFEST
    old = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if old is not None and old["shards"] != shards:
        manifest_path.unlink()  # the manifest goes first: a half-switched store is never readable
        for entry in old["entries"]:
            shutil.rmtree(store_dir / entry["dir"], ignore_errors=True)
    assignment = np.array([shard_of(d, shards) for d in doc_ids], dtype=np.int64)
    totals: dict = {"documents": len(doc_ids), "reused": 0, "resumed": 0, "encoded": 0, "pruned": 0,
                    "rebuilt": False, "count": 0}
    plan = []
    for shard in range(shards):
        members = np.flatnonzero(assignment == shard)
        if len(members) == 0:
            raise StoreError(f"embed.shards={shards}: shard {shard} would hold no documents "
                             f"({len(doc_ids)} in the corpus). Fix: use fewer shards")
        plan.append((shard_dir(store_dir, shard), [doc_ids[i] for i in members], [texts[i] for i in members]))
    if run_shards is None:
        results = [sync_store(folder, ids, shard_texts, encode, info, **sync_kwargs) for folder, ids, shard_texts in plan]
    else:
        results = run_shards(plan)
    entries = []
    for (folder, _, _), stats in zip(plan, results):
        for key in ("reused", "resumed", "encoded", "pruned", "count"):
            totals[key] += stats[key]
        totals["rebuilt"] |= stats["rebuilt"]
        entries.append({"dir": folder.name, "count": stats["count"]})
    atomic_write_text(manifest_path, json.dumps({"shards": shards, "info": asdict(info), "entries": entries},
                                                indent=2) + "\n")
    (store_dir / STORE_FILE).unlink(missing_ok=True)  # a single-file store this replaces
    totals["shard_counts"] = [e["count"] for e in entries]
    return totals


def sync(store_dir: str | Path, doc_ids: Sequence[str], texts: Sequence[str],
         encode: Callable[[list[str]], np.ndarray], info: StoreInfo, shards: int = 1,
         run_shards: Callable[[list[tuple]], list[dict]] | None = None, **sync_kwargs) -> dict:
    """The embed stage's entry: one file when ``shards == 1`` (removing a sharded layout it
    replaces, after the new file is complete), else ``sync_sharded``."""
    store_dir = Path(store_dir)
    if shards > 1:
        return sync_sharded(store_dir, doc_ids, texts, encode, info, shards, run_shards, **sync_kwargs)
    stats = sync_store(store_dir, doc_ids, texts, encode, info, **sync_kwargs)
    if (store_dir / MANIFEST).exists():
        (store_dir / MANIFEST).unlink()
        for old in store_dir.glob("shard-*"):
            shutil.rmtree(old, ignore_errors=True)
    return stats


class ShardedStore:
    """The read interface of ``EmbeddingStore`` over a manifest's shards (rows numbered through
    the shards in manifest order). Use as a context manager."""

    def __init__(self, store_dir: str | Path):
        self.path = Path(store_dir) / MANIFEST
        manifest = json.loads(self.path.read_text())
        self.shards = [EmbeddingStore(Path(store_dir) / e["dir"]) for e in manifest["entries"]]
        for entry, shard in zip(manifest["entries"], self.shards):
            if len(shard) != entry["count"]:
                self.close()
                raise StoreError(f"{shard.path}: {len(shard)} rows, the manifest says {entry['count']}. "
                                 "Fix: re-run `dvc repro embed`")
        infos = {s.info for s in self.shards}
        if len(infos) != 1:
            self.close()
            raise StoreError(f"{self.path}: shards were encoded by different models or dtypes. Fix: re-run "
                             "`dvc repro embed`")
        self.info = infos.pop()
        self.offsets = np.cumsum([0] + [len(s) for s in self.shards])
        self.doc_ids = np.concatenate([s.doc_ids for s in self.shards])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def iter_chunks(self, chunk_rows: int) -> Iterator[tuple[int, np.ndarray]]:
        for offset, shard in zip(self.offsets, self.shards):
            for start, rows in shard.iter_chunks(chunk_rows):
                yield int(offset) + start, rows

    def take(self, rows: Sequence[int]) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.info.dim), dtype=np.float32)
        which = np.searchsorted(self.offsets, rows, side="right") - 1
        for shard in np.unique(which):
            mask = which == shard
            out[mask] = self.shards[shard].take(rows[mask] - self.offsets[shard])
        return out


def open_store(store_dir: str | Path) -> EmbeddingStore | ShardedStore:
    """The store in ``store_dir``, single-file or sharded."""
    store_dir = Path(store_dir)
    if (store_dir / MANIFEST).exists():
        return ShardedStore(store_dir)
    return EmbeddingStore(store_dir)


def topk(store: EmbeddingStore | ShardedStore, queries: np.ndarray, k: int, chunk_rows: int = 65536,
         progress: bool = True, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k like ``streamed_topk``; a sharded store is scanned shard by shard on ``workers``
    threads (torch releases the GIL) and the per-shard lists merged."""
    if not isinstance(store, ShardedStore):
        return streamed_topk(store, queries, k, chunk_rows, progress)

    def one(index: int):
        scores, rows = streamed_topk(store.shards[index], queries, k, chunk_rows, progress=False)
        return scores, rows + store.offsets[index]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(one, range(len(store.shards))))
    scores = np.concatenate([s for s, _ in parts], axis=1)
    rows = np.concatenate([r for _, r in parts], axis=1)
    k = min(k, len(store))
    # Best first; equal scores by row, so the order does not depend on the shard layout.
    order = np.lexsort((rows, -scores), axis=1)[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


def shard_runner(encoder_args: dict, info: StoreInfo, ray_params, **sync_kwargs):
    """A ``run_shards`` for ``sync_sharded``: each shard's ``sync_store`` as a Ray task,
    retried if its worker dies (the shard's committed parts make the retry resume).
    ``encoder_args`` builds the same ``Encoder`` in every task, its precision already decided."""
    import ray

    from synthcraft.cluster import connect

    connect(ray_params.address)

    @ray.remote(num_cpus=ray_params.cpus_per_actor, max_retries=ray_params.max_restarts)
    def sync_one(folder, ids, texts):
        from synthcraft.embedders import Encoder
        from synthcraft.store import sync_store

        return sync_store(folder, ids, texts, Encoder(**encoder_args), info, **{**sync_kwargs, "progress": False})

    def run(plan: list[tuple]) -> list[dict]:
        # Absolute paths: a worker's working directory is not the project's.
        refs = [sync_one.remote(str(Path(folder).resolve()), ids, texts) for folder, ids, texts in plan]
        try:
            return ray.get(refs, timeout=ray_params.timeout_s)
        except ray.exceptions.GetTimeoutError:
            for ref in refs:
                ray.cancel(ref, force=True)
            raise RuntimeError(f"the shards were not embedded within ray.timeout_s={ray_params.timeout_s:g} s; "
                               "committed parts are kept. Fix: raise ray.timeout_s, or use more shards") from None

    return run


def check_model(store: EmbeddingStore, requested: Optional[str] = None, param: str = "") -> str:
    """The model to embed queries against ``store`` with: the store's own, refusing any other.

    ``param`` names the params key that chose ``requested`` (e.g. ``retrieve.model``), so the error
    says what to change; stages that always use the store's model pass neither."""
    spec = requested or store.info.model
    if fingerprint(spec) != store.info.fingerprint:
        fix = f"set {param} to null, or re-" if param else ""
        raise StoreError(
            f"{store.path} was built with model {store.info.model!r} (fingerprint {store.info.fingerprint}), "
            f"but the queries would be embedded with {spec!r} (fingerprint {fingerprint(spec)}). "
            f"Fix: {fix or 're-'}run `dvc repro embed` with embed.model={spec!r} to rebuild the store"
        )
    return spec
