"""embgen_embed: the entity-description pairs into an HDF5 embedding store of their own, keyed by pair id.

    dvc repro pipelines/embgen/dvc.yaml:embgen_embed

The shared embedder and store (the ``embed:`` section's model, precision and dtype): incremental
and resumable like the corpus store. What is embedded is "entity: description".
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.embedders import EmbedParams, Encoder, fingerprint
from synthcraft.files import read_jsonl
from synthcraft.methods.embgen.extraction import pair_text
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.store import StoreInfo, sync_store


@dataclass
class Paths:
    pairs: Path = Path("data/embgen/pairs.jsonl")
    store: Path = Path("data/embgen/store")
    metrics: Path = Path("metrics/embgen/embed.json")


def run(params, paths: Paths) -> dict:
    p = params.embed
    pairs = read_jsonl(paths.pairs)
    encoder = Encoder(p.model, p.precision, p.batch_size, p.min_cosine, p.device)
    texts = [pair_text(pair) for pair in pairs]
    if p.precision == "auto":
        encoder.calibrate(texts)
    info = StoreInfo(p.model, fingerprint(p.model), encoder.dim, p.dtype, encoder.compute_id())
    stats = sync_store(paths.store, [pair["pair_id"] for pair in pairs], texts, encoder, info,
                       commit_every=p.commit_every, chunk_rows=p.chunk_rows)
    stats.update(model=p.model, precision=encoder.precision)
    write_metrics(paths.metrics, stats)
    logging.info("pair store: %d pairs (%d encoded, %d reused)", stats["count"], stats["encoded"], stats["reused"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embed=EmbedParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
