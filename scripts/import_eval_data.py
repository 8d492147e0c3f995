"""Copy the public evaluation sets and train slices the project ships into data/eval/, with their
licenses and one provenance line per file.

    python scripts/import_eval_data.py --source /path/to/public-data   # rebuilds data/eval/ byte for byte

A maintainer's tool, run once when a set is added or changed: nothing in the pipelines or tests
reads the source folder, so a fresh clone works without it. Each shipped file is either a whole
source file or its first N rows in source order (the source keeps its own order), so the
selection is stated in one line and can be checked. Per dataset folder:
- the JSONL files, rows exactly as in the source (same keys, same text);
- the license file the source ships, under the source's own name (e.g. sciq_license.txt);
- provenance.jsonl: per file, the upstream origin, the source path, the source's sha256, the
  rows taken and the shipped file's sha256 (tests/test_eval_data.py checks the shipped bytes
  against it).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "data" / "eval"

# dataset -> (license file in the source's LICENSES/, upstream origin, [(shipped name, source path, rows or None)])
DATASETS = {
    "sciq": ("sciq_license.txt",
             "AI2 SciQ (Welbl, Liu & Gardner 2017), SciQ.zip as in EleutherAI/gpt-neox@49e7b2c7:data/sciq/SciQ.zip; "
             "choices shuffled per id with random.Random('sciq-v1:<id>')",
             [("test.jsonl", "mcqa/sciq/test.jsonl", None),
              ("validation.jsonl", "mcqa/sciq/validation.jsonl", None),
              ("train.jsonl", "mcqa/sciq/train.jsonl", 2000)]),
    "stsb": ("stsb_LICENSE.txt",
             "STS Benchmark English (Cer et al. 2017) from PhilipMay/stsb-multi-mt@30de0dec:data/stsb-en-*.csv",
             [("test.jsonl", "embedding/stsb/test.jsonl", None),
              ("train.jsonl", "embedding/stsb/train.jsonl", None)]),
    "banking77": ("banking77_CC-BY-4.0.txt",
                  "BANKING77 (Casanueva et al. 2020) from PolyAI-LDN/task-specific-datasets@57ec275d:banking_data/*.csv",
                  [("test.jsonl", "embedding/banking77/test.jsonl", None),
                   ("train.jsonl", "embedding/banking77/train.jsonl", None)]),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_dataset(source: Path, name: str) -> list[dict]:
    license_file, origin, files = DATASETS[name]
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "LICENSES" / license_file, folder / license_file)
    lines = []
    for shipped, path, rows in files:
        data = (source / path).read_bytes()
        kept = data.splitlines(keepends=True)
        if rows is not None:
            if rows > len(kept):
                raise SystemExit(f"{path} has {len(kept)} rows, fewer than the {rows} asked for")
            kept = kept[:rows]
        body = b"".join(kept)
        (folder / shipped).write_bytes(body)
        lines.append({"file": shipped, "origin": origin, "source_path": path, "source_sha256": sha256(data),
                      "source_rows": len(data.splitlines()), "selection": "all rows" if rows is None else
                      f"first {rows} rows in source order", "rows": len(kept), "sha256": sha256(body),
                      "license": license_file})
    (folder / "provenance.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the public-data folder (its README lists sources)")
    args = parser.parse_args()
    for name in DATASETS:
        for line in import_dataset(args.source, name):
            print(f"data/eval/{name}/{line['file']}: {line['rows']} rows ({line['selection']}), sha256 {line['sha256'][:12]}")


if __name__ == "__main__":
    main()
