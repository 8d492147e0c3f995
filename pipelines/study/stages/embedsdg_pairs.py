"""study_embedsdg_pairs: EmbedSDG's seed pairs in the study and their decoded interpolations.

    dvc repro pipelines/study/dvc.yaml:study_embedsdg_pairs
    dvc exp run -S study_embedsdg_regions.cells_per_axis=12 pipelines/study/dvc.yaml   # a finer grid
    dvc exp run -S embedsdg_embed.weights=uniform pipelines/study/dvc.yaml             # context-blind points

The first study.embedsdg_documents documents of the study.embedsdg_source arm's stream are EmbedSDG's
D (synthcraft.study.embedsdg). The study's student (models/base) embeds them (embedsdg_embed:), PCA
puts them in 2-D, and the grid's sparse cells give the seed pairs, sparsest first
(study_embedsdg_regions: embedsdg_regions' keys with the study's on top). Each pair's weighted
token matrices are averaged and the student decodes the result after the copy prompt
(study_embedsdg_decode: embedsdg_decode's keys with the study's on top: two copy examples, since
documents make a long prompt); each usable decoding is embedded again to see whether it lands in its pair's
cell. Decoding runs on the student, not the teacher: its tokens are material, reported beside the
generation budget. Writes data/study/embedsdg/documents.jsonl, pairs.jsonl (doc ids, cell, draft,
why a draft is unusable, tokens), grid.json, and metrics.
"""
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.fewshots import load_fewshots
from synthcraft.files import write_json, write_jsonl
from synthcraft.methods.craft.retrieval import RetrieveParams
from synthcraft.methods.embedsdg.decoding import DecodeParams, decode_matrices, degenerate, prompt_parts
from synthcraft.methods.embedsdg.embedding import (EmbedParams, interpolate, interpolation_vector, load_student,
                                                   sequence_vector, weighted_matrices)
from synthcraft.methods.embedsdg.grid import Grid, RegionsParams, candidate_cells, sparse_pairs, threshold_of
from synthcraft.methods.embedsdg.prompts import copy_prompt
from synthcraft.methods.embedsdg.reduce import Reducer
from synthcraft.models import load_causal_lm
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import StudyParams, study_task
from synthcraft.study.streams import arm_documents
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    fewshots: Path = Path("data/study/fewshots")
    store: Path = Path("data/store")
    corpus: Path = Path("data/corpus")
    student: Path = Path("models/base")
    out: Path = Path("data/study/embedsdg")
    metrics: Path = Path("metrics/study/embedsdg/pairs.json")


def run(params, paths: Paths) -> dict:
    s, e, r, d = params.study, params.embedsdg_embed, params.study_embedsdg_regions, params.study_embedsdg_decode
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    stream, _, _ = arm_documents(paths.store, paths.corpus, shots, task.task_type, params.retrieve, s, s.embedsdg_source)
    documents = stream[: s.embedsdg_documents]
    if len(documents) < s.embedsdg_documents:
        logging.warning("study_embedsdg_pairs: the %s arm has %d documents, fewer than study.embedsdg_documents=%d",
                        s.embedsdg_source, len(documents), s.embedsdg_documents)
    texts = [doc["text"] for doc in documents]

    started = time.perf_counter()
    model, tokenizer = load_student(str(paths.student))
    matrices, cut = weighted_matrices(model, tokenizer, texts, e)
    reducer = Reducer(e.dim_red, e.k, e.seed, e.perplexity)
    try:
        points = reducer.fit(np.stack([sequence_vector(m) for m in matrices]))
        grid = Grid(points, r.cells_per_axis)
        counts = grid.counts(points)
        threshold = threshold_of(counts, r)
        pairs = sparse_pairs(points, grid, counts, r, threshold)
    except ValueError as err:
        raise SystemExit(f"study_embedsdg_pairs: {err}") from None
    embed_seconds = time.perf_counter() - started

    started = time.perf_counter()
    copy_examples = [texts[i] for i in sorted(random.Random(d.seed).sample(range(len(texts)), min(d.copy_examples, len(texts))))]
    prefix, suffix = prompt_parts(tokenizer, copy_prompt(copy_examples), d.chat)
    # The eager attention that embedding needs (it returns the weights) decodes 1.6x slower than the
    # default kernel, with the same text (measured 2026-12-04): decode with a second, default copy.
    decoded = decode_matrices(load_causal_lm(str(paths.student)), tokenizer, prefix, suffix,
                              [interpolate(matrices[a], matrices[b]) for a, b in (p["rows"] for p in pairs)],
                              d.max_new_tokens, d.batch_size)
    reasons = [degenerate(x["text"], d, copy_examples) for x in decoded]
    usable = [i for i, why in enumerate(reasons) if why is None]
    again, _ = weighted_matrices(model, tokenizer, [decoded[i]["text"] for i in usable], e, desc="re-embed")
    landed = dict(zip(usable, grid.cells(reducer.transform(np.stack([sequence_vector(m) for m in again])))
                      if again else []))
    decode_seconds = time.perf_counter() - started

    inter_cells = grid.cells(reducer.transform(np.stack([interpolation_vector(matrices[a], matrices[b])
                                                         for a, b in (p["rows"] for p in pairs)])))
    rows = [{"order": k, "doc_ids": [documents[a]["doc_id"] for a in pair["rows"]], "cell": pair["cell"],
             "cell_count": pair["cell_count"], "axis": pair["axis"], "text": x["text"], "degenerate": reasons[k],
             "decode_tokens_in": x["tokens_in"], "decode_tokens_out": x["tokens_out"],
             "interpolation_in_cell": inter_cells[k].tolist() == pair["cell"],
             "in_cell": None if k not in landed else landed[k].tolist() == pair["cell"]}
            for k, (pair, x) in enumerate(zip(pairs, decoded))]
    paths.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(paths.out / "documents.jsonl", [{"doc_id": doc["doc_id"], "text": doc["text"], "point":
                                                 [round(float(v), 5) for v in points[i]]} for i, doc in enumerate(documents)])
    write_jsonl(paths.out / "pairs.jsonl", rows)
    write_json(paths.out / "grid.json", {**grid.spec(), "threshold": threshold, "counts": counts.tolist()})

    occupied = counts[counts > 0]
    metrics = {
        "source": s.embedsdg_source, "documents": len(documents), "cut_at_max_tokens": cut,
        "grid": {"cells": int(counts.size), "occupied": int(occupied.size), "threshold": threshold,
                 "candidate_cells": len(candidate_cells(counts, threshold, r.seed)),
                 "cells_used": len({tuple(p["cell"]) for p in pairs}),
                 "documents_per_occupied_cell": {"median": float(np.median(occupied)), "max": int(occupied.max())}},
        "pairs": len(pairs), "pairs_wanted": r.examples_per_arm,
        "distinct_documents_in_pairs": len({doc for row in rows for doc in row["doc_ids"]}),
        "usable_drafts": len(usable), "degenerate": dict(sorted(Counter(why for why in reasons if why).items())),
        "in_cell_rate": round(sum(rows[i]["in_cell"] for i in usable) / len(usable), 4) if usable else None,
        "interpolation_in_cell_rate": round(sum(row["interpolation_in_cell"] for row in rows) / len(rows), 4),
        "material": {"decode_tokens_in": sum(row["decode_tokens_in"] for row in rows),
                     "decode_tokens_out": sum(row["decode_tokens_out"] for row in rows)},
        "seconds": {"embed_and_grid": round(embed_seconds, 1), "decode": round(decode_seconds, 1)}}
    write_metrics(paths.metrics, metrics)
    logging.info("study_embedsdg_pairs: %d pairs from %d documents, %d usable drafts (%s)", len(pairs), len(documents),
                 len(usable), metrics["degenerate"])
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, retrieve=RetrieveParams, embedsdg_embed=EmbedParams,
                    study_embedsdg_regions=(RegionsParams, "embedsdg_regions"),
                    study_embedsdg_decode=(DecodeParams, "embedsdg_decode")),
        parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
