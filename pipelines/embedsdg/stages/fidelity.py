"""embedsdg_fidelity: can the decoder read a seed back out of its embedding matrix? (issue: decode fidelity)

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_fidelity
    dvc exp run -S embedsdg_fidelity.samples=64 pipelines/embedsdg/dvc.yaml

Before an interpolation's decoding can mean anything, the decoding of a single seed must give the
seed back: interpolating a seed with itself (eq. 4 with t1 = t2) is the seed's own matrix, so this
is the identity control of eq. 6. For a seeded sample of pool items the stage decodes each seed's
matrix after the copy prompt P_d under every setting:

- weights: ``attention`` (the student's attention, the default) or ``uniform`` (every token 1: the
  raw token embeddings; also the paper's 0/1 mask SM^w, which eq. 5 sets to 1 for every column);
- prompt: the chat template or a plain completion (``embedsdg_decode.chat``);
- join: ``as_embedded`` or ``running_text`` (where the space before the seed goes:
  methods/embedsdg/fidelity.py).

Per setting it reports the share decoded exactly, corpus BLEU and chrF against the seeds
(sacreBLEU), and the share that is usable by the decode stage's own test (``degenerate``). Writes
data/embedsdg/fidelity.jsonl (every decoding) and metrics/embedsdg/fidelity.json.
"""
import itertools
import logging
import random
from dataclasses import dataclass, replace
from pathlib import Path

from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedsdg.decoding import DecodeParams, decode_matrices, degenerate, prompt_parts
from synthcraft.methods.embedsdg.embedding import WEIGHTS, EmbedParams, interpolate, load_student, weighted_matrices
from synthcraft.methods.embedsdg.fidelity import JOINS, FidelityParams, joined, recovery
from synthcraft.methods.embedsdg.pool import example_text
from synthcraft.methods.embedsdg.prompts import copy_prompt
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics

@dataclass
class Paths:
    base: Path = Path("models/base")
    student: Path = Path("models/embedsdg/student")
    pool: Path = Path("data/embedsdg/pool.jsonl")
    out: Path = Path("data/embedsdg/fidelity.jsonl")
    metrics: Path = Path("metrics/embedsdg/fidelity.json")


def run(params, paths: Paths) -> dict:
    p, d, e = params.embedsdg_fidelity, params.embedsdg_decode, params.embedsdg_embed
    pool = {item["id"]: item for item in read_jsonl(paths.pool)}
    copy_ids = random.Random(d.seed).sample(sorted(pool), d.copy_examples)   # P_d's examples, as the decode stage draws them
    candidates = sorted(set(pool) - set(copy_ids))
    if p.samples > len(candidates):
        raise ValueError(f"embedsdg_fidelity.samples={p.samples}: {paths.pool} holds {len(candidates)} items besides "
                         f"P_d's examples. Fix: lower embedsdg_fidelity.samples")
    ids = random.Random(p.seed).sample(candidates, p.samples)
    seeds = [example_text(pool[i]).strip() for i in ids]
    copy_examples = [example_text(pool[i]) for i in copy_ids]
    student, tokenizer = load_student(str(paths.student))
    decoder = load_student(str(paths.base))[0] if d.decoder == "base" else student

    rows, settings = [], {}
    for weights, chat, join in itertools.product(WEIGHTS, (True, False), JOINS):
        prefix, suffix = prompt_parts(tokenizer, copy_prompt(copy_examples), chat)
        prefix, texts = joined(prefix, seeds, tokenizer, join)
        matrices, _ = weighted_matrices(student, tokenizer, texts, replace(e, weights=weights), desc="seeds")
        identity = [interpolate(m, m) for m in matrices]       # eq. 4 with t1 = t2: the seed's own matrix
        decoded = decode_matrices(decoder, tokenizer, prefix, suffix, identity, d.max_new_tokens, d.batch_size)
        texts_out = [r["text"] for r in decoded]
        name = f"{weights}/{'chat' if chat else 'plain'}/{join}"
        usable = [degenerate(t, d, copy_examples) is None for t in texts_out]
        settings[name] = {**recovery(texts_out, seeds), "usable": round(sum(usable) / len(usable), 4)}
        rows += [{"setting": name, "id": i, "seed": s, "decoded": t, "exact": t == s, "usable": u}
                 for i, s, t, u in zip(ids, seeds, texts_out, usable)]
        logging.info("%-32s %s", name, settings[name])
    write_jsonl(paths.out, rows)
    current = f"{e.weights}/{'chat' if d.chat else 'plain'}/as_embedded"
    best = max(settings, key=lambda s: (settings[s]["bleu"], settings[s]["exact"]))
    metrics = {"samples": p.samples, "decoder": d.decoder, "settings": settings, "current": current, "best": best}
    write_metrics(paths.metrics, metrics)
    logging.info("current %s: %s; best %s: %s", current, settings[current], best, settings[best])
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(embedsdg_fidelity=FidelityParams, embedsdg_decode=DecodeParams, embedsdg_embed=EmbedParams),
        parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
