"""Pieces every method's filter uses: JSON extraction from model output, and near-duplicate
search by rapidfuzz's token-set ratio that stays sub-quadratic -- MinHash LSH (datasketch)
proposes candidates, the ratio confirms each one (benchmarks/dedup.py: recall 1.000).
"""
from __future__ import annotations

import json
import re
from typing import Optional

from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> Optional[dict]:
    """The first JSON object in ``text``: bare, inside a ``` fence, or amid chatty prose."""
    text = text.strip()
    candidates = [text] + _FENCE.findall(text)
    for candidate in candidates:
        try:
            value = json.loads(candidate)
            if isinstance(value, dict):
                return value
        except json.JSONDecodeError:
            pass
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def tokens(text: str) -> list[str]:
    """The word tokens token_set_ratio compares (rapidfuzz's default processing)."""
    return default_process(text).split()


def similar(a: str, b: str, threshold: float) -> bool:
    return fuzz.token_set_ratio(a, b, processor=default_process, score_cutoff=threshold * 100) > 0


class NearDuplicateIndex:
    """MinHash LSH over word sets; candidates confirmed with token-set ratio.

    token_set_ratio is 100 when one sample's words are a subset of the other's, so pairs can be
    near-duplicates at a modest Jaccard similarity; the LSH threshold is set well below the ratio
    threshold (``lsh_threshold``) to keep recall >= 99% of exhaustive search (benchmarks/dedup.py).
    """

    def __init__(self, threshold: float = 0.85, lsh_threshold: float = 0.3, num_perm: int = 64, seed: int = 1):
        self.threshold, self.num_perm, self.seed = threshold, num_perm, seed
        self.lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
        self.texts: dict[str, str] = {}

    def _minhash(self, text: str) -> MinHash:
        words = tokens(text) or [""]
        return MinHash.bulk([[w.encode() for w in words]], num_perm=self.num_perm, seed=self.seed)[0]

    def find(self, text: str, minhash: Optional[MinHash] = None) -> Optional[str]:
        """Key of an indexed text near-identical to ``text``, or None."""
        for key in self.lsh.query(minhash or self._minhash(text)):
            if similar(text, self.texts[key], self.threshold):
                return key
        return None

    def add(self, key: str, text: str, minhash: Optional[MinHash] = None) -> None:
        self.lsh.insert(key, minhash or self._minhash(text))
        self.texts[key] = text

    def add_unless_duplicate(self, key: str, text: str) -> Optional[str]:
        """Index ``text`` unless it duplicates an indexed one; returns that one's key if so."""
        minhash = self._minhash(text)
        match = self.find(text, minhash)
        if match is None:
            self.add(key, text, minhash)
        return match


def near_duplicate_pairs(texts: list[str], threshold: float = 0.85, lsh_threshold: float = 0.3,
                         num_perm: int = 64) -> set[tuple[int, int]]:
    """All pairs (i < j) with token-set ratio >= threshold, found through the LSH index."""
    index = NearDuplicateIndex(threshold, lsh_threshold, num_perm)
    words = [[w.encode() for w in (tokens(t) or [""])] for t in texts]
    minhashes = MinHash.bulk(words, num_perm=num_perm, seed=index.seed)
    for i, minhash in enumerate(minhashes):
        index.lsh.insert(i, minhash)
    pairs = set()
    for i, minhash in enumerate(minhashes):
        for j in index.lsh.query(minhash):
            if j > i and similar(texts[i], texts[j], threshold):
                pairs.add((i, j))
    return pairs
