"""embedder_subset: one cell of the influence matrix: train MiniLM on D plus some categories, score it.

    dvc repro pipelines/embedder/influence/dvc.yaml            # all 16 cells, the noise seeds, the table
    python pipelines/embedder/stages/subset.py --cell sl-ll --out metrics/embedder/influence/sl-ll.json

--cell names the categories added to the base set (base, or codes ss / sl / ls / ll joined by
"-", optionally "-seed<n>" to train with another seed). Training follows embedder_train, evaluation the
local mteb tasks and the benchmark tasks named in embedder_influence.benchmarks (STS-B by default);
the model itself is not kept (cache/embedder_subset/<cell>/), only its scores.
"""
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.methods.embedder.training import EmbedderTrainParams, train_embedder
from synthcraft.methods.embedder.evaluation import EmbedderEvaluateParams, evaluate_models, read_spec
from synthcraft.files import read_jsonl, write_json
from synthcraft.methods.embedder.influence import InfluenceParams, parse_cell, task_folders
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths


@dataclass
class Paths:
    cell: Path
    out: Path
    base: Path = Path("data/embedder/base.jsonl")
    data: Path = Path("data/embedder/train.jsonl")
    tasks: Path = Path("data/embedder/mteb_tasks")
    benchmarks: Path = Path("data/embedder/benchmarks")
    work: Path = Path("cache/embedder_subset")


def run(params, paths: Paths) -> dict:
    cell = paths.cell.name   # "sl-ll" (a --flag value arrives as a Path)
    categories, seed = parse_cell(cell)
    synthetic = read_jsonl(paths.data)
    empty = [c for c in categories if not any(r["category"] == c for r in synthetic)]
    if empty:
        raise SystemExit(f"embedder_subset {cell}: {paths.data} has no {', '.join(empty)} rows, so this cell would equal "
                         "a smaller one. Fix: raise embedder_instances.per_category, or check metrics/embedder/instances.json")
    rows = read_jsonl(paths.base) + [r for r in synthetic if r["category"] in categories]
    work = paths.work / cell
    train = train_embedder(rows, dataclasses.replace(params.embedder_train, seed=seed), work / "model", work / "trainer",
                           source=f"{paths.base} + {paths.data}")
    try:
        task_dirs = task_folders(paths.tasks, paths.benchmarks, params.embedder_influence.benchmarks)
    except FileNotFoundError as err:
        raise SystemExit(f"embedder_subset {cell}: {err}") from None
    outcome = evaluate_models({"trained": str(work / "model")}, task_dirs, work / "predictions", work / "results",
                              params.embedder_evaluate,
                              frozenset({"trained"}) if params.embedder_train.instruction else frozenset())
    types = {read_spec(d)["name"]: read_spec(d)["type"] for d in task_dirs}
    result = {"cell": cell, "categories": list(categories), "seed": seed, "rows": len(rows),
              "loss_first": train["loss_first"], "loss_last": train["loss_last"],
              "scores": outcome["scores"]["trained"], "task_types": types}
    write_json(paths.out, result)
    logging.info("%s: %d rows, scores %s", cell, len(rows), result["scores"])
    return result


def main() -> None:
    setup_logging()
    run(load_params(embedder_train=EmbedderTrainParams, embedder_evaluate=EmbedderEvaluateParams,
                    embedder_influence=InfluenceParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
