"""prepare: ingest the corpus sources in params.yaml into Parquet shards.

    dvc repro prepare
    python stages/prepare.py --out data/corpus --metrics metrics/prepare.json

Writes data/corpus/part-*.parquet (doc_id, text, title, source) and metrics/prepare.json with, per
source, read / kept / dropped by reason and the first few file:line examples of each reason.
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft.corpus import PrepareParams, prepare_corpus

from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    out: Path = Path("data/corpus")
    metrics: Path = Path("metrics/prepare.json")


def run(params, paths: Paths) -> dict:
    p = params.prepare
    started = time.perf_counter()
    report = prepare_corpus(p.sources, paths.out, p.min_chars, p.max_chars, p.shard_rows, p.max_docs)
    report["seconds"] = round(time.perf_counter() - started, 1)
    write_metrics(paths.metrics, report)
    for name, source in report["sources"].items():
        logging.info("%s: read %d, kept %d, dropped %s", name, source["read"], source["kept"], source["dropped"])
    return report


def main() -> None:
    setup_logging()
    run(load_params(prepare=PrepareParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
