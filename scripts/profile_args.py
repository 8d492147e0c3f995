"""Print a params profile (profiles/*.yaml) as `-S section.key=value` flags for `dvc exp run`.

    dvc exp run $(python scripts/profile_args.py profiles/tiny.yaml)
"""
import json
import sys

import yaml


def flags(profile: dict, prefix: str = "") -> list[str]:
    """One flag per leaf, so a nested key (evaluate.sets.mmlu_bio.limit) overrides only itself."""
    out = []
    for key, value in profile.items():
        if isinstance(value, dict):
            out += flags(value, f"{prefix}{key}.")
        else:
            out.append(f"-S {prefix}{key}={json.dumps(value) if isinstance(value, list) else value}")
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(" ".join(flags(yaml.safe_load(fh))))
