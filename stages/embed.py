"""embed: encode the corpus into the HDF5 embedding store, only what is not there yet.

    dvc repro embed
    dvc exp run -S embed.shards=8 -S ray.address=auto   # shards encoded as Ray tasks (README, "Ray")
    python stages/embed.py --corpus data/corpus --store data/store --metrics metrics/embed.json

Incremental (documents already stored are reused, removed ones pruned) and resumable (a killed
run continues from its last committed batch). See src/synthcraft/store.py for the file layout,
and src/synthcraft/sharding.py for ``embed.shards > 1`` (one store per shard plus a manifest).
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.corpus import read_corpus
from synthcraft.embedders import EmbedParams, Encoder, fingerprint

from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.sharding import shard_runner, sync
from synthcraft.store import StoreInfo


@dataclass
class Paths:
    corpus: Path = Path("data/corpus")
    store: Path = Path("data/store")
    metrics: Path = Path("metrics/embed.json")


def run(params, paths: Paths) -> dict:
    p = params.embed
    corpus = read_corpus(paths.corpus, columns=["doc_id", "text"])
    doc_ids, texts = corpus["doc_id"].to_pylist(), corpus["text"].to_pylist()
    encoder = Encoder(p.model, p.precision, p.batch_size, p.min_cosine, p.device)
    if p.precision == "auto":
        encoder.calibrate(texts)  # on the whole corpus, so a resumed run makes the same choice
    info = StoreInfo(p.model, fingerprint(p.model), encoder.dim, p.dtype, encoder.compute_id())

    started = time.perf_counter()
    sync_kwargs = {"commit_every": p.commit_every, "chunk_rows": p.chunk_rows}
    run_shards = None
    if params.ray.enabled:  # one Ray task per shard, each encoding at the precision chosen here
        if p.shards < 2:
            raise SystemExit("ray.address is set but embed.shards is 1: Ray encodes one shard per task. "
                             "Fix: -S embed.shards=<number of workers or more>")
        encoder_args = {"spec": p.model, "precision": encoder.precision, "batch_size": p.batch_size,
                        "min_cosine": p.min_cosine, "device": p.device}
        run_shards = shard_runner(encoder_args, info, params.ray, **sync_kwargs)
    stats = sync(paths.store, doc_ids, texts, encoder, info, shards=p.shards, run_shards=run_shards, **sync_kwargs)
    seconds = time.perf_counter() - started
    stats.update(model=p.model, dim=encoder.dim, dtype=p.dtype, precision=encoder.precision, compute=info.compute,
                 calibration_min_cosine=encoder.calibration_cosine, seconds=round(seconds, 2),
                 docs_per_s=round(stats["encoded"] / seconds, 2) if stats["encoded"] else None)
    write_metrics(paths.metrics, stats)
    logging.info("store: %d documents (%d encoded, %d reused, %d resumed, %d pruned) in %.1fs, precision %s",
                 stats["count"], stats["encoded"], stats["reused"], stats["resumed"], stats["pruned"],
                 seconds, encoder.precision)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embed=EmbedParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
