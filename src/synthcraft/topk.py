"""Exact top-k over the HDF5 store, streamed in chunks; any method that searches the store uses it.

Speed without giving up exactness: where the kernels have native bf16, each chunk is scored in
bfloat16 (about 9M docs/s on two AVX-512 cores, against 0.9M/s for fp32), which is only
approximate. Rounding q and x to bf16 and the bf16 result moves each score by at most
``eps = (3u + d*2^-23) * |q| * max|x|`` with u = 2^-8. So every document of a chunk's true top-k
has a coarse score >= (chunk's k-th coarse score) - 2*eps; exactly those candidates are re-scored
in float32 and merged. The result equals exact float32 top-k over the stored vectors, with memory
of one chunk plus k per query. Without native bf16 (the default portable CPU kernels, AVX2
machines) emulated bf16 scans at half fp32's speed, so the chunk is scanned in float32 and eps is
only the bound between two float32 sums of the same products.
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np
import torch
from tqdm.auto import tqdm

from synthcraft.runtime import bf16_supported
from synthcraft.store import EmbeddingStore

BF16_UNIT_ROUNDOFF = 2.0 ** -8
CONVERT_ROWS = 8192  # rows per f16 -> f32 -> bf16 conversion step (a 12 MB scratch buffer)


@dataclass
class Hit:
    """One selected store row: its score, the query that found it and its rank in that list."""
    row: int
    score: float
    query: str  # few-shot id, "mean", or "random"
    rank: int   # 1-based rank within its query's list (draw order for random)


def bf16_score_error(dim: int, query_norm: float = 1.0, row_norm: float = 1.001) -> float:
    """Bound on |bf16 score - exact score| (inputs rounded to bf16, fp32 accumulate, bf16 output)."""
    return (3 * BF16_UNIT_ROUNDOFF + 4 * BF16_UNIT_ROUNDOFF ** 2 + dim * 2.0 ** -23) * query_norm * row_norm


def fp32_score_error(dim: int, query_norm: float = 1.0, row_norm: float = 1.001) -> float:
    """Bound on the difference between two float32 sums of the same ``dim`` products (other order)."""
    return dim * 2.0 ** -23 * query_norm * row_norm


def streamed_topk(store: EmbeddingStore, queries: np.ndarray, k: int, chunk_rows: int = 65536,
                  progress: bool = True, scan: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows of ``store`` by inner product with each query: (scores, rows), best first.

    ``scan``: the coarse pass's dtype, ``bfloat16`` | ``float32`` | ``auto`` (bf16 only where the
    kernels in use have it natively); the result is the same exact top-k either way."""
    if scan == "auto":
        scan = "bfloat16" if bf16_supported("cpu") else "float32"
    dtype = {"bfloat16": torch.bfloat16, "float32": torch.float32}[scan]
    bound = bf16_score_error if dtype == torch.bfloat16 else fp32_score_error
    q32 = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    q_scan = q32.to(dtype)
    n_queries, k = len(q32), min(k, len(store))
    eps = bound(store.info.dim, float(q32.norm(dim=1).max()))
    best_scores = torch.full((n_queries, k), -math.inf)
    best_rows = torch.full((n_queries, k), -1, dtype=torch.int64)
    # Buffers are allocated once: converting into fresh memory costs 3x more than the conversion
    # itself (page faults), and reuse keeps memory flat.
    rows_scan = torch.empty((min(chunk_rows, len(store)), store.info.dim), dtype=dtype)
    scratch = torch.empty((min(CONVERT_ROWS, chunk_rows, len(store)), store.info.dim))
    with tqdm(total=len(store), unit="doc", unit_scale=True, desc="top-k", disable=not progress) as bar:
        for start, chunk in store.iter_chunks(chunk_rows):
            rows16, n = torch.from_numpy(chunk), len(chunk)
            for sub in range(0, n, len(scratch)):  # f16 -> f32 -> scan dtype: two fast vectorised copies
                part = scratch[: min(len(scratch), n - sub)]
                part.copy_(rows16[sub: sub + len(part)])
                rows_scan[sub: sub + len(part)].copy_(part)
            coarse = (q_scan @ rows_scan[:n].T).float()  # [queries, chunk]
            kk = min(k, n)
            kth = coarse.topk(kk, dim=1).values[:, -1:]
            # A document can only enter the final top-k if it is in its chunk's top-k AND beats the
            # running k-th exact score; both give a lower bound on its coarse score.
            floor = torch.maximum(kth - 2 * eps, best_scores[:, -1:] - eps)
            qi, ci = (coarse >= floor).nonzero(as_tuple=True)
            candidates, position = torch.unique(ci, return_inverse=True)
            exact_candidates = q32 @ rows16.index_select(0, candidates).float().T  # [queries, candidates]
            exact = torch.full_like(coarse, -math.inf)
            exact[qi, ci] = exact_candidates[qi, position]
            chunk_scores, chunk_idx = exact.topk(kk, dim=1)
            merged_scores = torch.cat([best_scores, chunk_scores], dim=1)
            merged_rows = torch.cat([best_rows, chunk_idx + start], dim=1)
            best_scores, pick = merged_scores.topk(k, dim=1)
            best_rows = merged_rows.gather(1, pick)
            bar.update(n)
    return best_scores.numpy(), best_rows.numpy()


def normalize(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def mean_pairwise_cosine(vectors: np.ndarray) -> float:
    """Mean cosine over distinct pairs: lower means a more diverse set."""
    n = len(vectors)
    if n < 2:
        return float("nan")
    unit = normalize(vectors.astype(np.float64))
    total = unit.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))  # sum over i != j of <u_i, u_j>
