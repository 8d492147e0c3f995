"""embedder_instances: one (query, positive, negative) instance per request, per task (E5 step 2).

    dvc repro pipelines/embedder/dvc.yaml:embedder_instances
    dvc exp run -S embedder_instances.grounded=false pipelines/embedder/dvc.yaml   # the paper's mode: the teacher writes all three

Grounded (default): each instance gets its own training document (never a held-out one, see
embedder_split.heldout_share); the teacher writes the missing side (see methods/embedder/prompts.py). Every
instance is checked against its category's length rules; rejects are counted by reason.
Resumable: parts in cache/embedder_instances/.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from synthcraft.cluster import RayParams
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.generation import GenerateParams, run_requests
from synthcraft.methods.embedder.collect import collect_instances
from synthcraft.methods.embedder.prompts import InstancesParams, instance_requests
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.methods.embedder.splits import SplitParams, is_heldout
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.teacher import make_teacher


@dataclass
class Paths:
    tasks: Path = Path("data/embedder/tasks.jsonl")
    corpus: Path = Path("data/corpus")
    out: Path = Path("data/embedder/instances.jsonl")
    raw: Path = Path("data/embedder/instances_raw.jsonl")
    parts: Path = Path("cache/embedder_instances")
    metrics: Path = Path("metrics/embedder/instances.json")


def run(params, paths: Paths) -> dict:
    p, g = params.embedder_instances, params.generate
    documents = []
    if p.grounded:
        rows = pq.read_table(paths.corpus, columns=["doc_id", "text"]).to_pylist()
        documents = sorted((r for r in rows if not is_heldout(r["doc_id"], params.embedder_split.heldout_share)),
                           key=lambda r: r["doc_id"])
    pairs = instance_requests(p, read_jsonl(paths.tasks), documents, load_tokenizer(g.tokenizer or g.model),
                              model=g.model, sampling=g.sampling)
    stats = run_requests(pairs, make_teacher(g, params.ray), paths.raw, paths.parts, commit_every=g.commit_every,
                         max_error_share=g.max_error_share, section="generate")
    instances, rejects = collect_instances(read_jsonl(paths.raw), p.rules)
    if not instances:
        raise SystemExit(f"embedder_instances: every instance was rejected ({dict(rejects)}). Fix: loosen "
                         "embedder_instances.short_max_words / long_min_words, or use a stronger teacher (generate.model)")
    write_jsonl(paths.out, instances)
    categories = sorted({r["category"] for r in instances})
    stats.update(backend=g.backend, model=g.model, instances=len(instances), grounded=p.grounded, rejected=dict(sorted(rejects.items())),
                 per_category={c: sum(r["category"] == c for r in instances) for c in categories},
                 instance_yield=round(len(instances) / len(pairs), 4))
    write_metrics(paths.metrics, stats)
    logging.info("%d instances %s; rejected %s", len(instances), stats["per_category"], dict(rejects))
    return stats


def main() -> None:
    setup_logging()
    run(load_params(generate=GenerateParams, embedder_instances=InstancesParams, embedder_split=SplitParams, ray=RayParams),
        parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
