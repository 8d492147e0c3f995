"""Streamed exact top-k over the HDF5 store vs FAISS IndexFlatIP in RAM, side by side.

    python benchmarks/retrieval.py                 # N = 1,000,000 (about 3 minutes)
    python benchmarks/retrieval.py --n 200000      # quicker

Builds a store of N random unit vectors (float16, 384-d) in a child process, then in this process:
streamed top-k (synthcraft.topk), a naive numpy scan over the same chunks, and FAISS on the
same vectors held in RAM as float32. Checks that the result sets are identical to exact top-k and
that peak RSS of the streamed scan stays within one chunk + 200 MB. Writes
benchmarks/results/retrieval.json; the last line printed is the throughput ratio vs FAISS.
"""
import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from common import save_and_print

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def build_store(path: str, n: int, dim: int, chunk_rows: int, seed: int) -> None:
    from synthcraft.store import StoreInfo, write_h5

    def blocks():
        rng = np.random.default_rng(seed)
        for start in range(0, n, 100_000):
            x = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32)
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            yield np.char.mod("%024x", np.arange(start, start + len(x))), x.astype(np.float16)

    write_h5(Path(path), StoreInfo("random", "random", dim), blocks(), chunk_rows=4096)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def naive_topk(store, queries, k, chunk_rows):
    """The obvious scan: f16 chunk -> f32 -> numpy matmul -> argpartition, merged per chunk."""
    best_s = np.full((len(queries), 0), -np.inf, np.float32)
    best_i = np.zeros((len(queries), 0), np.int64)
    for start, chunk in store.iter_chunks(chunk_rows):
        scores = queries @ chunk.astype(np.float32).T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_s = np.hstack([best_s, np.take_along_axis(scores, top, 1)])
        best_i = np.hstack([best_i, top + start])
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
    return best_s, best_i


def timed(fn, repeats):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=32)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--chunk-rows", type=int, default=65536)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "retrieval.json"))
    args = parser.parse_args()

    import faiss
    import torch

    from synthcraft.topk import streamed_topk
    from synthcraft.store import EmbeddingStore

    torch.set_num_threads(2)
    faiss.omp_set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "embeddings.h5"
        child = multiprocessing.get_context("spawn").Process(
            target=build_store, args=(str(path), args.n, args.dim, args.chunk_rows, 0))
        child.start()
        child.join()
        rng = np.random.default_rng(1)
        queries = rng.standard_normal((args.queries, args.dim), dtype=np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)

        with EmbeddingStore(path) as store:
            streamed_topk(store, queries, args.k, args.chunk_rows, progress=False)  # warm page cache
            rss_before = rss_mb()
            streamed_s, (ours_scores, ours_rows) = timed(
                lambda: streamed_topk(store, queries, args.k, args.chunk_rows, progress=False), args.repeats)
            rss_peak_delta = peak_rss_mb() - rss_before
            naive_s, _ = timed(lambda: naive_topk(store, queries, args.k, args.chunk_rows), 1)
            vectors = store.take(np.arange(len(store)))  # the FAISS side: everything in RAM as f32

        index = faiss.IndexFlatIP(args.dim)
        index.add(vectors)
        faiss_s, (faiss_scores, faiss_rows) = timed(lambda: index.search(queries, args.k), args.repeats)

    # Identical to exact top-k: same sets, except where two documents tie to float rounding.
    mismatched = 0
    for q in range(args.queries):
        if set(ours_rows[q]) != set(faiss_rows[q]) and abs(ours_scores[q, -1] - faiss_scores[q, -1]) > 1e-5:
            mismatched += 1
    chunk_mb = args.chunk_rows * args.dim * 2 / 2**20
    result = {
        "n": args.n, "dim": args.dim, "queries": args.queries, "k": args.k,
        "chunk_rows": args.chunk_rows,
        "streamed_docs_per_s": round(args.n / streamed_s), "faiss_flatip_docs_per_s": round(args.n / faiss_s),
        "naive_numpy_docs_per_s": round(args.n / naive_s),
        "ratio_vs_faiss": round(faiss_s / streamed_s, 3), "ratio_vs_naive": round(naive_s / streamed_s, 3),
        "peak_rss_delta_mb": round(rss_peak_delta, 1), "chunk_mb": round(chunk_mb, 1),
        "rss_within_chunk_plus_200mb": rss_peak_delta <= chunk_mb + 200,
        "max_abs_score_diff_vs_faiss": float(np.abs(ours_scores - faiss_scores).max()),
        "queries_with_different_sets": mismatched,
    }
    save_and_print(result, args.out, f"streamed top-k vs FAISS IndexFlatIP: {result['ratio_vs_faiss']:.2f}x throughput "
                                    f"({result['streamed_docs_per_s']:,} vs {result['faiss_flatip_docs_per_s']:,} docs/s), "
                                    f"peak RSS +{result['peak_rss_delta_mb']:.0f} MB, sets identical: {mismatched == 0}")


if __name__ == "__main__":
    main()
