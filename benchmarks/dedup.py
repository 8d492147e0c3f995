"""Near-duplicate search: MinHash LSH + rapidfuzz confirmation vs exhaustive all-pairs.

    python benchmarks/dedup.py              # 60,000 samples; exhaustive check on a 5,000 subset
    python benchmarks/dedup.py --n 20000

Synthetic MCQA-like samples (question + 4 options over a 5,000-word vocabulary); a fifth of them
are edited copies of an earlier sample (words dropped, swapped, replaced or added), so there are
real near-duplicate families. Measures the indexed search on all N, and on the first 5,000 the
recall against exhaustive all-pairs token-set ratio (rapidfuzz.process.cdist, same process).
Writes benchmarks/results/dedup.json; target: N = 60,000 in <= 60 s with recall >= 0.99.
"""
import argparse
import random
import time
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from common import save_and_print
from synthcraft.filters import near_duplicate_pairs

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic_samples(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "van", "gor", "tel", "bis", "um", "ex"]
    vocab = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(8000)})[:5000]
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(vocab))]  # Zipf-like word frequencies
    samples: list[list[str]] = []
    for _ in range(n):
        if samples and rng.random() < 0.2:
            words = list(rng.choice(samples[-2000:]))  # an edited copy of a recent sample
            for _ in range(rng.randint(1, 3)):
                edit = rng.random()
                position = rng.randrange(len(words))
                if edit < 0.3 and len(words) > 8:
                    del words[position]
                elif edit < 0.6:
                    words[position] = rng.choices(vocab, weights)[0]
                elif edit < 0.8:
                    words.insert(position, rng.choices(vocab, weights)[0])
                else:
                    other = rng.randrange(len(words))
                    words[position], words[other] = words[other], words[position]
        else:
            words = rng.choices(vocab, weights, k=rng.randint(8, 20))  # question
            for _ in range(4):
                words += rng.choices(vocab, weights, k=rng.randint(1, 5))  # options
        samples.append(words)
    return [" ".join(words) for words in samples]


def exhaustive_pairs(texts: list[str], threshold: float) -> set[tuple[int, int]]:
    scores = process.cdist(texts, texts, scorer=fuzz.token_set_ratio, processor=default_process,
                           score_cutoff=threshold * 100, dtype=np.uint8, workers=-1)
    i, j = np.nonzero(np.triu(scores, k=1))
    return set(zip(i.tolist(), j.tolist()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000)
    parser.add_argument("--subset", type=int, default=5_000)
    parser.add_argument("--threshold", type=float, default=0.85)
    parser.add_argument("--lsh-threshold", type=float, default=0.3)
    parser.add_argument("--out", default=str(RESULTS / "dedup.json"))
    args = parser.parse_args()
    texts = synthetic_samples(args.n)

    start = time.perf_counter()
    pairs = near_duplicate_pairs(texts, args.threshold, args.lsh_threshold)
    indexed_s = time.perf_counter() - start

    subset = texts[: args.subset]
    start = time.perf_counter()
    truth = exhaustive_pairs(subset, args.threshold)
    exhaustive_s = time.perf_counter() - start
    found = {p for p in pairs if p[1] < args.subset}
    recall = len(found & truth) / len(truth) if truth else 1.0
    result = {
        "n": args.n, "threshold": args.threshold, "lsh_threshold": args.lsh_threshold,
        "indexed_seconds": round(indexed_s, 2), "pairs_found": len(pairs),
        "subset": args.subset, "exhaustive_seconds_subset": round(exhaustive_s, 2),
        "exhaustive_pairs_subset": len(truth), "recall_subset": round(recall, 4),
        "false_pairs_subset": len(found - truth),
        "exhaustive_seconds_extrapolated_to_n": round(exhaustive_s * (args.n / args.subset) ** 2, 1),
        "meets_target": indexed_s <= 60 and recall >= 0.99,
    }
    save_and_print(result, args.out, f"dedup: {args.n:,} samples in {indexed_s:.1f} s (target <= 60 s), recall {recall:.4f} vs exhaustive "
                                    f"on {args.subset:,} (target >= 0.99); exhaustive on all {args.n:,} would take ~"
                                    f"{result['exhaustive_seconds_extrapolated_to_n'] / 60:.0f} min")


if __name__ == "__main__":
    main()
