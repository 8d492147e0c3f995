"""What study_evaluate.seed_sets saves: each evaluation set's scoring time, measured side by side in
one process, and the study's scoring cost with every run on every set against repeated seeds on
the named sets only.

    python benchmarks/study_scoring.py                          # the study's sets and arms, models/base
    python benchmarks/study_scoring.py --seed-sets sciq --repeats 2

Scoring time depends on the items and the model's size, not on its adapter (LoRA adds little), so
one model (models/base: `dvc repro base`) scored on each set stands for every run. The study's run
count comes from params.yaml: each arm of study_evaluate.models plus base, and each arm's repeated
seeds (study_train.repeat_seeds). Writes benchmarks/results/study_scoring.json; the last line is
the ratio of the two plans' costs.
"""
import argparse
import statistics
import time
from pathlib import Path

from common import save_and_print
from synthcraft.evaluation import EvaluateParams
from synthcraft.evaluation.runner import run_models
from synthcraft.params import load_section
from synthcraft.training import TrainParams

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-sets", nargs="+", default=["sciq"], help="where repeated seeds are scored")
    parser.add_argument("--repeats", type=int, default=1, help="rounds over the sets (median kept)")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "study_scoring.json"))
    args = parser.parse_args()

    p = load_section("study_evaluate", EvaluateParams, REPO / "params.yaml", base="evaluate")
    repeat_seeds = load_section("study_train", TrainParams, REPO / "params.yaml", base="train").repeat_seeds
    unknown = set(args.seed_sets) - set(p.sets)
    if unknown:
        raise SystemExit(f"--seed-sets {sorted(unknown)}: not among the study's sets {sorted(p.sets)}")
    sets = {name: spec.load_counting_skips()[0] for name, spec in p.sets.items()}
    seconds = {name: [] for name in sets}
    for _ in range(args.repeats):
        for name, items in sets.items():   # one set at a time, so each is timed alone
            began = time.perf_counter()
            run_models({"base": (str(REPO / "models" / "base"), None)}, {name: items}, {}, batch_size=p.batch_size,
                       device="cpu", bf16=False, forms=tuple(p.forms))
            seconds[name].append(time.perf_counter() - began)
            print(name, round(seconds[name][-1], 1), flush=True)
    per_run = {name: statistics.median(s) for name, s in seconds.items()}
    first_runs = 1 + len(p.models)                  # base and each arm's first seed
    repeat_runs = len(p.models) * len(repeat_seeds)
    every = (first_runs + repeat_runs) * sum(per_run.values())
    named = first_runs * sum(per_run.values()) + repeat_runs * sum(per_run[s] for s in args.seed_sets)
    result = {"sets": {name: {"items": len(sets[name]), "seconds_per_run": round(per_run[name], 1),
                              "items_per_second": round(len(sets[name]) / per_run[name], 2)} for name in sets},
              "forms": p.forms, "batch_size": p.batch_size, "repeats": args.repeats,
              "runs": {"first": first_runs, "repeated": repeat_runs}, "seed_sets": args.seed_sets,
              "study_scoring_minutes": {"every_run_on_every_set": round(every / 60, 1),
                                        "repeats_on_seed_sets_only": round(named / 60, 1)},
              "cost_ratio": round(named / every, 3)}
    save_and_print(result, args.out, f"repeated seeds on {args.seed_sets} only: {named / every:.2f}x the scoring time "
                                     f"of every run on every set ({every / 60:.1f} -> {named / 60:.1f} min)")


if __name__ == "__main__":
    main()
