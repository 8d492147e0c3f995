"""Multiple-choice scoring by log-probabilities, in letter and cloze form.

letter      The question and its lettered options end in "Answer:" as the user turn of the model's
            chat template (exactly what the mcqa training data looks like); an option's score is
            the log-probability of its letter as the assistant's first token (MMLU's form). One
            forward pass per item scores all its letters.
cloze       "Question: <question>\nAnswer:" as plain text, without the options; an option's score
            is the summed log-probability of " <option text>" after it (lm-evaluation-harness'
            ``acc`` on its MMLU continuation task; SmolLM2's own reports use this form). Plain text,
            not the chat template, because an instruct model's reply rarely *starts* with the bare
            answer: in chat form the score measures how replies begin as much as what is true.
cloze_norm  The cloze score divided by the option's length in characters (``acc_norm``), so long
            options are not penalised for being long.

An item has 2 to 5 options and is scored over its own (batches hold items with the same count).
The cloze continuations share their question: it runs once per item and its key/value cache
is repeated for its options, each run only over its own tokens. ``share_prefix=False`` runs
every full sequence instead (the baseline of benchmarks/eval_scoring.py; a test checks that both
give the scores of one plain forward pass per sequence). Letter and cloze prompts differ from the
first token (chat header vs "Question:"), so there is nothing to share between the two forms.
``letter=False`` skips the letter pass (about a third of the scoring time: its prompt holds every
option; benchmarks/eval_scoring.py); the cloze scores are the same either way, batch by batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from tqdm.auto import tqdm

from synthcraft.evaluation.items import LETTERS
from synthcraft.tasks import mcqa

FORMS = ("letter", "cloze", "cloze_norm")


@dataclass
class OptionScores:
    """One item's option scores in each form (higher is better), one per option."""
    letter: Optional[list[float]]   # None: the letter form was not scored
    cloze: list[float]
    chars: list[int]   # option lengths in characters (stripped, as scored), for cloze_norm

    def form(self, name: str) -> list[float]:
        if name == "letter":
            if self.letter is None:
                raise ValueError("the letter form was not scored. Fix: add letter to the stage's forms")
            return self.letter
        if name == "cloze":
            return self.cloze
        if name == "cloze_norm":
            return [score / max(chars, 1) for score, chars in zip(self.cloze, self.chars)]
        raise ValueError(f"unknown scoring form {name!r}; use one of {FORMS}")


@dataclass
class EncodedItem:
    letter: list[int]          # the whole letter prompt; the letter follows it
    cloze: list[int]           # "Question: ...\nAnswer:"; each option follows it
    options: list[list[int]]   # " <option text>" per option


def letter_token_ids(tokenizer) -> list[int]:
    """Token ids of the option letters "A".."E", the assistant's first token; each must be one token."""
    ids = [tokenizer(letter, add_special_tokens=False)["input_ids"] for letter in LETTERS]
    if any(len(i) != 1 for i in ids):
        raise ValueError(f"the tokenizer splits the answer letters into several tokens: {ids}")
    return [i[0] for i in ids]


def letter_user_turn(item: dict) -> str:
    """The user turn the mcqa training data uses: question, lettered options, "Answer:"."""
    user, _ = mcqa.prompt_and_answer({"question": item["question"], "options": item["choices"], "answer": ""})
    return user


def letter_prompt(tokenizer, item: dict) -> str:
    return tokenizer.apply_chat_template([{"role": "user", "content": letter_user_turn(item)}], tokenize=False,
                                         add_generation_prompt=True)


def cloze_prompt(item: dict) -> str:
    return mcqa.cloze_prompt(item["question"])


def encode(tokenizer, item: dict) -> EncodedItem:
    """Token ids, context and continuations tokenized separately (as lm-evaluation-harness does up
    to whitespace handling), so the shared and the full-sequence runs see identical tokens."""
    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"] if text else []

    return EncodedItem(ids(letter_prompt(tokenizer, item)), ids(cloze_prompt(item)),
                       [ids(" " + option.strip()) if option.strip() else [] for option in item["choices"]])


def pad(rows: list[list[int]], pad_id: int, right: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows padded to one width (on the left unless ``right``), and their attention mask."""
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, row in enumerate(rows):
        if row:
            where = slice(0, len(row)) if right else slice(width - len(row), width)
            ids[r, where] = torch.tensor(row)
            mask[r, where] = 1
    return ids, mask


def positions(mask: torch.Tensor, start: torch.Tensor | int = 0) -> torch.Tensor:
    """Position ids that skip padding (pads get any value: they are masked)."""
    return (mask.cumsum(-1) - 1).clamp(min=0) + (start[:, None] if torch.is_tensor(start) else start)


def letter_scores(logits: torch.Tensor, letters: list[int]) -> list[list[float]]:
    """Log-probabilities of the four letters at each row's last position."""
    return logits[:, -1].float().log_softmax(-1)[:, letters].tolist()


def continuation_scores(logits: torch.Tensor, continuations: list[list[int]], starts: list[int]) -> list[float]:
    """Summed log-probability of each row's continuation, whose tokens are predicted by the logits
    at positions starts[r] .. starts[r] + len - 1 of that row."""
    out = []
    for r, (tokens, start) in enumerate(zip(continuations, starts)):
        if not tokens:  # an empty option cannot win by having nothing to pay for
            out.append(float("-inf"))
            continue
        window = logits[r, start: start + len(tokens)].float()
        targets = torch.tensor(tokens, device=logits.device)[:, None]
        # log-softmax at the target only: the full vocabulary-sized copy is never made
        out.append(float((window.gather(-1, targets).squeeze(-1) - window.logsumexp(-1)).sum()))
    return out


@torch.inference_mode()
def score_items(model, tokenizer, items: list[dict], batch_size: int = 16, desc: str = "score",
                share_prefix: bool = True, letter: bool = True) -> list[OptionScores]:
    """Every item's option scores in every form, or in the cloze forms only (``letter=False``)."""
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    letters = letter_token_ids(tokenizer)
    encoded = [encode(tokenizer, item) for item in items]
    # Items with as many options together (their caches repeat alike), similar lengths together (less padding)
    order = sorted(range(len(items)), key=lambda i: (len(encoded[i].options), len(encoded[i].letter)))
    batches = [order[start: start + batch_size] for start in range(0, len(order), batch_size)]
    batches = [part for batch in batches for part in split_by_count(batch, encoded)]
    scores: list[OptionScores | None] = [None] * len(items)
    device = model.device
    for batch in tqdm(batches, desc=desc, unit="batch"):
        chunk = [encoded[i] for i in batch]
        n = len(chunk[0].options)
        letter_rows: list = [None] * len(chunk)
        if letter:
            ids, mask = pad([item.letter for item in chunk], pad_id)
            letter_rows = letter_scores(model(input_ids=ids.to(device), attention_mask=mask.to(device),
                                              position_ids=positions(mask).to(device), logits_to_keep=1).logits,
                                        letters[:n])
        options = [option for item in chunk for option in item.options]
        if share_prefix:
            cloze = shared_cloze(model, [item.cloze for item in chunk], options, pad_id)
        else:
            cloze = full_cloze(model, [item.cloze for item in chunk for _ in range(n)], options, pad_id)
        for k, i in enumerate(batch):
            chars = [len(c.strip()) for c in items[i]["choices"]]
            scores[i] = OptionScores(letter_rows[k], cloze[n * k: n * k + n], chars)
    return scores


def split_by_count(batch: list[int], encoded: list[EncodedItem]) -> list[list[int]]:
    """``batch`` cut where the option count changes (the order puts equal counts together)."""
    parts: list[list[int]] = []
    for i in batch:
        if parts and len(encoded[parts[-1][-1]].options) == len(encoded[i].options):
            parts[-1].append(i)
        else:
            parts.append([i])
    return parts


def shared_cloze(model, prefixes: list[list[int]], options: list[list[int]], pad_id: int) -> list[float]:
    """Each prefix once (left-padded), its cache repeated for its options (right-padded); every
    prefix has the same number of options."""
    device = model.device
    n = len(options) // len(prefixes)
    ids, mask = pad(prefixes, pad_id)
    out = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions(mask).to(device),
                use_cache=True, logits_to_keep=1)
    cache = out.past_key_values
    cache.batch_repeat_interleave(n)
    first = out.logits[:, -1:].repeat_interleave(n, dim=0)  # predicts each option's first token
    mask = mask.repeat_interleave(n, dim=0)
    tail, tail_mask = pad([option or [pad_id] for option in options], pad_id, right=True)
    logits = model(input_ids=tail.to(device), attention_mask=torch.cat([mask, tail_mask], dim=1).to(device),
                   position_ids=positions(tail_mask, mask.sum(-1)).to(device), past_key_values=cache,
                   use_cache=True).logits
    return continuation_scores(torch.cat([first, logits], dim=1), options, [0] * len(options))


def full_cloze(model, prefixes: list[list[int]], options: list[list[int]], pad_id: int) -> list[float]:
    """Every prefix + option as its own (left-padded) row."""
    device = model.device
    keep = 1 + max(len(option) for option in options)
    ids, mask = pad([p + o for p, o in zip(prefixes, options)], pad_id)
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=positions(mask).to(device),
                   logits_to_keep=keep).logits
    return continuation_scores(logits, options, [keep - 1 - len(option) for option in options])
