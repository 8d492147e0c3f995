"""Paired comparison of two runs (git revisions, DVC experiments, or the workspace) on the same
evaluation items: which data helps, and by how much.

    dvc exp run -n random -S retrieve.method=random
    python -m synthcraft.compare_runs HEAD random              # CRAFT (committed) vs the random control
    python -m synthcraft.compare_runs main workspace --model synthcraft

Each run's ``metrics/eval_items.csv`` holds every model's answer per item and scoring form. For each
evaluation set and model present in both runs: accuracies, their difference with a paired bootstrap
95% interval, and the exact McNemar test on the discordant items, in one form (``--form``, default
the evaluate stage's primary form, cloze_norm; runs from before cloze scoring have only ``--form letter``).
Items are matched by set and question hash, never by position.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys

import numpy as np

from synthcraft.evaluation import EvaluateParams
from synthcraft.evaluation.stats import mcnemar_exact, paired_bootstrap

ITEMS = "metrics/eval_items.csv"
OLD_FIXED_COLUMNS = ("item", "item_key", "subject", "answer")


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
    return long_rows(list(csv.DictReader(io.StringIO(text))))


def long_rows(rows: list[dict]) -> list[dict]:
    """Rows as (set, item_key, model, <form>...). Tables written before evaluation sets and cloze
    scoring had one letter column per model and a single set: they read as set "default", form letter."""
    if not rows or "model" in rows[0]:
        return rows
    models = [c for c in rows[0] if c not in OLD_FIXED_COLUMNS]
    return [{"set": "default", "item_key": row["item_key"], "answer": row["answer"], "model": m, "letter": row[m]}
            for row in rows for m in models]


def compare_runs(rows_a: list[dict], rows_b: list[dict], models: list[str] | None = None,
                 form: str = EvaluateParams.primary) -> dict:
    """{"<set>/<model>": comparison} for every set and model both runs have (or the models named).
    A set present in only one run (or renamed) is matched to the other run's only set when each has one."""
    def index(rows):
        return {(row["set"], row["model"], row["item_key"]): row for row in rows}

    table_a, table_b = index(rows_a), index(rows_b)
    sets_a = sorted({k[0] for k in table_a})
    sets_b = sorted({k[0] for k in table_b})
    pairs = [(s, s) for s in sets_a if s in sets_b]
    if not pairs and len(sets_a) == len(sets_b) == 1:
        pairs = [(sets_a[0], sets_b[0])]
    out = {}
    for set_a, set_b in pairs:
        models_a = sorted({k[1] for k in table_a if k[0] == set_a})
        models_b = sorted({k[1] for k in table_b if k[0] == set_b})
        for name in models or [m for m in models_a if m in models_b]:
            if name not in models_a or name not in models_b:
                raise SystemExit(f"model {name!r} is not in both runs (first: {models_a}, second: {models_b})")
            shared = [(row, table_b[(set_b, name, key)]) for (s, m, key), row in table_a.items()
                      if s == set_a and m == name and (set_b, name, key) in table_b]
            if not shared:
                continue
            if form not in shared[0][0] or form not in shared[0][1]:
                raise SystemExit(f"form {form!r} is not in both runs (each scores its own evaluate.forms). Fix: "
                                 f"--form with one both have: cloze_norm, or letter for runs from before cloze")
            right_a = np.array([a[form] == a["answer"] for a, _ in shared])
            right_b = np.array([b[form] == b["answer"] for _, b in shared])
            only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
            low, high = paired_bootstrap(right_a, right_b)
            out[f"{set_a}/{name}"] = {
                "items": len(shared), "form": form, "accuracy_first": round(float(right_a.mean()), 4),
                "accuracy_second": round(float(right_b.mean()), 4),
                "difference": round(float(right_a.mean() - right_b.mean()), 4),
                "difference_ci95": [round(low, 4), round(high, 4)],
                "only_first_right": only_a, "only_second_right": only_b,
                "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6)}
    if not out:
        raise SystemExit("the two runs share no evaluation items (different evaluate.sets / subjects / limit?)")
    return out


def markdown(first: str, second: str, result: dict) -> str:
    form = next(iter(result.values()))["form"]
    lines = [f"| set/model ({form}) | items | {first} | {second} | difference (95% paired bootstrap CI) | discordant ({first} / {second}) | McNemar p |",
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
    parser.add_argument("--form", default=EvaluateParams.primary,
                        help=f"letter | cloze | cloze_norm (default: {EvaluateParams.primary}, the primary form)")
    parser.add_argument("--items", default=ITEMS)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    args = parser.parse_args(argv)
    result = compare_runs(read_items(args.first, args.items), read_items(args.second, args.items), args.model,
                          args.form)
    print(json.dumps(result, indent=2) if args.json else markdown(args.first, args.second, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
