"""embedder_benchmarks: public benchmarks shipped in data/eval/, as mteb task folders.

    dvc repro pipelines/embedder/dvc.yaml:embedder_benchmarks
    dvc exp run -S 'embedder_benchmarks.tasks=[STSBenchmark,SciQRetrieval]' pipelines/embedder/dvc.yaml
    python pipelines/embedder/stages/benchmark_tasks.py --out data/embedder/benchmarks

STS-B test (similarity), BANKING77 (intent classification and clustering) and SciQ question ->
support passage retrieval; see synthcraft/methods/embedder/tasks.py. Every shipped file is checked
against its provenance sha256 as it is read, so a changed file stops here with the fix.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.methods.embedder.tasks import BenchmarksParams, build_benchmarks
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    data: Path = Path("data/eval")
    out: Path = Path("data/embedder/benchmarks")
    metrics: Path = Path("metrics/embedder/benchmarks.json")


def run(params, paths: Paths) -> dict:
    sizes = build_benchmarks(paths.out, paths.data, params.embedder_benchmarks)
    write_metrics(paths.metrics, sizes)
    logging.info("benchmark task folders in %s: %s", paths.out, sizes)
    return sizes


def main() -> None:
    setup_logging()
    run(load_params(embedder_benchmarks=BenchmarksParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
