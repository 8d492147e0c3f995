"""Open question answering: {question, answer}."""
from typing import Optional

from synthcraft.tasks.base import TaskType, string_field

SCHEMA = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "minLength": 16, "maxLength": 400},
        "answer": {"type": "string", "minLength": 1, "maxLength": 1200},
    },
    "required": ["question", "answer"],
    "additionalProperties": False,
}

INSTRUCTION = (
    "Please carefully read the text below. Then, write exactly one question that the text answers, and "
    'the answer to it. Return the output only as a JSON structure in this format: {"question": "...", "answer": "..."}'
)


def check(sample: dict) -> Optional[str]:
    if any(key not in sample for key in SCHEMA["required"]):
        return "missing_keys"
    return string_field(sample, "question", 16) or string_field(sample, "answer", 1)


TASK = TaskType("openqa", INSTRUCTION, SCHEMA, max_tokens=256, check=check,
                similarity_text=lambda s: f"{s['question']} {s['answer']}",
                prompt_and_answer=lambda s: (s["question"], s["answer"]))
