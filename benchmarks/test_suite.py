"""Where the test suite's time goes: wall time, seconds per test file and the slowest tests, per lane.

    python benchmarks/test_suite.py                  # the full suite (what `make test` and CI run)
    python benchmarks/test_suite.py --lane fast      # the daily lane: pytest -m "not slow"
    python benchmarks/test_suite.py --log run.log --label "what ran where"   # summarise a saved run

A saved run is the output of ``pytest -q --durations=0`` (for instance one made with the AVX2
emulation below); its JSON says so in ``source`` and ``label``, and the machine recorded is the
machine that read the log (``machine.summarised_on``), not necessarily the one that ran it.

To see on an AVX-512 bf16 machine what an AVX2-only one does with torch, run pytest with
``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2`` and torch's
native-bf16 check answering False (``bf16: auto`` then stays in float32, as there); llama.cpp's
kernels follow its build (``CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF ..."``).
Writes benchmarks/results/test_suite-<lane>.json; the last line is the wall time.
"""
import argparse
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from common import save_and_print
from synthcraft.runtime import machine

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+?)::(\S+)")
SUMMARY = re.compile(r"^=*\s*(.*?) in ([\d.]+)s")
LANES = {"full": [], "fast": ["-m", "not slow"]}


def summarise(log: str) -> dict:
    per_file, per_test = defaultdict(float), defaultdict(float)
    counts, wall = {}, None
    for line in log.splitlines():
        if m := DURATION.match(line):
            seconds, _, path, name = m.groups()
            per_file[path] += float(seconds)
            per_test[f"{path}::{name}"] += float(seconds)
        elif (m := SUMMARY.match(line)) and re.search(r"\d+ (passed|failed)", m.group(1)):
            counts = {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", m.group(1))}
            wall = float(m.group(2))
    if wall is None:
        raise SystemExit("no pytest summary line ('N passed ... in S s') in the log: was it `pytest -q --durations=0`?")
    slowest = sorted(per_test.items(), key=lambda kv: -kv[1])[:15]
    return {"wall_s": wall, "counts": counts,
            "seconds_per_file": {f: round(s, 1) for f, s in sorted(per_file.items(), key=lambda kv: -kv[1])},
            "slowest_tests": [{"test": t, "seconds": round(s, 1)} for t, s in slowest]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lane", choices=sorted(LANES), default="full")
    parser.add_argument("--log", help="summarise this saved `pytest -q --durations=0` output instead of running")
    parser.add_argument("--label", default="", help="what ran where (kept in the JSON)")
    parser.add_argument("--out")
    args = parser.parse_args()

    if args.log:
        log, source = Path(args.log).read_text(), f"saved log ({Path(args.log).name})"
    else:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "--durations=0", *LANES[args.lane]], cwd=REPO,
                              capture_output=True, text=True)
        log, source = done.stdout, f"run here ({time.perf_counter() - start:.0f} s with start-up)"
    result = {"lane": args.lane, "source": source, "label": args.label,
              **summarise(log),
              # A saved log may come from elsewhere: the machine that read it is all that is known here.
              "machine": {"summarised_on": machine()} if args.log else machine()}
    out = args.out or str(RESULTS / f"test_suite-{args.lane}.json")
    save_and_print(result, out, f"{args.lane} lane: {result['wall_s'] / 60:.1f} min, {result['counts']}")


if __name__ == "__main__":
    main()
