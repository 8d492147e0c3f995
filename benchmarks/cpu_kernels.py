"""Portable against native CPU kernels: do the same inputs give the same bytes, and at what speed?

    python benchmarks/cpu_kernels.py                  # 600 MMLU questions embedded, 96 MMLU biology items scored
    python benchmarks/cpu_kernels.py --texts 2000 --items 160

A process fixes its kernels at its first torch operation, so each arm is a child process:
- ``portable`` (the default, SYNTHCRAFT_KERNELS=portable): torch's kernels and oneDNN capped at AVX2,
  float32; run on 2 threads and again on 1, since a user's core count must not change the bytes;
- ``native`` float32 (SYNTHCRAFT_KERNELS=native): the CPU's widest kernels (AVX-512 here);
- ``native`` bf16, where the CPU has native bf16: what ``bf16: auto`` buys under native kernels;
- portable with MKL's other reproducible branches: ``MKL_CBWR=AUTO`` (same bytes as the default
  means MKL ignored the AVX2 branch here: Intel documents branches other than AUTO and COMPATIBLE
  for Intel CPUs only, so an AMD CPU runs AUTO), and ``MKL_CBWR=COMPATIBLE`` (SSE2, the one branch
  documented to give the same results on Intel and AMD CPUs alike) with what it costs.
Each arm embeds the same texts with MiniLM (the ``embed`` stage's encoder) and scores the same
multiple-choice items with SmolLM2 in every form (the ``evaluate`` stage's scorer). Reported per
arm: seconds, sha256 of the embeddings and of the scores, and whether they equal the portable
2-thread arm's bytes. An AVX2-only CPU runs the portable arm's kernels natively, so on such a
machine portable and native agree by construction; on an AVX-512 machine they show what the cap
changes. Writes benchmarks/results/cpu_kernels.json; the last line is the float32 speed ratio.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import save_and_print
from synthcraft.runtime import cpu_has_bf16, native_kernels_env

RESULTS = Path(__file__).resolve().parent / "results"

ARM = """
import hashlib, json, sys, time
import numpy as np, torch
from synthcraft import assets
from synthcraft.embedders import Encoder
from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, load_mcqa
from synthcraft.evaluation.scoring import score_items
from synthcraft.models import load_causal_lm, load_tokenizer
from synthcraft.runtime import autocast, machine
n_texts, n_items, bf16 = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "bf16"
texts = [json.loads(line)["question"] for line in open(assets.resolve(assets.MMLU))][:n_texts]
encoder = Encoder(assets.MINILM, precision="bfloat16" if bf16 else "float32")
encoder(texts[:32])
started = time.perf_counter()
vectors = encoder(texts)
embed_s = time.perf_counter() - started
model, tokenizer = load_causal_lm(assets.SMOLLM2_GGUF).eval(), load_tokenizer(assets.SMOLLM2_GGUF)
items = load_mcqa(assets.MMLU, CRAFT_BIO_TOPICS, limit=n_items)
with autocast("cpu", bf16):
    score_items(model, tokenizer, items[:16], 16, "warm-up")
    started = time.perf_counter()
    scores = score_items(model, tokenizer, items, 16, "score")
    score_s = time.perf_counter() - started
table = np.array([s.letter + s.cloze for s in scores], dtype=np.float64)
predicted = [int(np.argmax(s.cloze)) for s in scores]
print(json.dumps({"embed_s": round(embed_s, 2), "embed_sha256": hashlib.sha256(vectors.tobytes()).hexdigest(),
                  "score_s": round(score_s, 2), "score_sha256": hashlib.sha256(table.tobytes()).hexdigest(),
                  "cloze_choices": predicted, "cpu_capability": machine()["cpu_capability"]}))
"""


def run_arm(env: dict, threads: int, texts: int, items: int, bf16: bool) -> dict:
    env = {**env, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-c", ARM, str(texts), str(items), "bf16" if bf16 else "fp32"],
                          env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--items", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS / "cpu_kernels.json"))
    args = parser.parse_args()
    portable_env = {**native_kernels_env(), "SYNTHCRAFT_KERNELS": "portable"}  # the child re-applies the caps
    arms = {"portable_fp32": (portable_env, args.threads, False),
            "portable_fp32_1_thread": (portable_env, 1, False),
            "native_fp32": (native_kernels_env(), args.threads, False)}
    if cpu_has_bf16():
        arms["native_bf16"] = (native_kernels_env(), args.threads, True)
    for branch in ("AUTO", "COMPATIBLE"):
        arms[f"portable_fp32_mkl_{branch.lower()}"] = ({**portable_env, "MKL_CBWR": branch}, args.threads, False)
    results = {name: run_arm(env, threads, args.texts, args.items, bf16) for name, (env, threads, bf16) in arms.items()}
    reference = results["portable_fp32"]
    reference_choices = reference["cloze_choices"]
    for name, result in results.items():
        result["same_embeddings_as_portable"] = result["embed_sha256"] == reference["embed_sha256"]
        result["same_scores_as_portable"] = result["score_sha256"] == reference["score_sha256"]
        agree = sum(a == b for a, b in zip(result.pop("cloze_choices"), reference_choices))
        result["cloze_choice_agreement_with_portable"] = round(agree / args.items, 4)
    ratios = {}
    for label, arm in (("native_fp32", "native_fp32"), ("mkl_compatible", "portable_fp32_mkl_compatible"),
                       ("native_bf16", "native_bf16")):
        for part in ("embed", "score") if arm in results else ():
            ratios[f"{label}_over_portable_fp32_{part}_speed"] = round(reference[f"{part}_s"] / results[arm][f"{part}_s"], 2)
    # MKL honours MKL_CBWR=AVX2 (the default cap) only on Intel CPUs; elsewhere it runs AUTO.
    mkl_avx2_honoured = not results["portable_fp32_mkl_auto"]["same_embeddings_as_portable"]
    save_and_print({"texts": args.texts, "items": args.items, "threads": args.threads, "arms": results,
                    "ratios": ratios, "mkl_avx2_branch_honoured": mkl_avx2_honoured}, args.out,
                   f"native fp32 scores {ratios['native_fp32_over_portable_fp32_score_speed']}x as fast as portable "
                   f"fp32; portable gives the same bytes on 1 and {args.threads} threads: "
                   f"{results['portable_fp32_1_thread']['same_embeddings_as_portable'] and results['portable_fp32_1_thread']['same_scores_as_portable']}")


if __name__ == "__main__":
    main()
