"""study_generate: a rewriting arm's training rows, written by the teacher until the arm's budget of
output tokens is spent, then CRAFT's filters (synthcraft.study.generation).

    dvc repro pipelines/study/dvc.yaml                  # every arm (this one: a DVC foreach)
    dvc exp run -S study.budget_tokens=16000 pipelines/study/dvc.yaml
    python pipelines/study/stages/generate.py --arm craft --out data/study/generated/craft.jsonl \
        --train data/study/train/craft.jsonl --rejected data/study/rejected/craft.jsonl

Arms (synthcraft.study.streams): ``craft`` rewrites documents retrieved near the few-shots
(``retrieve:``'s strategy and oversampling, study.documents deep), ``random`` a uniform draw of as
many; both with CRAFT's template, the same few-shots and the ``generate:`` section's teacher and
sampling. Writes the kept replies, the filtered training rows (task.supervision's form, with id,
doc_id, shot_ids and the stream position), every rejected record with its reason, and metrics:
tokens, requests, samples/s and tokens/s, the funnel and the selection's retrieval report.
"""
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.fewshots import load_fewshots
from synthcraft.funnel import FilterParams
from synthcraft.generation import GenerateParams
from synthcraft.methods.craft.retrieval import RetrieveParams
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import CRAFT, REWRITING, StudyParams, study_task
from synthcraft.study.generation import generate_arm
from synthcraft.study.streams import arm_documents, request_stream
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    arm: Path
    out: Path
    train: Path
    rejected: Path
    fewshots: Path = Path("data/study/fewshots")
    store: Path = Path("data/store")
    corpus: Path = Path("data/corpus")
    parts: Path = Path("cache/study_generate")
    metrics: Path = Path("metrics/study/generate")


def run(params, paths: Paths) -> dict:
    s, g = params.study, params.generate
    arm = str(paths.arm)
    if arm not in REWRITING:
        raise SystemExit(f"--arm {arm}: not one of {REWRITING}")
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    documents, selected, retrieve = arm_documents(paths.store, paths.corpus, shots, task.task_type, params.retrieve, s,
                                                  arm)
    make = request_stream(documents, shots, task, load_tokenizer(g.tokenizer or g.model), g, arm)
    _, report = generate_arm(arm, make, min(s.max_requests, len(documents)), shots, task, params, paths.out,
                             paths.train, paths.rejected, paths.parts / arm)
    report["selection"] = {"method": arm, "documents": len(documents),
                           "strategy": retrieve.strategy if arm == CRAFT else None, **selected}
    write_metrics(paths.metrics / f"{arm}.json", report)
    return report


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, generate=GenerateParams, retrieve=RetrieveParams,
                    filter=FilterParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
