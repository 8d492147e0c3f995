"""Generation under a fixed budget of generated tokens, the same for every arm (the paper compares
methods at 5M and 20M tokens), and the QA pairs each reply yields.

``run_to_budget`` asks for requests 0, 1, 2, ... of an arm's stream, in rounds, until the teacher's
output tokens reach the budget; the arm keeps the longest prefix of the stream whose output tokens
stay within it. A round is sized so it cannot overshoot by much: at first budget / max_tokens
requests (each reply is at most max_tokens), later the remaining tokens over the mean reply so far.
Replies past the kept prefix are counted (over_budget) and stay in the resume cache. Every request
goes through the shared runner: resumable parts, request ids, any backend.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from synthcraft.backends.base import GenerationRequest
from synthcraft.filters import extract_json
from synthcraft.generation import run_requests


@dataclass
class EmbgenGenerateParams:
    """The ``embgen_generate:`` section (the teacher is the ``generate:`` section's model and backend)."""
    budget_tokens: int = 20000     # generated (output) tokens per arm; the paper: 5M and 20M
    questions_per_request: int = 3
    max_tokens: int = 256          # per request
    max_requests: int = 5000       # a stream that never reaches the budget stops here (counted)

    def __post_init__(self):
        if self.budget_tokens < self.max_tokens:
            raise ValueError(f"budget_tokens={self.budget_tokens} is smaller than one request (max_tokens="
                             f"{self.max_tokens}). Fix: raise embgen_generate.budget_tokens or lower embgen_generate.max_tokens")


def run_to_budget(make: Callable[[int], tuple[GenerationRequest, dict]], budget: int, backend, out_file: Path,
                  parts_dir: Path, *, max_tokens: int, max_requests: int, section: str, commit_every: int = 16,
                  max_error_share: float = 0.0) -> tuple[list[dict], dict]:
    """(kept rows in stream order, stats). ``make(k)`` is the k-th (request, provenance) of the stream."""
    pairs: list[tuple[GenerationRequest, dict]] = []
    want = min(max_requests, math.ceil(budget / max_tokens))
    while True:
        pairs += [make(k) for k in range(len(pairs), want)]
        stats = run_requests(pairs, backend, out_file, parts_dir, commit_every=commit_every,
                             max_error_share=max_error_share, section=section)
        spent = stats["tokens_out"]
        if spent >= budget or len(pairs) >= max_requests:
            break
        per_request = max(spent / len(pairs), 1.0)
        want = min(max_requests, len(pairs) + max(1, math.ceil((budget - spent) / per_request)))
    from synthcraft.files import read_jsonl

    by_id = {row["id"]: row for row in read_jsonl(out_file)}
    kept, running = [], 0
    for request, _ in pairs:
        row = by_id[request.id]
        if running + row["tokens_out"] > budget:
            break
        running += row["tokens_out"]
        kept.append(row)
    stats.update(budget_tokens=budget, kept_requests=len(kept), kept_tokens_out=running,
                 kept_tokens_in=sum(r["tokens_in"] for r in kept), over_budget=len(pairs) - len(kept),
                 reached_budget=stats["tokens_out"] >= budget)
    if not stats["reached_budget"]:
        stats["note"] = f"{section}.max_requests={max_requests} requests did not spend the budget"
    return kept, stats


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def qa_pairs(rows: list[dict]) -> tuple[list[dict], Counter]:
    """Every well-formed QA pair of the kept replies, with its request's provenance, and the rejects:
    error / skipped requests, malformed replies, short questions or answers, repeated questions."""
    out, rejects, seen = [], Counter(), set()
    for row in rows:
        if row["finish_reason"] not in ("stop", "length"):
            rejects[f"request_{row['finish_reason']}"] += 1
            continue
        value = extract_json(row["text"] or "")
        items = value.get("qa") if isinstance(value, dict) else None
        if not isinstance(items, list):
            rejects["malformed_output"] += 1
            continue
        for item in items:
            question = str(item.get("question") or "").strip() if isinstance(item, dict) else ""
            answer = str(item.get("answer") or "").strip() if isinstance(item, dict) else ""
            if len(question.split()) < 3:
                rejects["short_question"] += 1
            elif not answer:
                rejects["empty_answer"] += 1
            elif _norm(question) in seen:
                rejects["duplicate_question"] += 1
            else:
                seen.add(_norm(question))
                provenance = {k: v for k, v in row.items()
                              if k not in ("text", "tokens_in", "tokens_out", "finish_reason", "error", "error_kind")}
                out.append({"question": question, "answer": answer, **provenance})
    return out, rejects
