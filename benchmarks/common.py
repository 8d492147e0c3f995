"""What every benchmark does last: write its JSON result, print it, and end on the one-line summary."""
import json
from pathlib import Path


def save_and_print(result: dict, out: str, summary: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(summary)  # last line: the ratio against the baseline
