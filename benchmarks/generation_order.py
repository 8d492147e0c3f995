"""The same study requests through llama.cpp in stream order and grouped by prompt, side by side.

    dvc repro -s pipelines/study/dvc.yaml:study_embgen_corpus   # the craft arm's first 100 documents
    python benchmarks/generation_order.py                        # 48 requests per order, twice (~20 min)
    python benchmarks/generation_order.py --requests 16 --repeats 1

The requests are the study's craft arm (CRAFT's template, three of the five few-shots per prompt,
the ``generate:`` section's teacher and sampling) on the documents ``study_embgen_corpus`` copies
from the head of that arm's stream. Both orders go through the shared runner with the same backend
instance; ``grouped`` is the runner's default (``run_requests(group_prefixes=True)``: unfinished
requests sorted by prompt, so neighbours share the system prompt and few-shots, and llama.cpp
evaluates only the tokens after the prefix it already holds). The orders alternate ``--repeats``
times so drift in the machine's speed falls on both.

Reports per order samples/s and output tokens/s (mean over repeats), the share of prompt tokens a
request shares with the one before it in its chunk (what llama.cpp can skip; each chunk starts
from an empty cache), and how many replies come out the same text in both orders (the KV cache of
a reused prefix need not be bit-identical to one computed afresh). Writes
benchmarks/results/generation_order.json.
"""
import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import save_and_print

REPO = Path(__file__).resolve().parents[1]
ORDERS = ("stream", "grouped")
CHUNK = 16  # requests per runner chunk (generate.commit_every's default); each starts from an empty cache


def study_requests(n: int):
    from synthcraft.fewshots import load_fewshots
    from synthcraft.files import read_jsonl
    from synthcraft.generation import GenerateParams
    from synthcraft.models import load_tokenizer
    from synthcraft.stage import load_params
    from synthcraft.study import StudyParams, study_task
    from synthcraft.study.streams import request_stream
    from synthcraft.tasks import TaskParams

    params = load_params(REPO / "params.yaml", task=TaskParams, study=StudyParams, generate=GenerateParams)
    corpus = REPO / "data" / "study" / "embgen" / "corpus.jsonl"
    if not corpus.exists():
        raise SystemExit(f"{corpus} is missing. Fix: dvc repro -s pipelines/study/dvc.yaml:study_embgen_corpus")
    documents = read_jsonl(corpus)[:n]
    task = study_task(params.study, params.task)
    shots = load_fewshots(REPO / "data" / "study" / "fewshots" / f"{params.study.task}.jsonl", task.task_type)
    tokenizer = load_tokenizer(params.generate.tokenizer or params.generate.model)
    make = request_stream(documents, shots, task, tokenizer, params.generate, "craft")
    return [make(k) for k in range(len(documents))], params.generate, tokenizer


def reusable_share(prompts: list[str], tokenizer, chunk: int) -> float:
    """Share of prompt tokens equal to the previous prompt's in the same chunk (a common prefix)."""
    ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    shared = 0
    for i in range(len(ids)):
        if i % chunk == 0:
            continue  # the backend starts each chunk from an empty cache
        shared += len(os.path.commonprefix([ids[i - 1], ids[i]]))
    return round(shared / sum(map(len, ids)), 3)


def run_order(pairs, backend, grouped: bool) -> tuple[dict, dict]:
    from synthcraft.files import read_jsonl
    from synthcraft.generation import run_requests

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        stats = run_requests(pairs, backend, Path(tmp) / "out.jsonl", Path(tmp) / "parts", commit_every=CHUNK,
                             progress=False, group_prefixes=grouped)
        seconds = time.perf_counter() - began
        texts = {row["id"]: row["text"] for row in read_jsonl(Path(tmp) / "out.jsonl")}
    return {"seconds": seconds, "tokens_out": stats["tokens_out"], "tokens_in": stats["tokens_in"]}, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "generation_order.json"))
    args = parser.parse_args()
    os.chdir(REPO)  # the params' relative paths (few-shots, model assets) are the repository's

    from synthcraft.backends import make_backend

    pairs, gen, tokenizer = study_requests(args.requests)
    backend = make_backend("llamacpp", gen.model, context_length=gen.context_length, tokenizer=gen.tokenizer,
                           options=gen.llamacpp)
    runs = {order: [] for order in ORDERS}
    texts = {}
    for _ in range(args.repeats):
        for order in ORDERS:
            run, texts[order] = run_order(pairs, backend, grouped=order == "grouped")
            runs[order].append(run)
            print(order, {k: round(v, 1) for k, v in run.items()}, flush=True)
    prompts = {"stream": [r.prompt for r, _ in pairs], "grouped": sorted(r.prompt for r, _ in pairs)}
    arms = []
    for order in ORDERS:
        seconds = statistics.mean(r["seconds"] for r in runs[order])
        arms.append({"order": order, "seconds_mean": round(seconds, 1),
                     "seconds_each": [round(r["seconds"], 1) for r in runs[order]],
                     "samples_per_s": round(len(pairs) / seconds, 4),
                     "tokens_out_per_s": round(statistics.mean(r["tokens_out"] for r in runs[order]) / seconds, 1),
                     "prompt_tokens_per_request": round(runs[order][0]["tokens_in"] / len(pairs), 1),
                     "prompt_share_after_a_shared_prefix": reusable_share(prompts[order], tokenizer, CHUNK)})
    same = sum(texts["stream"][i] == texts["grouped"][i] for i in texts["stream"])
    speedup = round(arms[1]["samples_per_s"] / arms[0]["samples_per_s"], 2)
    result = {"requests": len(pairs), "repeats": args.repeats, "backend": "llamacpp", "model": gen.model,
              "orders": arms, "speedup_grouped_vs_stream": speedup,
              "same_text_in_both_orders": f"{same}/{len(pairs)}"}
    save_and_print(result, args.out, f"generation order: grouped by prompt {speedup:.2f}x the samples/s of stream "
                                     f"order; {same}/{len(pairs)} replies the same text in both")


if __name__ == "__main__":
    main()
