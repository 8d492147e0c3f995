"""CRAFT 5.3's contamination check: weighted Jaccard similarity of 5-gram counts between the
training data and the evaluation items."""
from __future__ import annotations

from collections import Counter
from typing import Iterable


def ngrams(text: str, n: int = 5) -> Counter:
    words = text.lower().split()
    return Counter(tuple(words[i: i + n]) for i in range(len(words) - n + 1))


def weighted_jaccard(a: Counter, b: Counter) -> float:
    """sum(min) / sum(max) over n-gram counts."""
    keys = a.keys() | b.keys()
    top = sum(max(a[k], b[k]) for k in keys)
    return sum(min(a[k], b[k]) for k in keys) / top if top else 0.0


def contamination(train_texts: Iterable[str], eval_texts: Iterable[str], n: int = 5) -> dict:
    train, evaluation = Counter(), Counter()
    for text in train_texts:
        train.update(ngrams(text, n))
    for text in eval_texts:
        evaluation.update(ngrams(text, n))
    shared = train.keys() & evaluation.keys()
    return {"ngram": n, "weighted_jaccard": round(weighted_jaccard(train, evaluation), 6),
            "shared_ngrams": len(shared), "eval_ngrams": len(evaluation)}
