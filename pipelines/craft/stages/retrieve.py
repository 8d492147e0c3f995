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

import pyarrow.parquet as pq

from synthcraft.fewshots import load_fewshots
from synthcraft.methods.craft.retrieval import RetrieveParams
from synthcraft.methods.craft.selection import select_documents
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
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
    table, report = select_documents(paths.store, paths.corpus, shots, task.task_type, p)
    out = paths.out / f"{task.name}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out.with_name(out.name + ".tmp"))
    out.with_name(out.name + ".tmp").replace(out)
    metrics = {"task": task.name, "method": p.method, "strategy": p.strategy if p.method == "craft" else None, **report,
               "seconds": round(time.perf_counter() - started, 1)}
    write_metrics(paths.metrics, metrics)
    logging.info("retrieved %d documents for %s (%s); mean score %.3f, mean pairwise cosine %.3f",
                 len(table), task.name, p.method if p.method != "craft" else p.strategy, report["score"]["mean"], report["mean_pairwise_cosine"])
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, retrieve=RetrieveParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
