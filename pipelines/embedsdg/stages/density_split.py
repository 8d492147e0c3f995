"""embedsdg_density_split: D and the evaluation items for the density check on SciQ (paper section 4.4).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_density_correlation
    dvc exp run -S embedsdg_density.pool_size=1000 pipelines/embedsdg/dvc.yaml

On MMLU the student answers near chance, so its accuracy per region has nothing for density to
explain. SciQ's student is well above chance, and SciQ has a train split large enough for cells to
hold many points: D = SciQ train items (the student is tuned on them by embedsdg_density_student,
the paper's "fine-tuning examples in a region"), evaluation = SciQ test items. Needs no teacher.
Writes data/embedsdg/density/pool.jsonl and eval.jsonl in the layout of embedsdg_split's files.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.evaluation.items import load_mcqa
from synthcraft.files import write_jsonl
from synthcraft.methods.embedsdg.correlation import DensityParams
from synthcraft.methods.embedsdg.pool import example_id
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    train: Path = Path("data/eval/sciq/train.jsonl")
    test: Path = Path("data/eval/sciq/test.jsonl")
    pool: Path = Path("data/embedsdg/density/pool.jsonl")
    eval: Path = Path("data/embedsdg/density/eval.jsonl")
    metrics: Path = Path("metrics/embedsdg/density/split.json")


def with_ids(items: list[dict], other: set[str] = frozenset()) -> tuple[list[dict], int]:
    """Items with embedsdg's id, duplicates (within the list or of ``other``) left out and counted."""
    kept, seen = [], set(other)
    for item in items:
        key = example_id(item)
        if key not in seen:
            seen.add(key)
            kept.append({**item, "id": key})
    return kept, len(items) - len(kept)


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_density
    pool, pool_duplicates = with_ids(load_mcqa(str(paths.train), limit=p.pool_size))
    evaluation, eval_duplicates = with_ids(load_mcqa(str(paths.test), limit=p.eval_size), {i["id"] for i in pool})
    write_jsonl(paths.pool, pool)
    write_jsonl(paths.eval, evaluation)
    counts = {"pool": len(pool), "eval": len(evaluation), "pool_duplicates": pool_duplicates,
              "eval_duplicates_or_in_pool": eval_duplicates, "train": str(paths.train), "test": str(paths.test)}
    write_metrics(paths.metrics, counts)
    logging.info("density check: D %d items, evaluation %d items (%d and %d duplicates left out)", len(pool),
                 len(evaluation), pool_duplicates, eval_duplicates)
    return counts


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_density=DensityParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
