"""Few-shot files: ``data/fewshots/<task>.jsonl``, one example per line, validated on load.

A bioqa few-shot is an encyclopedic passage, a question answerable from it, four options and the
answer letter. Errors name the file, the line and the field, so a hand-edited file is easy to fix.
"""
from __future__ import annotations

import json
from pathlib import Path

LETTERS = "ABCD"


class FewShotError(ValueError):
    pass


def _check(shot: object, where: str) -> dict:
    if not isinstance(shot, dict):
        raise FewShotError(f"{where}: expected a JSON object with id, text, question, options, answer")
    for key in ("id", "text", "question", "answer"):
        if key not in shot:
            raise FewShotError(f"{where}: missing field '{key}'")
        if not isinstance(shot[key], str) or not shot[key].strip():
            raise FewShotError(f"{where}: field '{key}' must be a non-empty string")
    options = shot.get("options")
    if options is None:
        raise FewShotError(f"{where}: missing field 'options'")
    if not (isinstance(options, list) and len(options) == 4
            and all(isinstance(o, str) and o.strip() for o in options)):
        raise FewShotError(f"{where}: field 'options' must be a list of 4 non-empty strings")
    if len({o.strip().casefold() for o in options}) != 4:
        raise FewShotError(f"{where}: field 'options' has repeated options")
    if shot["answer"] not in LETTERS:
        raise FewShotError(f"{where}: field 'answer' must be one of A, B, C, D (got {shot['answer']!r})")
    return shot


def load_fewshots(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        raise FewShotError(f"{path}: no few-shot file. Fix: write one example per line (see README, 'Bring your own few-shots')")
    shots, ids = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            shot = _check(json.loads(line), where)
        except json.JSONDecodeError as err:
            raise FewShotError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
        if shot["id"] in ids:
            raise FewShotError(f"{where}: duplicate id {shot['id']!r}")
        ids.add(shot["id"])
        shots.append(shot)
    if not shots:
        raise FewShotError(f"{path}: no few-shots in the file")
    return shots


def embedding_text(shot: dict) -> str:
    """What is embedded for retrieval: the whole example, as in CRAFT (domain and task both count)."""
    options = " ".join(f"{letter}) {option}" for letter, option in zip(LETTERS, shot["options"]))
    return f"{shot['text']}\n\n{shot['question']}\n{options}\nAnswer: {shot['answer']}"
