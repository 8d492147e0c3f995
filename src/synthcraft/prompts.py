"""CRAFT's few-shot task template (Figure 6), as chat turns rendered by the model's own template.

Each request shows three few-shots as earlier turns (user: instruction + text; assistant: the
few-shot's JSON), then the retrieved document as the last user turn. Corpus text is untrusted:
it is passed to the chat template as message *content* (data, never template source, so braces,
``{{ }}`` and ``{% %}`` are inert), and any special-token string in it (``<|im_start|>`` and the like)
is broken up with a zero-width space so no tokenizer can read it as a control token.
"""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass

from synthcraft.tasks.base import TaskType

TEMPLATE_VERSION = "craft-v1"
ZERO_WIDTH_SPACE = "\u200b"


def neutralize(text: str, special_tokens: list[str]) -> tuple[str, int]:
    """Break every special-token string in ``text``; returns (safe text, number of breaks)."""
    count = 0
    for token in sorted(special_tokens, key=len, reverse=True):
        if len(token) > 1 and token in text:
            count += text.count(token)
            text = text.replace(token, token[0] + ZERO_WIDTH_SPACE + token[1:])
    return text, count


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


def render(tokenizer, messages: list[dict]) -> str:
    """The prompt string, through the tokenizer's own chat template (never hand-written tags)."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def special_tokens_of(tokenizer) -> list[str]:
    added = [t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values() if t.special]
    return sorted(set(tokenizer.all_special_tokens) | set(added))


@dataclass(frozen=True)
class Sampling:
    """CRAFT B.5: temperature 0.7, top-p 0.9, top-k 40."""
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    seed: int = 0


def pick_shots(shots: list[dict], doc_id: str, n: int, seed: int) -> list[dict]:
    """``n`` few-shots for one document: random, but fixed by (seed, doc_id)."""
    rng = random.Random(f"{seed}:{doc_id}")
    return rng.sample(shots, min(n, len(shots)))


def request_id(doc_id: str, shot_ids: list[str], task: TaskType, max_tokens: int, sampling: Sampling) -> str:
    """Hash of everything that determines the request: same params, same id, so resume can skip it."""
    key = json.dumps([doc_id, shot_ids, TEMPLATE_VERSION, task.name, task.instruction, task.schema,
                      max_tokens, sampling.__dict__], sort_keys=True)
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
