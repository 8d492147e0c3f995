"""study_embgen_generate: EmbGen's training rows in the study, written by the teacher until the
study's budget of output tokens is spent, then the filters every arm has (synthcraft.study.generation).

    dvc repro pipelines/study/dvc.yaml:study_embgen_generate
    dvc exp run -S embgen_sampling.inter=0 pipelines/study/dvc.yaml      # without inter-cluster draws
    python pipelines/study/stages/embgen_generate.py

Requests are draws of EmbGen's samplers (``embgen_sampling:``) over the entity-description pairs and
clusters of study_embgen_extract / study_embgen_structure, with the clusters' system prompts, asking
for one multiple-choice item each with the study's few-shots as examples of its form
(synthcraft.study.embgen). The teacher and sampling are the ``generate:`` section's. Writes the kept
replies, the training rows, every reject with its reason, and metrics: the spend, the funnel, the
sampler mix and the share of requests whose pairs span more than one document.
"""
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.fewshots import load_fewshots
from synthcraft.files import read_jsonl
from synthcraft.funnel import FilterParams
from synthcraft.generation import GenerateParams
from synthcraft.methods.embgen.samplers import EmbgenSamplingParams
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import EMBGEN, StudyParams, study_task
from synthcraft.study.embgen import embgen_stream
from synthcraft.study.generation import generate_arm
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    fewshots: Path = Path("data/study/fewshots")
    pairs: Path = Path("data/study/embgen/pairs.jsonl")
    structure: Path = Path("data/study/embgen/structure.json")
    out: Path = Path("data/study/generated/embgen.jsonl")
    train: Path = Path("data/study/train/embgen.jsonl")
    rejected: Path = Path("data/study/rejected/embgen.jsonl")
    parts: Path = Path("cache/study_generate/embgen")
    metrics: Path = Path("metrics/study/generate/embgen.json")


def run(params, paths: Paths) -> dict:
    s, g = params.study, params.generate
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    pairs = read_jsonl(paths.pairs)
    try:
        make = embgen_stream(pairs, json.loads(paths.structure.read_text()), shots, task,
                             load_tokenizer(g.tokenizer or g.model), g, params.embgen_sampling)
    except ValueError as err:
        raise SystemExit(f"study_embgen_generate: {err}") from None
    kept, report = generate_arm(EMBGEN, make, s.max_requests, shots, task, params, paths.out, paths.train,
                                paths.rejected, paths.parts)
    report["selection"] = {"method": EMBGEN, "source": s.embgen_source, "pairs": len(pairs),
                           "documents": len({p["doc_id"] for p in pairs})}
    report["sampler_mix"] = dict(sorted(Counter(r["sampler"] for r in kept).items()))
    report["multi_document_share"] = round(sum(len(r["doc_ids"]) > 1 for r in kept) / len(kept), 4) if kept else None
    write_metrics(paths.metrics, report)
    return report


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, generate=GenerateParams, filter=FilterParams,
                    embgen_sampling=EmbgenSamplingParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
