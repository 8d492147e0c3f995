"""From teacher outputs to tasks and instances: parse, check, deduplicate, count every reject."""
from __future__ import annotations

import re
from collections import Counter

from rapidfuzz import fuzz

from synthcraft.filters import extract_json
from synthcraft.methods.embedder.categories import LengthRules, check_instance, normalized, words

DUPLICATE_TASK_RATIO = 90   # token-sort ratio above which two task descriptions are the same task


def _unfinished(row: dict) -> str | None:
    if row["finish_reason"] == "error":
        return "request_error"
    if row["finish_reason"] == "skipped_too_long":
        return "prompt_too_long"
    return None


def collect_tasks(rows: list[dict], max_words: int, examples: dict[str, list[str]] | None = None
                  ) -> tuple[list[dict], Counter]:
    """Task descriptions from brainstorm outputs, in request-id order; (tasks, rejects by reason).
    Duplicates are judged within a category (the same idea phrased twice); copies of the prompt's
    ``examples`` are rejected as ``copied_example``."""
    tasks, rejects, kept = [], Counter(), {}
    for row in sorted(rows, key=lambda r: r["id"]):
        if reason := _unfinished(row):
            rejects[reason] += 1
            continue
        data = extract_json(row["text"])
        items = data.get("tasks") if isinstance(data, dict) else None
        if not isinstance(items, list):
            rejects["malformed"] += 1
            continue
        for position, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                rejects["empty"] += 1
                continue
            text = " ".join(item.split())
            if len(re.findall(r"[A-Za-z]{2,}", text)) < 4:  # "1, 2, 3, 4," is not a task
                rejects["too_short"] += 1
                continue
            if words(text) > max_words:
                rejects["too_long"] += 1
                continue
            same = kept.setdefault(row["category"], [])
            if any(fuzz.token_sort_ratio(normalized(text), normalized(t)) >= DUPLICATE_TASK_RATIO
                   for t in (examples or {}).get(row["category"], [])):
                rejects["copied_example"] += 1
                continue
            if any(fuzz.token_sort_ratio(normalized(text), normalized(t)) >= DUPLICATE_TASK_RATIO for t in same):
                rejects["duplicate"] += 1
                continue
            same.append(text)
            tasks.append({"id": f"{row['id']}-{position}", "category": row["category"], "task": text})
    return tasks, rejects


def collect_instances(rows: list[dict], rules: LengthRules) -> tuple[list[dict], Counter]:
    """Instances from instance outputs: the teacher's fields merged with the document's sides
    (``given``), each checked by the category's rules; (instances, rejects by reason)."""
    instances, rejects, seen = [], Counter(), set()
    for row in sorted(rows, key=lambda r: r["id"]):
        if reason := _unfinished(row):
            rejects[reason] += 1
            continue
        data = extract_json(row["text"])
        if not isinstance(data, dict):
            rejects["malformed"] += 1
            continue
        written = {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in data.items()
                   if k in ("query", "positive", "negative")}
        instance = {"query": None, "positive": None, "negative": None, **written, **row["given"]}
        if reason := check_instance(instance, row["category"], rules):
            rejects[reason] += 1
            continue
        key = (normalized(instance["query"]), normalized(instance["positive"]))
        if key in seen:
            rejects["duplicate"] += 1
            continue
        seen.add(key)
        instances.append({"id": row["id"], "category": row["category"], "task": row["task"],
                          "doc_id": row.get("doc_id"), **{k: instance[k] for k in ("query", "positive", "negative")}})
    return instances, rejects
