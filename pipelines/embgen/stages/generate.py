"""embgen_generate: one arm's QA pairs, generated until the arm's token budget is spent.

    dvc repro pipelines/embgen/dvc.yaml                       # both arms (a DVC foreach)
    python pipelines/embgen/stages/generate.py --arm embgen --out data/embgen/generated/embgen.jsonl

Arms, each with embgen_generate.budget_tokens output tokens of the same teacher (``generate:``):
    embgen   requests drawn by the proximity / intra / inter samplers (embgen_sampling), facts from
             the entity-description pairs, cluster-specialised system prompts
    one_doc  CRAFT-style: one document's training text per request, documents in turn (then again,
             with new sampling seeds, if the budget outlasts the corpus)
Writes the kept replies (``--out``), the QA pairs as chat training data (``--train``) and metrics:
tokens spent, requests, QA pairs and rejects, and for embgen the sampler mix, the clusters drawn and
the share of requests whose facts span more than one document.
"""
import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from synthcraft.budget import run_to_budget
from synthcraft.cluster import RayParams
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.generation import GenerateParams, special_tokens_of
from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.budget import EmbgenGenerateParams, qa_pairs
from synthcraft.methods.embgen.extraction import pair_text
from synthcraft.methods.embgen.prompts import (baseline_messages, cluster_profiles, embgen_messages, qa_request,
                                               system_for)
from synthcraft.methods.embgen.samplers import EmbgenSamplingParams, Sampler
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.teacher import make_teacher

import numpy as np


@dataclass
class Paths:
    arm: Path
    out: Path
    train: Path
    corpus: Path = Path("data/embgen/corpus.jsonl")
    pairs: Path = Path("data/embgen/pairs.jsonl")
    structure: Path = Path("data/embgen/structure.json")
    parts: Path = Path("cache/embgen_generate")
    metrics: Path = Path("metrics/embgen/generate")


def embgen_stream(pairs: list[dict], structure: dict, params, tokenizer):
    g, q = params.generate, params.embgen_generate
    special = special_tokens_of(tokenizer)
    labels = np.array(structure["labels"])
    sampler = Sampler(labels, np.array(structure["neighbours"]), params.embgen_sampling)
    profiles = cluster_profiles(structure)

    def make(k: int):
        draw = sampler.draw(k)
        system = system_for(draw, labels, profiles)
        facts = [pair_text(pairs[r]) for r in draw["pairs"]]
        messages = embgen_messages(system, draw["sampler"], facts, q.questions_per_request, special)
        docs = sorted({pairs[r]["doc_id"] for r in draw["pairs"]})
        request = qa_request(messages, tokenizer, key=["embgen", k], model=g.model, questions=q.questions_per_request,
                             max_tokens=q.max_tokens, sampling=g.sampling)
        return request, {"arm": "embgen", "order": k, "sampler": draw["sampler"], "clusters": draw["clusters"],
                         "pair_ids": [pairs[r]["pair_id"] for r in draw["pairs"]], "doc_ids": docs}
    return make


def one_doc_stream(docs: list[dict], params, tokenizer):
    g, q = params.generate, params.embgen_generate
    special = special_tokens_of(tokenizer)

    def make(k: int):
        doc = docs[k % len(docs)]
        messages = baseline_messages(doc["text"], q.questions_per_request, special)
        request = qa_request(messages, tokenizer, key=["one_doc", k], model=g.model, questions=q.questions_per_request,
                             max_tokens=q.max_tokens, sampling=g.sampling)
        return request, {"arm": "one_doc", "order": k, "doc_ids": [doc["doc_id"]]}
    return make


def run(params, paths: Paths) -> dict:
    g, q = params.generate, params.embgen_generate
    arm = str(paths.arm)
    if arm not in ARMS:
        raise SystemExit(f"--arm {arm}: not one of {ARMS}")
    tokenizer = load_tokenizer(g.tokenizer or g.model)
    if arm == "embgen":
        try:
            make = embgen_stream(read_jsonl(paths.pairs), json.loads(paths.structure.read_text()), params, tokenizer)
        except ValueError as err:
            raise SystemExit(f"embgen_generate --arm embgen: {err}") from None
    else:
        make = one_doc_stream(read_jsonl(paths.corpus), params, tokenizer)
    kept, stats = run_to_budget(make, q.budget_tokens, make_teacher(g, params.ray), paths.out, paths.parts / arm,
                                max_tokens=q.max_tokens, max_requests=q.max_requests, section="generate",
                                commit_every=g.commit_every, max_error_share=g.max_error_share)
    write_jsonl(paths.out, kept)
    qa, rejects = qa_pairs(kept)
    write_jsonl(paths.train, [{"messages": [{"role": "user", "content": r["question"]},
                                            {"role": "assistant", "content": r["answer"]}],
                               **{k: r[k] for k in ("id", "order", "doc_ids", "sampler", "clusters") if k in r}}
                              for r in qa])
    report = {"arm": arm, **stats, "qa_pairs": len(qa), "qa_rejects": dict(sorted(rejects.items())),
              "qa_per_request": round(len(qa) / len(kept), 3) if kept else None,
              "multi_document_share": round(float(np.mean([len(r["doc_ids"]) > 1 for r in kept])), 4) if kept else None,
              "distinct_documents": len({d for r in kept for d in r["doc_ids"]})}
    if arm == "embgen":
        report["sampler_mix"] = dict(sorted(Counter(r["sampler"] for r in kept).items()))
        report["multi_document_share_by_sampler"] = {
            s: round(float(np.mean([len(r["doc_ids"]) > 1 for r in kept if r["sampler"] == s])), 4)
            for s in report["sampler_mix"]}
        report["distinct_clusters"] = len({c for r in kept for c in r["clusters"]})
    write_metrics(paths.metrics / f"{arm}.json", report)
    logging.info("%s: %d requests within %d tokens -> %d QA pairs", arm, len(kept), q.budget_tokens, len(qa))
    return report


def main() -> None:
    setup_logging()
    run(load_params(generate=GenerateParams, embgen_generate=EmbgenGenerateParams, embgen_sampling=EmbgenSamplingParams,
                    ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
