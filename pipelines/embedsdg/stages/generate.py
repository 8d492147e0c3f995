"""embedsdg_generate: the teacher writes one new example per request, for every arm (eq. 7).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_generate
    dvc exp run -S generate.backend=vllm -S generate.model=mistralai/Mistral-7B-Instruct-v0.2 pipelines/embedsdg/dvc.yaml

Requests: P_g for each EmbedSDG and random pair (two seeds + the decoded interpolation; without
a draft where the decoding was unusable, or no request with embedsdg_generate.degenerate_decoding=skip),
P_b for each random single seed. The teacher is the ``generate:`` section's backend and model,
with the mcqa schema as the decoding constraint, resumable parts (cache/embedsdg_generate/) and
request ids hashing everything that determines an output, like every synthcraft generation.
"""
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cluster import RayParams
from synthcraft.files import read_jsonl
from synthcraft.generation import GenerateParams, run_requests, special_tokens_of
from synthcraft.methods.embedsdg.pool import example_text
from synthcraft.methods.embedsdg.prompts import EmbedsdgGenerateParams, pair_messages, single_messages, teacher_request
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks.mcqa import TASK
from synthcraft.teacher import make_teacher


@dataclass
class Paths:
    pool: Path = Path("data/embedsdg/pool.jsonl")
    decoded: Path = Path("data/embedsdg/decoded.jsonl")
    seeds: Path = Path("data/embedsdg/regions/seeds.jsonl")
    out: Path = Path("data/embedsdg/generated.jsonl")
    parts: Path = Path("cache/embedsdg_generate")
    metrics: Path = Path("metrics/embedsdg/generate.json")


def build(pool: dict, decoded: list[dict], seeds: list[dict], tokenizer, g, degenerate_decoding: str) -> list[tuple]:
    special = special_tokens_of(tokenizer)
    max_tokens = g.max_tokens or TASK.max_tokens
    out = []
    for row in decoded:
        if row["degenerate"] and degenerate_decoding == "skip":
            continue
        first, second = (example_text(pool[s]) for s in row["seeds"])
        messages = pair_messages(first, second, None if row["degenerate"] else row["text"], special)
        request = teacher_request(messages, tokenizer, key=[row["kind"], row["order"], row["seeds"]], model=g.model,
                                  max_tokens=max_tokens, sampling=g.sampling)
        out.append((request, {"kind": row["kind"], "order": row["order"], "doc_id": "+".join(row["seeds"]),
                              "draft": not row["degenerate"],
                              "decode_tokens_in": row["decode_tokens_in"],
                              "decode_tokens_out": row["decode_tokens_out"]}))
    for row in seeds:
        messages = single_messages(example_text(pool[row["seeds"][0]]), special)
        request = teacher_request(messages, tokenizer, key=[row["kind"], row["order"], row["seeds"]], model=g.model,
                                  max_tokens=max_tokens, sampling=g.sampling)
        out.append((request, {"kind": row["kind"], "order": row["order"], "doc_id": row["seeds"][0]}))
    return out


def run(params, paths: Paths) -> dict:
    g = params.generate
    pool = {item["id"]: item for item in read_jsonl(paths.pool)}
    pairs = build(pool, read_jsonl(paths.decoded), read_jsonl(paths.seeds), load_tokenizer(g.tokenizer or g.model), g,
                  params.embedsdg_generate.degenerate_decoding)
    stats = run_requests(pairs, make_teacher(g, params.ray), paths.out, paths.parts, commit_every=g.commit_every,
                         max_error_share=g.max_error_share, section="generate")
    rows = read_jsonl(paths.out)
    # Counted from this run's requests: a resumed row keeps the provenance it was written with.
    provenance = [p for _, p in pairs]
    stats["per_kind"] = {kind: {"requests": n, "with_draft": sum(bool(p.get("draft")) for p in provenance if p["kind"] == kind),
                                "tokens_in": sum(r["tokens_in"] for r in rows if r["kind"] == kind),
                                "tokens_out": sum(r["tokens_out"] for r in rows if r["kind"] == kind)}
                         for kind, n in sorted(Counter(p["kind"] for p in provenance).items())}
    stats.update(backend=g.backend, model=g.model, degenerate_decoding=params.embedsdg_generate.degenerate_decoding)
    write_metrics(paths.metrics, {**draft_note(stats["per_kind"]), **stats})
    logging.info("teacher: %d requests, %s", stats["requests"], stats["per_kind"])
    return stats


def draft_note(per_kind: dict) -> dict:
    """{"note": ...} first in the metrics when most embedsdg requests went without a decoded draft:
    the arm then measures seed pairs from sparse cells, not interpolation, and a reader of the
    metrics must see that before any number."""
    embedsdg = per_kind.get("embedsdg", {"requests": 0, "with_draft": 0})
    if embedsdg["requests"] and embedsdg["with_draft"] * 2 < embedsdg["requests"]:
        return {"note": f"{embedsdg['requests'] - embedsdg['with_draft']} of {embedsdg['requests']} embedsdg requests had "
                        "no usable decoded draft (metrics/embedsdg/decode.json): this arm tests where the seed pairs "
                        "come from, not the interpolation"}
    return {}


def main() -> None:
    setup_logging()
    run(load_params(generate=GenerateParams, embedsdg_generate=EmbedsdgGenerateParams, ray=RayParams),
        parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
