"""retrieve: find the corpus documents closest to the task's few-shots (CRAFT section 3.4, B.4),
or, with retrieve.method=random, draw as many uniformly from the corpus (the control).

    dvc repro retrieve
    dvc exp run -S retrieve.strategy=mean -S retrieve.k=800
    dvc exp run -n random -S retrieve.method=random    # the random control, through every later stage

Writes data/retrieved/<task>.parquet (doc_id, text, score, query, rank, source) and
metrics/retrieve.json (score distribution, diversity as mean pairwise cosine, per-query counts).
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcraft.corpus import read_corpus
from synthcraft.embedders import Encoder
from synthcraft.fewshots import load_fewshots

from synthcraft.methods import random as random_method
from synthcraft.methods.craft.retrieval import (RetrieveParams, embedding_text, retrieval_report,
                                                retrieve)
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.sharding import check_model, open_store
from synthcraft.store import StoreError
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    corpus: Path = Path("data/corpus")
    store: Path = Path("data/store")
    fewshots: Path = Path("data/fewshots")
    out: Path = Path("data/retrieved")
    metrics: Path = Path("metrics/retrieve.json")


def run(params, paths: Paths) -> dict:
    p, task = params.retrieve, params.task
    started = time.perf_counter()
    shots = load_fewshots(paths.fewshots / f"{task.name}.jsonl", task.task_type)
    with open_store(paths.store) as store:
        encoder = Encoder(check_model(store, p.model, "retrieve.model"), precision="float32")
        if encoder.dim != store.info.dim:
            raise StoreError(f"{store.path}: dimension {store.info.dim}, model gives {encoder.dim}")
        vectors = encoder([embedding_text(s, task.task_type) for s in shots])
        if p.method == "random":
            hits = random_method.draw(store, vectors, p.k, p.seed)
        else:
            hits = retrieve(store, [s["id"] for s in shots], vectors, strategy=p.strategy, k=p.k,
                            oversample=p.oversample, chunk_rows=p.chunk_rows)
        ids = store.doc_ids[[h.row for h in hits]]
        report = retrieval_report(store, hits, requested=p.k)

    corpus = read_corpus(paths.corpus, columns=["doc_id", "text", "source"])
    corpus = corpus.filter(pc.is_in(corpus["doc_id"], pa.array(ids)))
    lookup = {d: (t, s) for d, t, s in zip(*(corpus[c].to_pylist() for c in ("doc_id", "text", "source")))}
    missing = [d for d in ids if d not in lookup]
    if missing:
        raise StoreError(f"{paths.store} holds {len(missing)} doc ids not in {paths.corpus}. Fix: re-run `dvc repro embed`")
    table = pa.table({
        "doc_id": list(ids), "text": [lookup[d][0] for d in ids], "score": [h.score for h in hits],
        "query": [h.query for h in hits], "rank": [h.rank for h in hits], "source": [lookup[d][1] for d in ids],
    })
    out = paths.out / f"{task.name}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out.with_name(out.name + ".tmp"))
    out.with_name(out.name + ".tmp").replace(out)
    report["sources"] = {v["values"]: v["counts"] for v in pc.value_counts(table["source"]).to_pylist()}
    metrics = {"task": task.name, "method": p.method, "strategy": p.strategy if p.method == "craft" else None, **report,
               "seconds": round(time.perf_counter() - started, 1)}
    write_metrics(paths.metrics, metrics)
    logging.info("retrieved %d documents for %s (%s); mean score %.3f, mean pairwise cosine %.3f",
                 len(hits), task.name, p.method if p.method != "craft" else p.strategy, report["score"]["mean"], report["mean_pairwise_cosine"])
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, retrieve=RetrieveParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
