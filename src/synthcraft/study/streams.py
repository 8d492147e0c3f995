"""The rewriting arms of the study: their documents and their streams of teacher requests.

``random`` and ``craft`` rewrite one corpus document per request with CRAFT's template and the same
few-shots; they differ only in which documents: ``craft`` retrieves them near the few-shots
(CRAFT's mixed strategy), ``random`` draws them uniformly from the store. Each arm's documents are
put in a seeded order, and the token budget keeps the longest prefix of that order it can pay for
(``synthcraft.budget.run_to_budget``), so a prefix is a uniform sample of what the arm's selection
chose, never its first few queries' neighbours.

EmbGen's stream is in ``synthcraft.study.embgen``.
"""
from __future__ import annotations

import dataclasses
import random

from synthcraft.methods.craft.selection import select_documents
from synthcraft.methods.craft.template import build_requests


def stream_order(documents: list[dict], seed: int) -> list[dict]:
    """The arm's documents in a seeded order (doc ids sorted first, so the order does not depend on
    how the selection listed them)."""
    ordered = sorted(documents, key=lambda d: d["doc_id"])
    random.Random(seed).shuffle(ordered)
    return ordered


def arm_documents(store, corpus, shots: list[dict], task_type, retrieve, study, arm: str):
    """(documents in stream order, the selection's report, the selection's params) of a rewriting
    arm: ``study.documents`` chosen by the arm's method (retrieve:'s strategy for craft)."""
    selection = dataclasses.replace(retrieve, method=arm, k=study.documents, seed=study.seed)
    table, selected = select_documents(store, corpus, shots, task_type, selection)
    return stream_order(table.select(["doc_id", "text"]).to_pylist(), study.seed), selected, selection


def request_stream(documents: list[dict], shots: list[dict], task, tokenizer, generate, arm: str):
    """``make(k)`` -> (request, provenance) for the k-th document of ``documents``: CRAFT's template,
    three few-shots per prompt, the ``generate:`` section's model and sampling."""
    def make(k: int):
        if k >= len(documents):
            raise IndexError(f"{arm}: the stream has {len(documents)} documents and the budget is not spent. "
                             f"Fix: raise study.documents (or lower study.max_requests to stop earlier)")
        [(request, provenance)] = build_requests([documents[k]], shots, task.task_type, tokenizer, model=generate.model,
                                                 shots_per_prompt=generate.shots_per_prompt,
                                                 max_tokens=generate.max_tokens or task.task_type.max_tokens,
                                                 sampling=generate.sampling)
        return request, {**provenance, "arm": arm, "order": k}
    return make
