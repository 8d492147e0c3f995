"""embedsdg_embed: D and the evaluation items as points in the student's space (eq. 2-3).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_embed
    dvc exp run -S embedsdg_embed.weights=uniform -S embedsdg_embed.dim_red=tsne pipelines/embedsdg/dvc.yaml

Writes data/embedsdg/space/: vectors.h5 (the N-vectors, HDF5 store layout, keyed by example id, not
normalised), points.jsonl (id, split, K-dim point, tokens) and reducer.npz (dim_red fitted on D;
later stages place evaluation items, decodings and interpolations with it).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from synthcraft.embedders import fingerprint
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedsdg.embedding import EmbedParams, load_student, sequence_vector, weighted_matrices
from synthcraft.methods.embedsdg.pool import example_text
from synthcraft.methods.embedsdg.reduce import Reducer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.store import STORE_FILE, StoreInfo, write_h5


@dataclass
class Paths:
    student: Path = Path("models/embedsdg/student")
    pool: Path = Path("data/embedsdg/pool.jsonl")
    eval: Path = Path("data/embedsdg/eval.jsonl")
    out: Path = Path("data/embedsdg/space")
    metrics: Path = Path("metrics/embedsdg/embed.json")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_embed
    pool, evaluation = read_jsonl(paths.pool), read_jsonl(paths.eval)
    model, tokenizer = load_student(str(paths.student))
    items = pool + evaluation
    matrices, cut = weighted_matrices(model, tokenizer, [example_text(i) for i in items], p)
    vectors = np.stack([sequence_vector(m) for m in matrices]).astype(np.float32)

    paths.out.mkdir(parents=True, exist_ok=True)
    info = StoreInfo(model=str(paths.student), fingerprint=fingerprint(str(paths.student)), dim=vectors.shape[1],
                     dtype="float32")
    write_h5(paths.out / STORE_FILE, info, iter([(np.array([i["id"] for i in items]), vectors)]), chunk_rows=1024)
    with h5py.File(paths.out / STORE_FILE, "a") as h5:   # same layout as the corpus store, but raw sums
        h5.attrs.update({"normalized": "none", "weights": p.weights, "layer": p.layer})

    reducer = Reducer(p.dim_red, p.k, p.seed, p.perplexity)
    points = np.vstack([reducer.fit(vectors[: len(pool)]), reducer.transform(vectors[len(pool):])])
    reducer.save(paths.out / "reducer.npz")
    lengths = [len(m) for m in matrices]
    write_jsonl(paths.out / "points.jsonl",
                [{"id": item["id"], "split": "pool" if i < len(pool) else "eval", "subject": item["subject"],
                  "point": [round(float(v), 5) for v in points[i]], "tokens": lengths[i]} for i, item in enumerate(items)])
    # Eq. 2 sums over tokens, so length is one direction of the space: say how much it drives the first axis.
    length_r = float(np.corrcoef(points[: len(pool), 0], lengths[: len(pool)])[0, 1])
    metrics = {"pool": len(pool), "eval": len(evaluation), "dim": int(vectors.shape[1]), "k": p.k,
               "dim_red": p.dim_red, "weights": p.weights, "cut_at_max_tokens": cut,
               "mean_tokens": round(float(np.mean(lengths)), 1), "axis1_length_correlation": round(length_r, 3)}
    if reducer.explained_variance:
        metrics["explained_variance"] = reducer.explained_variance
    write_metrics(paths.metrics, metrics)
    logging.info("embedded %d pool + %d eval items: %s", len(pool), len(evaluation), metrics)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_embed=EmbedParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
