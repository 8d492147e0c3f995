"""Generation under a fixed budget of output tokens: how every arm that is compared at one budget
(EmbGen's arms, the study's generative arms) spends its teacher.

``run_to_budget`` asks for requests 0, 1, 2, ... of an arm's stream, in rounds, until the teacher's
output tokens reach the budget; the arm keeps the longest prefix of the stream whose output tokens
stay within it. A round is sized so it cannot overshoot by much: at first budget / max_tokens
requests (each reply is at most max_tokens), later the remaining tokens over the mean reply so far.
Replies past the kept prefix are counted (over_budget) and stay in the resume cache. Every request
goes through the shared runner: resumable parts, request ids, any backend.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from synthcraft.backends.base import GenerationRequest
from synthcraft.files import read_jsonl
from synthcraft.generation import run_requests


def run_to_budget(make: Callable[[int], tuple[GenerationRequest, dict]], budget: int, backend, out_file: Path,
                  parts_dir: Path, *, max_tokens: int, max_requests: int, section: str, commit_every: int = 16,
                  max_error_share: float = 0.0) -> tuple[list[dict], dict]:
    """(kept rows in stream order, stats). ``make(k)`` is the k-th (request, provenance) of the stream."""
    pairs: list[tuple[GenerationRequest, dict]] = []
    want = min(max_requests, math.ceil(budget / max_tokens))
    asked = 0  # requests the teacher answered in this run, over all rounds
    while True:
        pairs += [make(k) for k in range(len(pairs), want)]
        stats = run_requests(pairs, backend, out_file, parts_dir, commit_every=commit_every,
                             max_error_share=max_error_share, section=section)
        asked += stats["requests"] - stats["resumed"]
        spent = stats["tokens_out"]
        if spent >= budget or len(pairs) >= max_requests:
            break
        per_request = max(spent / len(pairs), 1.0)
        want = min(max_requests, len(pairs) + max(1, math.ceil((budget - spent) / per_request)))
    by_id = {row["id"]: row for row in read_jsonl(out_file)}
    kept, running = [], 0
    for request, _ in pairs:
        row = by_id[request.id]
        if running + row["tokens_out"] > budget:
            break
        running += row["tokens_out"]
        kept.append(row)
    # A round counts the earlier rounds' rows as resumed; only rows from an earlier run are.
    stats.update(resumed=max(0, len(pairs) - asked), budget_tokens=budget, kept_requests=len(kept), kept_tokens_out=running,
                 kept_tokens_in=sum(r["tokens_in"] for r in kept), over_budget=len(pairs) - len(kept),
                 reached_budget=stats["tokens_out"] >= budget)
    if not stats["reached_budget"]:
        stats["note"] = f"{section}.max_requests={max_requests} requests did not spend the budget"
    return kept, stats
