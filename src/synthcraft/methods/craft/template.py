"""CRAFT's few-shot task template (Figure 6), as chat turns rendered by the model's own template.

Each request shows three few-shots as earlier turns (user: instruction + text; assistant: the
few-shot's JSON), then the retrieved document as the last user turn. Corpus text is untrusted:
it goes in as message *content* (never template source) with special-token strings broken up
(``generation.neutralize``), so it cannot end a turn or open a new one.
"""
from __future__ import annotations

import random
from typing import Iterable

from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.generation import neutralize, render, request_id, special_tokens_of
from synthcraft.tasks.base import TaskType

TEMPLATE_VERSION = "craft-v2"   # v2: instructions reworded in the project's own words


def user_turn(task: TaskType, text: str) -> str:
    return f"{task.instruction}\n\nText: {text}"


def build_messages(task: TaskType, shots: list[dict], document: str, special_tokens: list[str]) -> list[dict]:
    messages = []
    for shot in shots:
        messages.append({"role": "user", "content": user_turn(task, shot["text"])})
        messages.append({"role": "assistant", "content": task.answer_json(shot)})
    safe, _ = neutralize(document, special_tokens)
    messages.append({"role": "user", "content": user_turn(task, safe)})
    return messages


def pick_shots(shots: list[dict], doc_id: str, n: int, seed: int) -> list[dict]:
    """``n`` few-shots for one document: random, but fixed by (seed, doc_id)."""
    rng = random.Random(f"{seed}:{doc_id}")
    return rng.sample(shots, min(n, len(shots)))


def build_requests(documents: Iterable[dict], shots: list[dict], task: TaskType, tokenizer, *, model: str,
                   shots_per_prompt: int, max_tokens: int, sampling: Sampling) -> list[tuple[GenerationRequest, dict]]:
    """(request, provenance) per document, in the documents' order (the request runner executes
    them grouped by prompt, so requests with the same few-shots run side by side)."""
    special = special_tokens_of(tokenizer)
    out = []
    for doc in documents:
        chosen = sorted(pick_shots(shots, doc["doc_id"], shots_per_prompt, sampling.seed), key=lambda s: s["id"])
        shot_ids = [s["id"] for s in chosen]
        messages = build_messages(task, chosen, doc["text"], special)
        rid = request_id(doc["doc_id"], shot_ids, TEMPLATE_VERSION, task.name, task.instruction, task.schema,
                         max_tokens, sampling, model)
        request = GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, task.schema, sampling)
        out.append((request, {"doc_id": doc["doc_id"], "shot_ids": shot_ids}))
    return out
