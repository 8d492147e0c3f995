"""Summarization (CRAFT's fourth task): {instruction, summary}; the text is part of the instruction."""
from typing import Optional

from synthcraft.tasks.base import TaskType, string_field

SCHEMA = {
    "type": "object",
    "properties": {
        "instruction": {"type": "string", "minLength": 50, "maxLength": 12000},
        "summary": {"type": "string", "minLength": 20, "maxLength": 3000},
    },
    "required": ["instruction", "summary"],
    "additionalProperties": False,
}

# Follows CRAFT's summarization task (the instruction carries the text; a faithful summary), own words.
INSTRUCTION = (
    "Read the passage below. Write a request asking for a summary of it, with the passage itself "
    "included in the request, then write a short summary that states only what the passage says. "
    'Reply with JSON only, shaped like this: {"instruction": "...", "summary": "..."}'
)


def check(sample: dict) -> Optional[str]:
    if any(key not in sample for key in SCHEMA["required"]):
        return "missing_keys"
    return string_field(sample, "instruction", 50) or string_field(sample, "summary", 20)


TASK = TaskType("summarization", INSTRUCTION, SCHEMA, max_tokens=1536, check=check,
                similarity_text=lambda s: s["summary"],
                prompt_and_answer=lambda s, supervision="answer": (s["instruction"], s["summary"]))
