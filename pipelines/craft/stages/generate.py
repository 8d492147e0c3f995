"""generate: the teacher LLM rewrites each retrieved document into a task sample (CRAFT 3.5, B.5).

    dvc repro generate
    dvc exp run -S generate.backend=vllm -S generate.model=mistralai/Mistral-7B-Instruct-v0.2
    dvc exp run -S generate.backend=openai -S generate.openai.base_url=http://127.0.0.1:8080/v1
    dvc repro generate   # with ray.address: auto in params.yaml: backend replicas on a Ray cluster

Writes data/generated/<task>.jsonl (one row per request, sorted by id, no timings: its hash
depends only on inputs and params) and metrics/generate.json (counts, tokens, speed).
Resumable: committed parts live in cache/generate/<task>/ (not a DVC output); a re-run skips
finished request ids and retries errored ones. More errors than generate.max_error_share, or a
refused API key, stop the stage with a non-zero exit naming the first error and its fix.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft.cluster import RayParams
from synthcraft.fewshots import load_fewshots
from synthcraft.files import read_jsonl
from synthcraft.filters import extract_json
from synthcraft.generation import GenerateParams, run_requests
from synthcraft.methods.craft.template import build_requests
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams
from synthcraft.teacher import make_teacher


@dataclass
class Paths:
    retrieved: Path = Path("data/retrieved")
    fewshots: Path = Path("data/fewshots")
    out: Path = Path("data/generated")
    parts: Path = Path("cache/generate")
    metrics: Path = Path("metrics/generate.json")


def run(params, paths: Paths) -> dict:
    p, task = params.generate, params.task
    task_type = task.task_type
    shots = load_fewshots(paths.fewshots / f"{task.name}.jsonl", task_type)
    documents = pq.read_table(paths.retrieved / f"{task.name}.parquet", columns=["doc_id", "text"]).to_pylist()
    tokenizer = load_tokenizer(p.tokenizer or p.model)
    pairs = build_requests(documents, shots, task_type, tokenizer, model=p.model, shots_per_prompt=p.shots_per_prompt,
                           max_tokens=p.max_tokens or task_type.max_tokens, sampling=p.sampling)
    backend = make_teacher(p, params.ray)  # with ray.address set: replicated as actors on a Ray cluster

    out = paths.out / f"{task.name}.jsonl"
    stats = run_requests(pairs, backend, out, paths.parts / task.name, commit_every=p.commit_every,
                         max_error_share=p.max_error_share)
    completed = [r for r in read_jsonl(out) if r["finish_reason"] in ("stop", "length")]
    parsed = sum(extract_json(r["text"]) is not None for r in completed)  # the backend's JSON yield
    stats.update(backend=p.backend, model=p.model, json_yield=round(parsed / len(completed), 4) if completed else None)
    write_metrics(paths.metrics, stats)
    logging.info("generated %d of %d requests (%d resumed, %d retried, %d too long, %d errors %s); JSON yield %s",
                 stats["completed"], stats["requests"], stats["resumed"], stats["retried"],
                 stats["skipped_too_long"], stats["errors"], stats["errors_by_kind"], stats["json_yield"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, generate=GenerateParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
