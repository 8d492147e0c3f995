"""embedder_base: the influence analysis's non-synthetic base set D, (title, article) pairs with mined negatives.

    dvc repro pipelines/embedder/influence/dvc.yaml:embedder_base

The paper adds each subset of synthetic data to the public E5 data; here D is embedder_influence.base_rows
corpus articles (never held-out ones, never the synthetic instances' documents) with their titles
as queries, negatives mined exactly as for the synthetic rows (embedder_mine params).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft.embedders import Encoder
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedder.influence import InfluenceParams, title_pairs
from synthcraft.methods.embedder.mining import MineParams, mine_negatives
from synthcraft.methods.embedder.splits import SplitParams
from synthcraft.runtime import setup_logging
from synthcraft.sharding import check_model, open_store
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    corpus: Path = Path("data/corpus")
    store: Path = Path("data/store")
    instances: Path = Path("data/embedder/instances.jsonl")
    out: Path = Path("data/embedder/base.jsonl")
    metrics: Path = Path("metrics/embedder/base.json")


def run(params, paths: Paths) -> dict:
    corpus = pq.read_table(paths.corpus, columns=["doc_id", "text", "title"]).to_pylist()
    used = {r["doc_id"] for r in read_jsonl(paths.instances) if r.get("doc_id")}
    pairs = title_pairs(corpus, params.embedder_influence.base_rows, params.embedder_influence.seed,
                        params.embedder_split.heldout_share, used)
    with open_store(paths.store) as store:
        encoder = Encoder(check_model(store), precision="float32")
        rows, stats = mine_negatives(pairs, store, encoder, {r["doc_id"]: r["text"] for r in corpus},
                                     params.embedder_mine, params.embedder_split.heldout_share)
    write_jsonl(paths.out, rows)
    write_metrics(paths.metrics, stats)
    logging.info("base set: %d rows %s", len(rows), stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embedder_influence=InfluenceParams, embedder_mine=MineParams, embedder_split=SplitParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
