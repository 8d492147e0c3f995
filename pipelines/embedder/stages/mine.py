"""embedder_mine: hard negatives for each instance from the corpus (exact top-k over the HDF5 store).

    dvc repro pipelines/embedder/dvc.yaml:embedder_mine
    dvc exp run -S 'embedder_mine.ranks=[1,5]' pipelines/embedder/dvc.yaml
    dvc exp run -S embedder_mine.enabled=false pipelines/embedder/dvc.yaml   # keep the teacher's negatives only

Queries are embedded with the store's own model; the positive's document, held-out documents and
near-duplicates of the positive are excluded (methods/embedder/mining.py). Writes data/embedder/train.jsonl
(query, positive, negative, negative_source, and the instance's provenance: what the recipe trains on,
after the consistency filter), data/embedder/train_unfiltered.jsonl (the same with the rows that
filter drops, marked ``consistent: false``: the filter's ablation trains on it), their dataset card
(data/embedder/README.md, metadata.json: synthcraft.cards) and metrics: rows in each file, mined /
kept / dropped counts over the unfiltered rows, guard hits and the query's score margin between
positive and negative.
"""
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft.cards import CardParams, read_metrics, write_card
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
    unfiltered: Path = Path("data/embedder/train_unfiltered.jsonl")
    metrics: Path = Path("metrics/embedder/mine.json")
    spend: Path = Path("metrics/embedder/instances.json")   # quoted by the card, not a dep (pipeline_deps.UNTRACKED_FIELDS)
    card: Path = Path("data/embedder")                      # the card's folder: README.md, metadata.json


def run(params, paths: Paths) -> dict:
    instances = read_jsonl(paths.instances)
    corpus = pq.read_table(paths.corpus, columns=["doc_id", "text"]).to_pylist()
    texts = {r["doc_id"]: r["text"] for r in corpus}
    with open_store(paths.store) as store:
        encoder = Encoder(check_model(store), precision="float32")
        every, stats = mine_negatives(instances, store, encoder, texts, params.embedder_mine,
                                      params.embedder_split.heldout_share, keep_inconsistent=True)
    rows = [r for r in every if r.get("consistent", True)]
    stats = {"rows": len(rows), "rows_unfiltered": len(every), **stats}
    write_jsonl(paths.out, rows)
    write_jsonl(paths.unfiltered, every)
    teacher = read_metrics(paths.spend, ("model", "backend", "requests", "instances", "rejected", "instance_yield",
                                         "tokens_in", "tokens_out"))
    write_card(paths.card, title="Synthetic text-embedding training data (E5-style)",
               summary="Query / positive / hard-negative triples for contrastive training of a text embedder: "
                       "tasks brainstormed and instances written by a teacher, negatives mined from the corpus.",
               configs={"default": {"path": paths.out.relative_to(paths.card).as_posix(), "rows": len(rows), "teacher_funnel": teacher,
                                    "mining": {k: v for k, v in stats.items() if isinstance(v, (int, float))},
                                    "description": "query, positive, negative per row"},
                        "unfiltered": {"path": paths.unfiltered.relative_to(paths.card).as_posix(), "rows": len(every),
                                       "description": "the same before the consistency filter (its ablation); "
                                                      "rows it drops have consistent: false"}},
               meta={"method": "Synthetic data for text embedders (E5-style), pipelines/embedder/dvc.yaml",
                     "teacher": f"{teacher.get('model')} via {teacher.get('backend')}",
                     "student": "the embedder trained on it (embed.model, MiniLM by default)",
                     "format": "sentence-transformers triples (query, positive, negative) with negative_source and "
                               "the instance's id, task, category and source document (doc_id)",
                     "params": {"embedder_mine": asdict(params.embedder_mine)}},
               source=params.cards.corpus)
    write_metrics(paths.metrics, stats)
    logging.info("training rows %d: %s", len(rows), stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embedder_mine=MineParams, embedder_split=SplitParams, cards=CardParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
