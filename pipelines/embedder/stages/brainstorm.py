"""embedder_brainstorm: the teacher lists task descriptions for each length category (E5 step 1).

    dvc repro pipelines/embedder/dvc.yaml:embedder_brainstorm
    dvc exp run -S embedder_brainstorm.requests_per_category=20 pipelines/embedder/dvc.yaml
    dvc exp run -S generate.backend=openai -S generate.openai.base_url=http://127.0.0.1:8000/v1 pipelines/embedder/dvc.yaml

The teacher is the generate: section's (backend, model, sampling; brainstorming uses
embedder_brainstorm.temperature). Resumable like generate: parts in cache/embedder_brainstorm/. Writes
data/embedder/tasks.jsonl (id, category, task) and metrics with every rejected description by reason.
A category left without any task stops the stage, naming the params to change.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.generation import GenerateParams, run_requests
from synthcraft.methods.embedder.collect import collect_tasks
from synthcraft.methods.embedder.prompts import EXAMPLE_TASKS, BrainstormParams, brainstorm_requests
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.teacher import make_teacher


@dataclass
class Paths:
    out: Path = Path("data/embedder/tasks.jsonl")
    raw: Path = Path("data/embedder/brainstorm.jsonl")
    parts: Path = Path("cache/embedder_brainstorm")
    metrics: Path = Path("metrics/embedder/brainstorm.json")


def run(params, paths: Paths) -> dict:
    p, g = params.embedder_brainstorm, params.generate
    pairs = brainstorm_requests(p, load_tokenizer(g.tokenizer or g.model), model=g.model, sampling=g.sampling)
    stats = run_requests(pairs, make_teacher(g, params.ray), paths.raw, paths.parts, commit_every=g.commit_every,
                         max_error_share=g.max_error_share, section="generate")
    tasks, rejects = collect_tasks(read_jsonl(paths.raw), p.max_task_words, EXAMPLE_TASKS)
    per_category = {c: sum(t["category"] == c for t in tasks) for c in p.categories}
    empty = [c for c, n in per_category.items() if n == 0]
    if empty:
        raise SystemExit(f"embedder_brainstorm: no usable task for {', '.join(empty)} (rejects: {dict(rejects)}). Fix: raise "
                         "embedder_brainstorm.requests_per_category, or use a stronger teacher (generate.model)")
    write_jsonl(paths.out, tasks)
    stats.update(tasks=len(tasks), tasks_per_category=per_category, rejected=dict(sorted(rejects.items())))
    write_metrics(paths.metrics, stats)
    logging.info("%d tasks %s; rejected %s", len(tasks), per_category, dict(rejects))
    return stats


def main() -> None:
    setup_logging()
    run(load_params(generate=GenerateParams, embedder_brainstorm=BrainstormParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
