"""Repeated training seeds (train.repeat_seeds): which runs to score, and the summary across them.

An adapter trained with extra seeds holds them in ``seeds/seed-<n>/`` (training.repeat_dir); each
is scored like any model, as ``<name>@seed<n>``, and summarised per measure: the values per seed,
mean +- sd, and a t-test across seeds (stats.across_seeds).
"""
from __future__ import annotations

from synthcraft.evaluation.stats import across_seeds
from synthcraft.training import repeat_runs


def model_runs(models: dict[str, str]) -> dict[str, str | None]:
    """Every model to score: base, each adapter, and each adapter's repeated training runs
    (train.repeat_seeds) as '<name>@seed<n>'."""
    runs = {"base": None}
    for name, adapter in models.items():
        runs[name] = adapter
        runs.update({f"{name}@seed{seed}": str(path) for seed, path in repeat_runs(adapter).items()})
    return runs


def is_repeat(run: str) -> bool:
    """Whether a run name from model_runs is a repeated training seed ('<name>@seed<n>')."""
    return "@seed" in run


def add_seed_summaries(report: dict, models: dict[str, str], reference: str | None, runs: dict,
                       values: dict[str, dict[str, float]]) -> None:
    """For each model trained with repeated seeds: per measure, mean +- sd across its runs and the
    t-test against base (one-sample on the differences) and against the reference (paired by seed
    when both were trained with the same seeds, else Welch)."""
    seeds_of = {name: [run.split("@seed")[1] for run in runs if run.startswith(f"{name}@seed")] for name in models}
    summaries = {}
    for name in models:
        if not seeds_of[name]:
            continue
        group = [name] + [f"{name}@seed{s}" for s in seeds_of[name]]
        summaries[name] = {}
        for measure, value in values.items():
            mine = [value[run] for run in group]
            entry = {"values": [round(v, 4) for v in mine], "vs_base": across_seeds(mine, value["base"])}
            if reference not in (None, name):
                other = [value[reference]] + [value[f"{reference}@seed{s}"] for s in seeds_of[reference]]
                entry[f"vs_{reference}"] = across_seeds(mine, other, paired=seeds_of[reference] == seeds_of[name])
            summaries[name][measure] = entry
    if summaries:
        report["across_seeds"] = summaries
