"""What every benchmark does last: write its JSON result, print it, and end on the one-line summary;
and the machine it ran on (``runtime.machine``, the record every stage's metrics carry too), so a
ratio is read against the CPU kind and kernels that produced it."""
import json
from datetime import date
from pathlib import Path

from synthcraft.runtime import machine


def save_and_print(result: dict, out: str, summary: str) -> None:
    # Every result is dated and names its machine here, once, so no benchmark can leave either out.
    result = {"date": date.today().isoformat(), **result, "machine": result.get("machine") or machine()}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(summary)  # last line: the ratio against the baseline
