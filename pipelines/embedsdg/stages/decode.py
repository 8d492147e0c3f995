"""embedsdg_decode: interpolate each seed pair and let the student decode it (eq. 4-6).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_decode
    dvc exp run -S embedsdg_decode.chat=false pipelines/embedsdg/dvc.yaml

For every EmbedSDG and random pair: the seeds' weighted matrices are averaged (eq. 4) and fed to
the student after the copy prompt P_d (eq. 6). Each decoding is then embedded again and placed
with the fitted dim_red: the in-cell rate is the share that lands in its target cell (the pair's
sparse cell; for random pairs the cell of their interpolation point), a check the paper lacks.
Empty, too short, looping or prompt-copying decodings are skipped and counted by reason.
"""
import json
import logging
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedsdg.decoding import DecodeParams, decode_matrices, degenerate, prompt_parts
from synthcraft.methods.embedsdg.embedding import (EmbedParams, interpolate, interpolation_vector, load_student,
                                                   sequence_vector, weighted_matrices)
from synthcraft.methods.embedsdg.grid import Grid
from synthcraft.methods.embedsdg.pool import example_text
from synthcraft.methods.embedsdg.reduce import Reducer
from synthcraft.methods.embedsdg.prompts import copy_prompt
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.store import EmbeddingStore


@dataclass
class Paths:
    base: Path = Path("models/base")
    student: Path = Path("models/embedsdg/student")
    pool: Path = Path("data/embedsdg/pool.jsonl")
    space: Path = Path("data/embedsdg/space")
    regions: Path = Path("data/embedsdg/regions")
    out: Path = Path("data/embedsdg/decoded.jsonl")
    metrics: Path = Path("metrics/embedsdg/decode.json")


def run(params, paths: Paths) -> dict:
    p, e = params.embedsdg_decode, params.embedsdg_embed
    pool = {item["id"]: item for item in read_jsonl(paths.pool)}
    pairs = read_jsonl(paths.regions / "pairs.jsonl")
    grid = Grid.from_spec(json.loads((paths.regions / "grid.json").read_text()))
    reducer = Reducer.load(paths.space / "reducer.npz")
    model, tokenizer = load_student(str(paths.student))
    with EmbeddingStore(paths.space) as store:
        if store.info.dim != model.get_input_embeddings().weight.shape[1]:
            raise ValueError(f"{paths.space}: the stored vectors are {store.info.dim} wide, the student's embeddings "
                             f"{model.get_input_embeddings().weight.shape[1]}. Fix: re-run embedsdg_embed "
                             "(dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_embed)")

    seed_ids = sorted({s for pair in pairs for s in pair["seeds"]})
    matrices, _ = weighted_matrices(model, tokenizer, [example_text(pool[s]) for s in seed_ids], e, desc="seeds")
    matrix_of = dict(zip(seed_ids, matrices))
    interpolated = [interpolate(matrix_of[pair["seeds"][0]], matrix_of[pair["seeds"][1]]) for pair in pairs]
    inter_points = reducer.transform(np.stack([interpolation_vector(matrix_of[pair["seeds"][0]],
                                                                    matrix_of[pair["seeds"][1]]) for pair in pairs]))

    copy_examples = [example_text(pool[i]) for i in random.Random(p.seed).sample(sorted(pool), p.copy_examples)]
    prefix, suffix = prompt_parts(tokenizer, copy_prompt(copy_examples), p.chat)
    decoder = load_student(str(paths.base))[0] if p.decoder == "base" else model
    if decoder.get_input_embeddings().weight.shape[1] != interpolated[0].shape[1]:
        raise ValueError(f"embedsdg_decode.decoder = {p.decoder}: its embedding width differs from the student's. "
                         "Fix: decode with the student (embedsdg_decode.decoder=student)")
    decoded = decode_matrices(decoder, tokenizer, prefix, suffix, interpolated, p.max_new_tokens, p.batch_size)

    reasons = [degenerate(d["text"], p, copy_examples) for d in decoded]
    usable = [i for i, r in enumerate(reasons) if r is None]
    again, _ = weighted_matrices(model, tokenizer, [decoded[i]["text"] for i in usable], e, desc="re-embed")
    decoded_points = dict(zip(usable, reducer.transform(np.stack([sequence_vector(m) for m in again]))
                              if again else []))
    inter_cells = grid.cells(inter_points)
    rows = []
    for i, (pair, d) in enumerate(zip(pairs, decoded)):
        target = pair.get("cell") or inter_cells[i].tolist()
        point = decoded_points.get(i)
        rows.append({"kind": pair["kind"], "order": pair["order"], "seeds": pair["seeds"], "cell": target,
                     "text": d["text"], "degenerate": reasons[i], "decode_tokens_in": d["tokens_in"],
                     "decode_tokens_out": d["tokens_out"],
                     "interpolation_point": [round(float(v), 5) for v in inter_points[i]],
                     "interpolation_in_cell": inter_cells[i].tolist() == list(target),
                     "decoded_point": None if point is None else [round(float(v), 5) for v in point],
                     "in_cell": None if point is None else grid.cells(point[None])[0].tolist() == list(target)})
    write_jsonl(paths.out, rows)

    metrics = {"decoder": p.decoder, "copy_examples": p.copy_examples, "chat": p.chat}
    for kind in ("embedsdg", "random_pairs"):
        mine = [r for r in rows if r["kind"] == kind]
        kept = [r for r in mine if r["degenerate"] is None]
        metrics[kind] = {
            "pairs": len(mine), "usable": len(kept),
            "degenerate": dict(sorted(Counter(r["degenerate"] for r in mine if r["degenerate"]).items())),
            "degenerate_share": round(1 - len(kept) / len(mine), 4) if mine else None,
            "in_cell_rate": round(sum(r["in_cell"] for r in kept) / len(kept), 4) if kept else None,
            "interpolation_in_cell_rate": round(sum(r["interpolation_in_cell"] for r in mine) / len(mine), 4) if mine else None,
            "decode_tokens": sum(r["decode_tokens_in"] + r["decode_tokens_out"] for r in mine)}
    if not any(metrics[k]["usable"] for k in ("embedsdg", "random_pairs")):
        raise SystemExit(f"embedsdg_decode: every decoding is degenerate ({metrics['embedsdg']['degenerate']}). Fix: raise "
                         "embedsdg_decode.max_new_tokens, try embedsdg_decode.chat=false or embedsdg_embed.weights=uniform")
    write_metrics(paths.metrics, metrics)
    logging.info("decoded: %s", metrics)
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_decode=DecodeParams, embedsdg_embed=EmbedParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
