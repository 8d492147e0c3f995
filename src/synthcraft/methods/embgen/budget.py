"""EmbGen's generation section and the QA pairs each reply yields. Every arm stops at the same
budget of generated tokens (the paper compares methods at 5M and 20M tokens), spent by the shared
``synthcraft.budget.run_to_budget``.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from synthcraft.filters import extract_json


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
