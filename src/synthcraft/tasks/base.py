"""What every task type provides: one JSON schema used both to constrain decoding and to
validate, the instruction of CRAFT's few-shot template, and the checks the filter stage counts."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class TaskType:
    name: str
    instruction: str          # what the teacher must do with the text (the few-shot template's request)
    schema: dict              # JSON schema of one sample (decoding constraint and validation)
    max_tokens: int           # generation budget per sample (CRAFT B.5: 256 for QA)
    check: Callable[[dict], Optional[str]]    # None if the sample is well-formed, else the reason
    similarity_text: Callable[[dict], str]    # what near-duplicate checks compare
    prompt_and_answer: Callable[[dict], tuple[str, str]]  # the sample as one user/assistant turn

    @property
    def keys(self) -> list[str]:
        return list(self.schema["properties"])

    def answer_json(self, example: dict) -> str:
        """A few-shot's assistant turn: exactly the schema's keys, in schema order."""
        return json.dumps({key: example[key] for key in self.keys}, ensure_ascii=False)

    def validate_fewshot(self, example: dict) -> Optional[str]:
        missing = [key for key in self.keys if key not in example]
        if missing:
            return f"missing field '{missing[0]}'"
        return self.check({key: example[key] for key in self.keys})

    def messages(self, sample: dict) -> list[dict]:
        """Chat-format training example (TRL / axolotl `messages`)."""
        prompt, answer = self.prompt_and_answer(sample)
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]


def string_field(sample: dict, key: str, min_chars: int) -> Optional[str]:
    value = sample.get(key)
    if not isinstance(value, str):
        return "missing_keys" if value is None else "wrong_type"
    if len(value.strip()) < min_chars:
        return f"short_{key}"
    return None
