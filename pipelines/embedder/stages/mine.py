"""embedder_mine: hard negatives for each instance from the corpus (exact top-k over the HDF5 store).

    dvc repro pipelines/embedder/dvc.yaml:embedder_mine
    dvc exp run -S 'embedder_mine.ranks=[1,5]' pipelines/embedder/dvc.yaml
    dvc exp run -S embedder_mine.enabled=false pipelines/embedder/dvc.yaml   # keep the teacher's negatives only

Queries are embedded with the store's own model; the positive's document, held-out documents and
near-duplicates of the positive are excluded (methods/embedder/mining.py). Writes data/embedder/train.jsonl
(query, positive, negative, negative_source) and metrics: mined / kept / dropped counts, guard
hits and the query's score margin between positive and negative.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft.embedders import Encoder
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedder.mining import MineParams, mine_negatives
from synthcraft.methods.embedder.splits import SplitParams
from synthcraft.runtime import setup_logging
from synthcraft.sharding import check_model, open_store
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    instances: Path = Path("data/embedder/instances.jsonl")
    store: Path = Path("data/store")
    corpus: Path = Path("data/corpus")
    out: Path = Path("data/embedder/train.jsonl")
    metrics: Path = Path("metrics/embedder/mine.json")


def run(params, paths: Paths) -> dict:
    instances = read_jsonl(paths.instances)
    corpus = pq.read_table(paths.corpus, columns=["doc_id", "text"]).to_pylist()
    texts = {r["doc_id"]: r["text"] for r in corpus}
    with open_store(paths.store) as store:
        encoder = Encoder(check_model(store), precision="float32")
        rows, stats = mine_negatives(instances, store, encoder, texts, params.embedder_mine, params.embedder_split.heldout_share)
    write_jsonl(paths.out, rows)
    write_metrics(paths.metrics, stats)
    logging.info("training rows %d: %s", len(rows), stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embedder_mine=MineParams, embedder_split=SplitParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
