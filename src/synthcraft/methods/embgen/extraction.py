"""Entity-description pairs from each document, schema-constrained, with every reject counted.

A pair is one entity named in the passage and a short description of it that stands on its own
(no "it" or "this" that needs the passage). Checks, in order, each with its own reject count:

    malformed_output     the reply is not JSON of the schema (counted once per document)
    empty_entity         no entity name
    ungrounded_entity    the name does not occur in the passage (case and spacing forgiven)
    empty_description    fewer than ``min_description_words`` words
    duplicate            an entity already kept for this document (case-insensitively)

Documents that yield no pair are counted and skipped (no_pairs); if none yields one the stage stops.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.filters import extract_json
from synthcraft.generation import neutralize, render, request_id

PROMPT_VERSION = "embgen-extract-v1"
# The grammar closes a description at this length, so a reply always fits in max_tokens as JSON
# (measured: at 300 characters a third of SmolLM2's replies ran on to the token limit).
DESCRIPTION_CHARS = 160


@dataclass
class EmbgenExtractParams:
    """The ``embgen_extract:`` section (the extractor model is the ``generate:`` section's)."""
    max_pairs: int = 5               # pairs asked for per document (the schema's maxItems)
    max_tokens: int = 320
    min_description_words: int = 4

    def __post_init__(self):
        if self.max_pairs < 1:
            raise ValueError("max_pairs must be at least 1")


def schema(max_pairs: int) -> dict:
    pair = {"type": "object",
            "properties": {"entity": {"type": "string", "minLength": 1, "maxLength": 60},
                           "description": {"type": "string", "minLength": 1, "maxLength": DESCRIPTION_CHARS}},
            "required": ["entity", "description"], "additionalProperties": False}
    return {"type": "object",
            "properties": {"pairs": {"type": "array", "items": pair, "minItems": 1, "maxItems": max_pairs}},
            "required": ["pairs"], "additionalProperties": False}


INSTRUCTION = (
    "List the important entities named in the passage below: people, places, organisations, works, "
    "events, species, substances or ideas. For each, write a description of one sentence that is true "
    "according to the passage and makes sense on its own, without the passage. Copy each entity name "
    "exactly as the passage writes it.\n"
    'Reply with JSON only: {"pairs": [{"entity": "...", "description": "..."}, ...]}'
)

# Hand-written worked example, shown as an earlier chat turn (a small model follows an example far
# better than an instruction).
_EXAMPLE_PASSAGE = ("The Danube is the second-longest river in Europe. It rises in the Black Forest of Germany "
                    "and flows through Vienna and Budapest before reaching the Black Sea.")
_EXAMPLE_REPLY = ('{"pairs": [{"entity": "Danube", "description": "The Danube is the second-longest river in '
                  'Europe, flowing from Germany to the Black Sea."}, {"entity": "Black Forest", "description": '
                  '"The Black Forest in Germany is where the Danube rises."}, {"entity": "Black Sea", '
                  '"description": "The Black Sea is where the Danube ends."}]}')


def turn(passage: str) -> str:
    return f"{INSTRUCTION}\n\nPassage:\n{passage}"


def request(doc_id: str, passage: str, tokenizer, special: list[str], *, model: str, max_pairs: int,
            max_tokens: int, sampling: Sampling) -> GenerationRequest:
    messages = [{"role": "user", "content": turn(_EXAMPLE_PASSAGE)},
                {"role": "assistant", "content": _EXAMPLE_REPLY},
                {"role": "user", "content": turn(neutralize(passage, special)[0])}]
    rid = request_id(PROMPT_VERSION, doc_id, messages, schema(max_pairs), max_tokens, sampling, model)
    return GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, schema(max_pairs), sampling)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def grounded(entity: str, passage: str) -> bool:
    """The entity name occurs in the passage, ignoring case, spacing and surrounding punctuation."""
    name = _norm(entity).strip(" .,;:'\"()")
    return bool(name) and name in _norm(passage)


def parse_pairs(text: str, passage: str, min_description_words: int) -> tuple[list[dict], Counter]:
    """The reply's kept pairs {entity, description} and the reject counts (module docstring)."""
    rejects: Counter = Counter()
    value = extract_json(text or "")
    items = value.get("pairs") if isinstance(value, dict) else None
    if not isinstance(items, list):
        rejects["malformed_output"] += 1
        return [], rejects
    kept, seen = [], set()
    for item in items:
        if not isinstance(item, dict):
            rejects["malformed_output"] += 1
            continue
        entity = str(item.get("entity") or "").strip().strip(".,;:")
        description = re.sub(r"\s+", " ", str(item.get("description") or "")).strip()
        if not entity:
            rejects["empty_entity"] += 1
        elif not grounded(entity, passage):
            rejects["ungrounded_entity"] += 1
        elif len(description.split()) < min_description_words:
            rejects["empty_description"] += 1
        elif _norm(entity) in seen:
            rejects["duplicate"] += 1
        else:
            seen.add(_norm(entity))
            kept.append({"entity": entity, "description": description})
    return kept, rejects


def pair_text(pair: dict) -> str:
    """What is embedded and shown to the teacher for one pair."""
    return f"{pair['entity']}: {pair['description']}"
