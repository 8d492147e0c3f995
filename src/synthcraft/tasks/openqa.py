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

# Same structure as CRAFT's Figure 6 template (read, write one item, JSON only), own words.
INSTRUCTION = (
    "Read the passage below and write a single question that it answers, together with that answer in "
    'a sentence or two. Reply with JSON only, shaped like this: {"question": "...", "answer": "..."}'
)


def check(sample: dict) -> Optional[str]:
    if any(key not in sample for key in SCHEMA["required"]):
        return "missing_keys"
    return string_field(sample, "question", 16) or string_field(sample, "answer", 1)


TASK = TaskType("openqa", INSTRUCTION, SCHEMA, max_tokens=256, check=check,
                similarity_text=lambda s: f"{s['question']} {s['answer']}",
                prompt_and_answer=lambda s, supervision="answer": (s["question"], s["answer"]))
