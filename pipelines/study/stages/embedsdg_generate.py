"""study_embedsdg_generate: EmbedSDG's training rows in the study, written by the teacher until the
study's budget of output tokens is spent, then the filters every arm has (synthcraft.study.generation).

    dvc repro pipelines/study/dvc.yaml:study_embedsdg_generate
    dvc exp run -S embedsdg_generate.degenerate_decoding=skip pipelines/study/dvc.yaml   # only pairs with a draft
    python pipelines/study/stages/embedsdg_generate.py

Requests are P_g over study_embedsdg_pairs' seed pairs, sparsest cell first: both documents, the
decoded draft between them (none where the decoding was unusable, or no request with
embedsdg_generate.degenerate_decoding=skip), one multiple-choice item each with the study's
few-shots as worked examples (synthcraft.study.embedsdg). The teacher and sampling are the
``generate:`` section's. Where the budget needs more requests than there are pairs, the stream
walks them again with other few-shots (counted: passes). Writes the kept replies, the training rows, every reject with its reason,
and metrics: the spend, the funnel, the share of kept requests with a draft, and the decoding's
tokens (material, outside the budget).
"""
import json
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.fewshots import load_fewshots
from synthcraft.files import read_jsonl
from synthcraft.funnel import FilterParams
from synthcraft.generation import GenerateParams
from synthcraft.methods.embedsdg.prompts import EmbedsdgGenerateParams
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import EMBEDSDG, StudyParams, study_task
from synthcraft.study.embedsdg import embedsdg_stream, usable_pairs
from synthcraft.study.generation import generate_arm
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    fewshots: Path = Path("data/study/fewshots")
    pairs: Path = Path("data/study/embedsdg")
    pairs_metrics: Path = Path("metrics/study/embedsdg/pairs.json")
    out: Path = Path("data/study/generated/embedsdg.jsonl")
    train: Path = Path("data/study/train/embedsdg.jsonl")
    rejected: Path = Path("data/study/rejected/embedsdg.jsonl")
    parts: Path = Path("cache/study_generate/embedsdg")
    metrics: Path = Path("metrics/study/generate/embedsdg.json")


def run(params, paths: Paths) -> dict:
    s, g = params.study, params.generate
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    documents = {doc["doc_id"]: doc for doc in read_jsonl(paths.pairs / "documents.jsonl")}
    policy = params.embedsdg_generate.degenerate_decoding
    pairs = usable_pairs(read_jsonl(paths.pairs / "pairs.jsonl"), policy)
    if not pairs:
        raise SystemExit(f"study_embedsdg_generate: no seed pair has a usable draft and embedsdg_generate."
                         f"degenerate_decoding={policy}. Fix: set it to no_draft")
    make = embedsdg_stream(documents, pairs, shots, task, load_tokenizer(g.tokenizer or g.model), g)
    kept, report = generate_arm(EMBEDSDG, make, s.max_requests, shots, task, params, paths.out, paths.train,
                                paths.rejected, paths.parts)
    material = json.loads(paths.pairs_metrics.read_text())
    report["selection"] = {"method": EMBEDSDG, "source": s.embedsdg_source, "documents": material["documents"],
                           "pairs": len(pairs), "degenerate_decoding": policy}
    report["passes"] = max((r["pass"] for r in kept), default=-1) + 1   # over the pairs, in stream order
    report["with_draft"] = sum(r["draft"] for r in kept)
    report["with_draft_share"] = round(report["with_draft"] / len(kept), 4) if kept else None
    report["material"] = material["material"]
    write_metrics(paths.metrics, report)
    return report


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, generate=GenerateParams, filter=FilterParams,
                    embedsdg_generate=EmbedsdgGenerateParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
