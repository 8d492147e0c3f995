"""Run `dvc exp run` with a params profile (profiles/*.yaml) as `-S` overrides.

    python scripts/exp_profile.py profiles/tiny.yaml            # the whole pipeline in minutes
    python scripts/exp_profile.py profiles/openqa.yaml -n open  # extra args go to dvc exp run
    python scripts/exp_profile.py --print profiles/openqa.yaml  # only show the flags

One flag per leaf, so a nested key (evaluate.sets.mmlu_bio.limit) overrides only itself; a key
params.yaml does not have yet is added whole (`+evaluate.sets.new={...}`, DVC's Hydra syntax).
The flags go to dvc as an argument list, so values with spaces ("college biology") survive.
"""
import json
import subprocess
import sys

import yaml


def hydra_value(value) -> str:
    """A value in Hydra's override grammar: strings quoted, mappings with bare keys."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {hydra_value(v)}" for key, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value)   # numbers, true / false, null


def flags(profile: dict, params: dict, prefix: str = "") -> list[str]:
    out = []
    for key, value in profile.items():
        if key not in (params or {}):
            out += ["-S", f"+{prefix}{key}={hydra_value(value)}"]
        elif isinstance(value, dict) and isinstance(params[key], dict):
            out += flags(value, params[key], f"{prefix}{key}.")
        else:
            out += ["-S", f"{prefix}{key}={hydra_value(value)}"]
    return out


def main(argv: list[str]) -> int:
    show = "--print" in argv
    argv = [a for a in argv if a != "--print"]
    with open(argv[0], encoding="utf-8") as fh:
        profile = yaml.safe_load(fh)
    with open("params.yaml", encoding="utf-8") as fh:
        params = yaml.safe_load(fh)
    command = ["dvc", "exp", "run", *flags(profile, params), *argv[1:]]
    if show:
        print(" ".join(command))
        return 0
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
