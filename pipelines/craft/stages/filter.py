"""filter: CRAFT's checks on the generated samples, each reject counted (Appendix C funnel).

    dvc repro filter
    dvc exp run -S filter.similarity=0.9

Writes data/synthetic/<task>/train.parquet, train.jsonl (one training example per
line in task.supervision's form: `prompt`/`completion` for mcqa's cloze form, chat `messages` for the
others; both read as-is by TRL; each row keeps its provenance: id, doc_id, shot_ids), rejected.jsonl
(every dropped record with its reason), the folder's dataset card (README.md, metadata.json:
synthcraft.cards) and metrics/filter.json.
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from synthcraft.cards import CardParams, read_metrics, write_card
from synthcraft.fewshots import load_fewshots
from synthcraft.files import atomic_write_text, read_jsonl, write_jsonl
from synthcraft.funnel import FUNNEL, FilterParams, filter_samples
from synthcraft.models import BaseParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    generated: Path = Path("data/generated")
    fewshots: Path = Path("data/fewshots")
    out: Path = Path("data/synthetic")
    metrics: Path = Path("metrics/filter.json")
    funnel: Path = Path("metrics/filter_funnel.csv")   # the funnel as a CSV for `dvc plots`
    spend: Path = Path("metrics/generate.json")        # quoted by the card, not a dep (pipeline_deps.UNTRACKED_FIELDS)


def run(params, paths: Paths) -> dict:
    p, task = params.filter, params.task
    started = time.perf_counter()
    task_type = task.task_type
    shots = load_fewshots(paths.fewshots / f"{task.name}.jsonl", task_type)
    records = read_jsonl(paths.generated / f"{task.name}.jsonl")
    kept, rejected, report = filter_samples(records, task_type, shots, p.similarity, p.lsh_threshold)

    out = paths.out / task.name
    schema = pa.schema([("id", pa.string()), ("doc_id", pa.string())] +
                       [(key, pa.list_(pa.string()) if spec.get("type") == "array" else pa.string())
                        for key, spec in task_type.schema["properties"].items()])
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(kept, schema=schema), out / "train.parquet.tmp")
    (out / "train.parquet.tmp").replace(out / "train.parquet")
    shots = {r["id"]: r.get("shot_ids", []) for r in records}
    write_jsonl(out / "train.jsonl", [{"id": s["id"], "doc_id": s["doc_id"], "shot_ids": shots[s["id"]],
                                       **task_type.example(s, task.supervision)} for s in kept])
    write_jsonl(out / "rejected.jsonl", rejected)

    funnel = report.to_json()
    if not kept:
        funnel["warning"] = f"no sample survived; most were dropped as {report.dominant_reject()}"
        logging.warning("%s: %s. See %s", task.name, funnel["warning"], out / "rejected.jsonl")
    spend = read_metrics(paths.spend, ("model", "backend", "tokens_in", "tokens_out", "json_yield"))
    write_card(out, title=f"CRAFT synthetic data: {task.name}",
               summary=f"{task.type} training examples written by a teacher from corpus documents retrieved near "
                       f"the few-shots of data/fewshots/{task.name}.jsonl, after CRAFT's filters.",
               configs={"default": {"path": "train.jsonl", "rows": len(kept), "funnel": funnel,
                                    "description": f"training examples ({task.supervision} supervision)"},
                        "rejected": {"path": "rejected.jsonl", "rows": len(rejected),
                                     "description": "every dropped record with its reason"}},
               meta={"method": "CRAFT (retrieve near the few-shots, rewrite, filter), dvc.yaml",
                     "teacher": f"{spend['model']} via {spend['backend']}",
                     "student": params.base.model,
                     "format": "TRL: prompt/completion or chat messages per row, with id, doc_id (the source "
                               "document) and shot_ids (the few-shots in the teacher's prompt); train.parquet "
                               "holds the samples' fields",
                     "teacher_tokens": {k: spend[k] for k in ("tokens_in", "tokens_out", "json_yield") if k in spend},
                     "params": {"task": {"name": task.name, "type": task.type, "supervision": task.supervision},
                                "filter": {"similarity": p.similarity, "lsh_threshold": p.lsh_threshold}}},
               source=params.cards.corpus)
    metrics = {"task": task.name, **funnel, "seconds": round(time.perf_counter() - started, 1)}
    write_metrics(paths.metrics, metrics)
    atomic_write_text(paths.funnel, "stage,count\n" + "".join(f"{s},{funnel[s]}\n" for s in ("retrieved", *FUNNEL)))
    logging.info("kept %d of %d generated samples: %s", len(kept), len(records), funnel)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, filter=FilterParams, base=BaseParams, cards=CardParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
