"""CRAFT's sample filters (section B.5, Appendix C), each counting what it rejects.

Order of the funnel: excessive length (prompt too long, or output cut at max_tokens), format
errors (no JSON found, missing keys, too-short fields, not 4 distinct options, bad answer letter),
exact duplicates, similarity to the few-shots, similarity to earlier samples. Similarity is
rapidfuzz's token-set ratio >= 0.85 (CRAFT's fuzzy matching). Among samples the search is
sub-quadratic: MinHash LSH (datasketch) proposes candidates, the ratio confirms each one.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

from datasketch import MinHash, MinHashLSH
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from synthcraft.tasks.base import TaskType

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


@dataclass
class FilterReport:
    """CRAFT's Appendix C funnel; every generated record lands in exactly one bucket."""
    retrieved: int = 0
    skipped_too_long: int = 0          # prompt did not fit the context (generate stage)
    generation_errors: int = 0         # backend error after retries
    excessive_length: int = 0          # output cut at max_tokens
    format_errors: Counter = field(default_factory=Counter)
    exact_duplicates: int = 0
    similar_to_fewshots: int = 0
    similar_to_samples: int = 0
    available: int = 0

    def to_json(self) -> dict:
        return {
            "retrieved": self.retrieved, "skipped_too_long": self.skipped_too_long,
            "generation_errors": self.generation_errors, "excessive_length": self.excessive_length,
            "format_errors": sum(self.format_errors.values()),
            "format_error_reasons": dict(sorted(self.format_errors.items())),
            "exact_duplicates": self.exact_duplicates, "similar_to_fewshots": self.similar_to_fewshots,
            "similar_to_samples": self.similar_to_samples, "available": self.available,
        }


def filter_samples(records: Iterable[dict], task: TaskType, fewshots: list[dict], threshold: float = 0.85,
                   lsh_threshold: float = 0.3) -> tuple[list[dict], list[dict], FilterReport]:
    """Split generated records into (kept samples, rejected records with ``reason``, report).

    ``records`` are the generate stage's rows (id, doc_id, text, finish_reason, error, ...), in
    id order; the first of a group of near-duplicates is kept.
    """
    report = FilterReport()
    kept, rejected = [], []
    seen_exact: set[str] = set()
    shot_texts = [task.similarity_text({k: s[k] for k in task.keys}) for s in fewshots]
    index = NearDuplicateIndex(threshold, lsh_threshold)

    def reject(record: dict, reason: str, detail: str = "") -> None:
        rejected.append({**record, "reason": reason, "detail": detail})

    for record in records:
        report.retrieved += 1
        if record.get("finish_reason") == "skipped_too_long":
            report.skipped_too_long += 1
            reject(record, "skipped_too_long")
            continue
        if record.get("finish_reason") == "error":
            report.generation_errors += 1
            reject(record, "generation_error", record.get("error") or "")
            continue
        if record.get("finish_reason") == "length":
            report.excessive_length += 1
            reject(record, "excessive_length")
            continue
        sample = extract_json(record["text"])
        reason = "no_json" if sample is None else task.check(sample)
        if reason:
            report.format_errors[reason] += 1
            reject(record, "format_error", reason)
            continue
        sample = {key: sample[key] for key in task.keys}  # drop keys outside the schema
        text = task.similarity_text(sample)
        exact_key = " ".join(tokens(text))
        if exact_key in seen_exact:
            report.exact_duplicates += 1
            reject(record, "exact_duplicate")
            continue
        seen_exact.add(exact_key)
        shot = next((s["id"] for s, t in zip(fewshots, shot_texts) if similar(text, t, threshold)), None)
        if shot:
            report.similar_to_fewshots += 1
            reject(record, "similar_to_fewshot", shot)
            continue
        match = index.add_unless_duplicate(record["id"], text)
        if match:
            report.similar_to_samples += 1
            reject(record, "similar_to_sample", match)
            continue
        report.available += 1
        kept.append({"id": record["id"], "doc_id": record["doc_id"], **sample})
    return kept, rejected, report
