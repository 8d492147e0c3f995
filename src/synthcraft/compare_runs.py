"""Paired comparison of two runs (git revisions, DVC experiments, or the workspace) on the same
evaluation items: which data helps, and by how much.

    dvc exp run -n random -S retrieve.method=random
    python -m synthcraft.compare_runs HEAD random              # CRAFT (committed) vs the random control
    python -m synthcraft.compare_runs main workspace --model synthcraft

Each run's ``metrics/eval_items.csv`` holds every model's answer per item. For each model present
in both runs: accuracies, their difference with a paired bootstrap 95% interval, and the exact
McNemar test on the discordant items. Items are matched by their question hash, never by position.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys

import numpy as np

from synthcraft.evaluation import mcnemar_exact

ITEMS = "metrics/eval_items.csv"
FIXED_COLUMNS = ("item", "item_key", "subject", "answer")


def resolve(rev: str) -> str:
    """A git revision, or the name of a DVC experiment (its ref under refs/exps/)."""
    if rev == "workspace" or subprocess.run(["git", "rev-parse", "-q", "--verify", rev + "^{commit}"],
                                            capture_output=True).returncode == 0:
        return rev
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/exps/"], capture_output=True,
                          text=True, check=True).stdout.split()
    matches = [ref for ref in refs if ref.rsplit("/", 1)[-1] == rev]
    if len(matches) != 1:
        raise SystemExit(f"{rev!r} is neither a git revision nor one DVC experiment name "
                         f"(found {len(matches)}). Fix: see `dvc exp show` for names")
    return matches[0]


def read_items(rev: str, path: str = ITEMS) -> list[dict]:
    if rev == "workspace":
        text = open(path, encoding="utf-8").read()
    else:
        shown = subprocess.run(["git", "show", f"{resolve(rev)}:{path}"], capture_output=True, text=True)
        if shown.returncode:
            raise SystemExit(f"{rev}: no {path} ({shown.stderr.strip()}). Fix: run the evaluate stage there first")
        text = shown.stdout
    return list(csv.DictReader(io.StringIO(text)))


def paired_bootstrap(right_a: np.ndarray, right_b: np.ndarray, resamples: int = 10000, seed: int = 0):
    """95% percentile interval of accuracy(a) - accuracy(b), resampling items (pairs kept together)."""
    rng = np.random.default_rng(seed)
    diff = right_a.astype(float) - right_b.astype(float)
    picks = rng.integers(0, len(diff), size=(resamples, len(diff)))
    means = diff[picks].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def compare_runs(rows_a: list[dict], rows_b: list[dict], models: list[str] | None = None) -> dict:
    """{model: comparison} for every model column both runs have (or those named)."""
    by_key_b = {row["item_key"]: row for row in rows_b}
    shared = [row for row in rows_a if row["item_key"] in by_key_b]
    if not shared:
        raise SystemExit("the two runs share no evaluation items (different evaluate.dataset / subjects / limit?)")
    columns_a = [c for c in rows_a[0] if c not in FIXED_COLUMNS]
    columns_b = [c for c in rows_b[0] if c not in FIXED_COLUMNS]
    names = models or [c for c in columns_a if c in columns_b]
    out = {}
    for name in names:
        if name not in columns_a or name not in columns_b:
            raise SystemExit(f"model {name!r} is not in both runs (first: {columns_a}, second: {columns_b})")
        right_a = np.array([row[name] == row["answer"] for row in shared])
        right_b = np.array([by_key_b[row["item_key"]][name] == row["answer"] for row in shared])
        only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
        low, high = paired_bootstrap(right_a, right_b)
        out[name] = {"items": len(shared), "accuracy_first": round(float(right_a.mean()), 4),
                     "accuracy_second": round(float(right_b.mean()), 4),
                     "difference": round(float(right_a.mean() - right_b.mean()), 4),
                     "difference_ci95": [round(low, 4), round(high, 4)],
                     "only_first_right": only_a, "only_second_right": only_b,
                     "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6)}
    return out


def markdown(first: str, second: str, result: dict) -> str:
    lines = [f"| model | items | {first} | {second} | difference (95% paired bootstrap CI) | discordant ({first} / {second}) | McNemar p |",
             "|---|---|---|---|---|---|---|"]
    for name, r in result.items():
        lines.append(f"| {name} | {r['items']} | {r['accuracy_first']:.1%} | {r['accuracy_second']:.1%} | "
                     f"{r['difference'] * 100:+.1f} pts ({r['difference_ci95'][0] * 100:+.1f} to {r['difference_ci95'][1] * 100:+.1f}) | "
                     f"{r['only_first_right']} / {r['only_second_right']} | {r['mcnemar_p']:.3g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", help="git revision, DVC experiment name, or 'workspace'")
    parser.add_argument("second")
    parser.add_argument("--model", action="append", help="model column to compare (default: all shared)")
    parser.add_argument("--items", default=ITEMS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    args = parser.parse_args(argv)
    result = compare_runs(read_items(args.first, args.items), read_items(args.second, args.items), args.model)
    print(json.dumps(result, indent=2) if args.json else markdown(args.first, args.second, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
