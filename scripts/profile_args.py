"""Print a params profile (profiles/*.yaml) as `-S section.key=value` flags for `dvc exp run`.

    dvc exp run $(python scripts/profile_args.py profiles/tiny.yaml)
"""
import json
import sys

import yaml


def flags(profile: dict) -> list[str]:
    return [f"-S {section}.{key}={json.dumps(value) if isinstance(value, (list, dict)) else value}"
            for section, values in profile.items() for key, value in values.items()]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(" ".join(flags(yaml.safe_load(fh))))
