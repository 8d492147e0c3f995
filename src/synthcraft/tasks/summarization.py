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

INSTRUCTION = (
    "Please carefully read the text below. Then, write an instruction that asks for a summary of the text "
    "and includes the text to summarize, followed by a faithful, concise summary. Return the output only "
    'as a JSON structure in this format: {"instruction": "...", "summary": "..."}'
)


def check(sample: dict) -> Optional[str]:
    if any(key not in sample for key in SCHEMA["required"]):
        return "missing_keys"
    return string_field(sample, "instruction", 50) or string_field(sample, "summary", 20)


TASK = TaskType("summarization", INSTRUCTION, SCHEMA, max_tokens=1536, check=check,
                similarity_text=lambda s: s["summary"],
                prompt_and_answer=lambda s: (s["instruction"], s["summary"]))
