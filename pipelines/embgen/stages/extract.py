"""embgen_extract: entity-description pairs from each document's training text, with grounding checks.

    dvc repro pipelines/embgen/dvc.yaml:embgen_extract
    dvc exp run -S generate.backend=openai -S generate.model=<strong model> pipelines/embgen/dvc.yaml

The extractor is the ``generate:`` section's backend and model (resumable parts in
cache/embgen_extract/). Writes data/embgen/pairs.jsonl {pair_id, doc_id, entity, description, topic};
metrics: pairs per document, grounding rate, every reject by reason, documents without pairs.
"""
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.generation import GenerateParams, request_id, run_requests, special_tokens_of
from synthcraft.methods.embgen.extraction import EmbgenExtractParams, parse_pairs, request
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.teacher import make_teacher


@dataclass
class Paths:
    corpus: Path = Path("data/embgen/corpus.jsonl")
    out: Path = Path("data/embgen/pairs.jsonl")
    replies: Path = Path("data/embgen/extraction_replies.jsonl")
    parts: Path = Path("cache/embgen_extract")
    metrics: Path = Path("metrics/embgen/extract.json")


def run(params, paths: Paths) -> dict:
    g, p = params.generate, params.embgen_extract
    docs = read_jsonl(paths.corpus)
    tokenizer = load_tokenizer(g.tokenizer or g.model)
    special = special_tokens_of(tokenizer)
    pairs = [(request(d["doc_id"], d["text"], tokenizer, special, model=g.model, max_pairs=p.max_pairs,
                      max_tokens=p.max_tokens, sampling=g.sampling), {"doc_id": d["doc_id"]}) for d in docs]
    stats = run_requests(pairs, make_teacher(g, params.ray), paths.replies, paths.parts,
                         commit_every=g.commit_every, max_error_share=g.max_error_share, section="generate")
    reply_of = {row["doc_id"]: row for row in read_jsonl(paths.replies)}
    rows, rejects, without = [], Counter(), 0
    for doc in docs:
        reply = reply_of[doc["doc_id"]]
        if reply["finish_reason"] not in ("stop", "length"):
            rejects[f"request_{reply['finish_reason']}"] += 1
            kept = []
        else:
            kept, why = parse_pairs(reply["text"], doc["text"], p.min_description_words)
            rejects.update(why)
        without += not kept
        for pair in kept:
            pair_id = request_id(doc["doc_id"], pair["entity"])[:16]
            rows.append({"pair_id": pair_id, "doc_id": doc["doc_id"], "topic": doc["topic"], **pair})
    if not rows:
        raise SystemExit(f"embgen_extract: none of the {len(docs)} documents yielded a pair ({dict(rejects)}). Fix: a "
                         "stronger extractor (generate.model), more tokens (embgen_extract.max_tokens) or other documents")
    write_jsonl(paths.out, rows)
    proposed = len(rows) + sum(n for k, n in rejects.items() if k in ("ungrounded_entity", "empty_description",
                                                                       "duplicate", "empty_entity"))
    grounding_checked = len(rows) + rejects["ungrounded_entity"] + rejects["empty_description"] + rejects["duplicate"]
    report = {"documents": len(docs), "pairs": len(rows), "pairs_per_document": round(len(rows) / len(docs), 3),
              "documents_without_pairs": without, "proposed_pairs": proposed,
              "grounding_rate": round(1 - rejects["ungrounded_entity"] / grounding_checked, 4) if grounding_checked else None,
              "rejects": dict(sorted(rejects.items())), "requests": stats, "backend": g.backend, "model": g.model}
    write_metrics(paths.metrics, report)
    logging.info("extract: %d pairs from %d documents (%d without), rejects %s", len(rows), len(docs), without,
                 dict(rejects))
    return report


def main() -> None:
    setup_logging()
    run(load_params(generate=GenerateParams, embgen_extract=EmbgenExtractParams, ray=RayParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
