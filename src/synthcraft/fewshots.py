"""Few-shot files: ``data/fewshots/<task>.jsonl``, one example per line, validated on load.

Each line has an ``id``, a ``text`` (the passage) and the fields of its task type's schema; a
bioqa (mcqa) few-shot adds a question answerable from the text, four options and the answer
letter. Errors name the file, the line and the field, so a hand-edited file is easy to fix.
"""
from __future__ import annotations

import json
from pathlib import Path

from synthcraft.tasks.base import TaskType


class FewShotError(ValueError):
    pass


REASON_TEXT = {
    "missing_keys": "missing a required field",
    "wrong_type": "a field has the wrong type",
    "options_not_4": "field 'options' must be a list of 4 non-empty strings",
    "options_not_distinct": "field 'options' has repeated options",
    "bad_answer_letter": "field 'answer' must be one of A, B, C, D",
}


def _check(shot: object, where: str, task: TaskType) -> dict:
    if not isinstance(shot, dict):
        raise FewShotError(f"{where}: expected a JSON object with id, text and {', '.join(task.keys)}")
    for key in ["id", "text", *task.keys]:
        if key not in shot:
            raise FewShotError(f"{where}: missing field '{key}'")
    for key in ("id", "text"):
        if not isinstance(shot[key], str) or not shot[key].strip():
            raise FewShotError(f"{where}: field '{key}' must be a non-empty string")
    reason = task.validate_fewshot(shot)
    if reason:
        detail = REASON_TEXT.get(reason) or f"field '{reason.removeprefix('short_')}' is too short"
        raise FewShotError(f"{where}: {detail} (task type {task.name})")
    return shot


def load_fewshots(path: str | Path, task: TaskType) -> list[dict]:
    path = Path(path)
    if not path.exists():
        raise FewShotError(f"{path}: no few-shot file. Fix: write one example per line (see README, 'Bring your own corpus and few-shots')")
    shots, ids = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            shot = _check(json.loads(line), where, task)
        except json.JSONDecodeError as err:
            raise FewShotError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
        if shot["id"] in ids:
            raise FewShotError(f"{where}: duplicate id {shot['id']!r}")
        ids.add(shot["id"])
        shots.append(shot)
    if not shots:
        raise FewShotError(f"{path}: no few-shots in the file")
    return shots


def training_examples(shots: list[dict], task: TaskType, supervision: str | None = None) -> list[dict]:
    """The few-shots as training examples (the few-shot-only baseline trains on these)."""
    return [task.example({key: shot[key] for key in task.keys}, supervision) for shot in shots]
