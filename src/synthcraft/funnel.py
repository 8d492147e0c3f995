"""CRAFT's sample filters (section B.5, Appendix C), in funnel order, each counting its rejects.

Funnel: prompt too long for the context, backend errors, output cut at max_tokens, format errors
(no JSON, missing keys, too-short fields, not 4 distinct options, bad answer letter), exact
duplicates, token-set ratio >= 0.85 to a few-shot, the same to an earlier sample (the first of a
group is kept). Every record lands in exactly one bucket, so the counts add up to the input.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from synthcraft.filters import NearDuplicateIndex, extract_json, similar, tokens
from synthcraft.tasks.base import TaskType

# The funnel's buckets in the order they are applied; metrics, the funnel plot and tests use it.
FUNNEL = ("skipped_too_long", "generation_errors", "excessive_length", "format_errors", "exact_duplicates",
          "similar_to_fewshots", "similar_to_samples", "available")


@dataclass
class FilterParams:
    """The ``filter:`` section."""
    similarity: float = 0.85       # token-set ratio at or above which two samples are near-duplicates
    lsh_threshold: float = 0.3     # MinHash LSH candidate threshold (Jaccard), well below `similarity`

    def __post_init__(self):
        if not (0 < self.lsh_threshold <= self.similarity <= 1):
            raise ValueError("need 0 < lsh_threshold <= similarity <= 1")


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
        counts = {name: getattr(self, name) for name in FUNNEL}
        counts["format_errors"] = sum(self.format_errors.values())
        return {"retrieved": self.retrieved, **counts,
                "format_error_reasons": dict(sorted(self.format_errors.items()))}

    def dominant_reject(self) -> str:
        """The bucket that dropped the most records (for the nothing-survived warning)."""
        counts = {k: v for k, v in self.to_json().items() if k in FUNNEL and k != "available"}
        return max(counts, key=counts.get) if self.retrieved else "no generated records"


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
