"""prepare: ingest the corpus sources in params.yaml into Parquet shards.

    dvc repro prepare
    python stages/prepare.py --out data/corpus --metrics metrics/prepare.json

Writes data/corpus/part-*.parquet (doc_id, text, title, source) and metrics/prepare.json with, per
source, read / kept / dropped by reason and the first few file:line examples of each reason.
"""
import argparse
import logging
from dataclasses import dataclass
from typing import Optional

from synthcraft.corpus import SourceSpec, prepare_corpus
from synthcraft.params import load_section
from synthcraft.reports import setup_logging, write_json


@dataclass
class PrepareParams:
    sources: list[SourceSpec]
    min_chars: int = 200
    max_chars: int = 25000
    shard_rows: int = 5000
    max_docs: Optional[int] = None   # keep at most this many documents per source (quick runs)

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources must list at least one source")
        if not 0 <= self.min_chars < self.max_chars:
            raise ValueError(f"need 0 <= min_chars < max_chars (got {self.min_chars}, {self.max_chars})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/corpus")
    parser.add_argument("--metrics", default="metrics/prepare.json")
    args = parser.parse_args()
    setup_logging()
    params = load_section("prepare", PrepareParams)
    report = prepare_corpus(params.sources, args.out, params.min_chars, params.max_chars, params.shard_rows,
                            params.max_docs)
    write_json(args.metrics, report)
    for name, source in report["sources"].items():
        logging.info("%s: read %d, kept %d, dropped %s", name, source["read"], source["kept"], source["dropped"])


if __name__ == "__main__":
    main()
