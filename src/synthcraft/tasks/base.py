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
    # the sample as one user/assistant turn, the assistant's in the given supervision form
    prompt_and_answer: Callable[[dict, str], tuple[str, str]]
    # what the assistant turn of a training example holds (the first is the default): mcqa can teach
    # the letter alone or the letter with the option's text; other types teach their answer field
    supervisions: tuple[str, ...] = ("answer",)
    # forms taught as a plain-text completion (no chat template), because the score they serve reads
    # a plain-text context: mcqa's cloze form
    plain_supervisions: tuple[str, ...] = ()

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

    def supervision(self, name: Optional[str]) -> str:
        """``name`` checked against this type's forms (None: the default form)."""
        if name is None:
            return self.supervisions[0]
        if name not in self.supervisions:
            raise ValueError(f"task.supervision={name!r} is not a form of task type {self.name!r}. "
                             f"Fix: use one of {list(self.supervisions)} (or null for {self.supervisions[0]!r})")
        return name

    def messages(self, sample: dict, supervision: Optional[str] = None) -> list[dict]:
        """Chat-format training example (TRL / axolotl `messages`), the answer in ``supervision`` form."""
        prompt, answer = self.prompt_and_answer(sample, self.supervision(supervision))
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]

    def example(self, sample: dict, supervision: Optional[str] = None) -> dict:
        """One training example in the format TRL's SFTTrainer reads as-is: ``{"messages": [...]}``
        for chat forms, ``{"prompt": ..., "completion": ...}`` for the plain-text ones."""
        supervision = self.supervision(supervision)
        if supervision in self.plain_supervisions:
            prompt, completion = self.prompt_and_answer(sample, supervision)
            return {"prompt": prompt, "completion": completion}
        return {"messages": self.messages(sample, supervision)}


def string_field(sample: dict, key: str, min_chars: int) -> Optional[str]:
    value = sample.get(key)
    if not isinstance(value, str):
        return "missing_keys" if value is None else "wrong_type"
    if len(value.strip()) < min_chars:
        return f"short_{key}"
    return None
