"""study_generate: one generative arm's training rows, written by the teacher until the arm's
budget of output tokens is spent, then CRAFT's filters.

    dvc repro pipelines/study/dvc.yaml                  # every arm (a DVC foreach)
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
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.budget import run_to_budget
from synthcraft.cluster import RayParams
from synthcraft.fewshots import load_fewshots
from synthcraft.files import write_jsonl
from synthcraft.funnel import FilterParams, filter_samples
from synthcraft.generation import GenerateParams
from synthcraft.methods.craft.retrieval import RetrieveParams
from synthcraft.methods.craft.selection import select_documents
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import GENERATIVE, StudyParams, study_task
from synthcraft.study.streams import request_stream, stream_order
from synthcraft.tasks import TaskParams
from synthcraft.teacher import make_teacher


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
    if arm not in GENERATIVE:
        raise SystemExit(f"--arm {arm}: not one of {GENERATIVE}")
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    selection = dataclasses.replace(params.retrieve, method=arm, k=s.documents, seed=s.seed)
    table, selected = select_documents(paths.store, paths.corpus, shots, task.task_type, selection)
    documents = stream_order(table.select(["doc_id", "text"]).to_pylist(), s.seed)
    make = request_stream(documents, shots, task, load_tokenizer(g.tokenizer or g.model), g, arm)
    max_tokens = g.max_tokens or task.task_type.max_tokens
    kept, spend = run_to_budget(make, s.budget_tokens, make_teacher(g, params.ray), paths.out, paths.parts / arm,
                                max_tokens=max_tokens, max_requests=min(s.max_requests, len(documents)),
                                section="generate", commit_every=g.commit_every, max_error_share=g.max_error_share)
    write_jsonl(paths.out, kept)
    samples, rejected, funnel = filter_samples(kept, task.task_type, shots, params.filter.similarity,
                                               params.filter.lsh_threshold)
    order = {r["id"]: (r["order"], r["shot_ids"]) for r in kept}
    write_jsonl(paths.train, [{"id": x["id"], "doc_id": x["doc_id"], "order": order[x["id"]][0],
                               "shot_ids": order[x["id"]][1], **task.task_type.example(x, task.supervision)}
                              for x in samples])
    write_jsonl(paths.rejected, rejected)
    report = {"arm": arm, **spend, "rows": len(samples), "funnel": funnel.to_json(),
              "rows_per_1k_tokens": round(1000 * len(samples) / spend["kept_tokens_out"], 2) if spend["kept_tokens_out"] else None,
              "selection": {"method": arm, "documents": len(documents),
                            "strategy": selection.strategy if arm == "craft" else None, **selected}}
    write_metrics(paths.metrics / f"{arm}.json", report)
    logging.info("%s: %d requests within %d tokens -> %d rows after the filters (%.3f samples/s)", arm,
                 spend["kept_requests"], s.budget_tokens, len(samples), spend["samples_per_s"] or 0)
    return report


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, generate=GenerateParams, retrieve=RetrieveParams,
                    filter=FilterParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
