"""filter: CRAFT's checks on the generated samples, each reject counted (Appendix C funnel).

    dvc repro filter
    dvc exp run -S filter.similarity=0.9

Writes data/synthetic/<task>/train.parquet, train.jsonl (chat `messages`, read as-is by TRL and
axolotl), rejected.jsonl (every dropped record with its reason) and metrics/filter.json.
"""
import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synthcraft.fewshots import load_fewshots
from synthcraft.filters import filter_samples
from synthcraft.params import TaskParams, load_section
from synthcraft.reports import setup_logging, write_json
from synthcraft.tasks import get_task_type


@dataclass
class FilterParams:
    similarity: float = 0.85       # token-set ratio at or above which two samples are near-duplicates
    lsh_threshold: float = 0.3     # MinHash LSH candidate threshold (Jaccard), well below `similarity`

    def __post_init__(self):
        if not (0 < self.lsh_threshold <= self.similarity <= 1):
            raise ValueError("need 0 < lsh_threshold <= similarity <= 1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", default="data/generated")
    parser.add_argument("--fewshots", default="data/fewshots")
    parser.add_argument("--out", default="data/synthetic")
    parser.add_argument("--metrics", default="metrics/filter.json")
    parser.add_argument("--funnel", default="metrics/filter_funnel.csv", help="the funnel as a CSV for dvc plots")
    args = parser.parse_args()
    setup_logging()
    params = load_section("filter", FilterParams)
    task = load_section("task", TaskParams)
    task_type = get_task_type(task.type)

    shots = load_fewshots(Path(args.fewshots) / f"{task.name}.jsonl", task_type)
    path = Path(args.generated) / f"{task.name}.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    kept, rejected, report = filter_samples(records, task_type, shots, params.similarity, params.lsh_threshold)

    out = Path(args.out) / task.name
    out.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("id", pa.string()), ("doc_id", pa.string())] +
                       [(key, pa.list_(pa.string()) if spec.get("type") == "array" else pa.string())
                        for key, spec in task_type.schema["properties"].items()])
    pq.write_table(pa.Table.from_pylist(kept, schema=schema), out / "train.parquet")
    with open(out / "train.jsonl", "w", encoding="utf-8") as fh:
        for sample in kept:
            fh.write(json.dumps({"id": sample["id"], "messages": task_type.messages(sample)}, ensure_ascii=False) + "\n")
    with open(out / "rejected.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rejected)

    funnel = report.to_json()
    if not kept:
        buckets = {k: v for k, v in funnel.items() if k not in ("retrieved", "available", "format_error_reasons")}
        dominant = max(buckets, key=buckets.get) if records else "no generated records"
        funnel["warning"] = f"no sample survived; most were dropped as {dominant}"
        logging.warning("%s: %s. See %s", task.name, funnel["warning"], out / "rejected.jsonl")
    write_json(args.metrics, {"task": task.name, **funnel})
    Path(args.funnel).parent.mkdir(parents=True, exist_ok=True)
    stages = ["retrieved", "skipped_too_long", "generation_errors", "excessive_length", "format_errors",
              "exact_duplicates", "similar_to_fewshots", "similar_to_samples", "available"]
    Path(args.funnel).write_text("stage,count\n" + "".join(f"{s},{funnel[s]}\n" for s in stages))
    logging.info("kept %d of %d generated samples: %s", len(kept), len(records), funnel)


if __name__ == "__main__":
    main()
