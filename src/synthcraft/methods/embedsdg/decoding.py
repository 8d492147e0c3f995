"""d(i(t1, t2)) of eq. 6: the student decodes an interpolated embedding matrix.

The copy prompt P_d is rendered as text (with the student's chat template unless
``embedsdg_decode.chat`` is false) and split at the placeholder where the input text would go; the
student is fed embed(prefix) ; matrix ; embed(suffix) as ``inputs_embeds`` and generates greedily.
Prompts of a batch are left-padded with zero vectors under a zero attention mask.

Which model decodes (``embedsdg_decode.decoder``): the paper's is the student. Here the default is the
base model, which reads the same input space -- LoRA leaves the embedding layer untouched, so the
student's token embeddings are the base model's -- because a student tuned on MMLU, whose answers
are one letter, learned to end its turn at once: it left 58 of 64 copies empty (and 98% of
decodings unusable) where the base model decodes half of them into text (measured 2026-11-30).
With ``embedsdg_student.tune=false`` (the paper's setting, D already in the student) both are the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import re

import numpy as np
import torch
from tqdm.auto import tqdm

from synthcraft.generation import render
from synthcraft.params import choice
from synthcraft.methods.embedsdg.prompts import PLACEHOLDER

# P_d separates its examples by a blank line; a copy also ends where the model starts another pair.
WORD = re.compile(r"[^\W\d_]{3,}")   # a word: three or more letters
STOPS = ["\n\n", "\nOutput:", "\nInput:"]


@dataclass
class DecodeParams:
    """The ``embedsdg_decode:`` section."""
    decoder: str = "base"          # base | student: which model decodes (see the module docstring)
    copy_examples: int = 4         # P_d's copy examples (Listing 3 shows four), drawn from the pool
    max_new_tokens: int = 96
    batch_size: int = 8
    chat: bool = True              # render P_d with the student's chat template (false: plain completion)
    min_words: int = 4             # fewer words (3+ letters) than this: degenerate (skipped, counted)
    min_distinct_share: float = 0.3   # distinct words / words below this: degenerate (a loop)
    seed: int = 0                  # which pool items are the copy examples

    def __post_init__(self):
        choice(self.decoder, ("base", "student"), "embedsdg_decode.decoder")


def prompt_parts(tokenizer, prompt: str, chat: bool) -> tuple[list[int], list[int]]:
    """Token ids before and after the placeholder of the rendered copy prompt."""
    if chat:
        text = render(tokenizer, [{"role": "user", "content": prompt}]) + "Output:"
    else:
        text = prompt + "\nOutput:"
    before, after = text.split(PLACEHOLDER)
    encode = lambda s: tokenizer(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    return encode(before), encode(after)


@torch.inference_mode()
def decode_matrices(model, tokenizer, prefix: list[int], suffix: list[int], matrices: list[np.ndarray],
                    max_new_tokens: int, batch_size: int = 8, desc: str = "decode") -> list[dict]:
    """{text, tokens_in, tokens_out} per matrix (each an (m x N) array in the student's input space)."""
    embed = model.get_input_embeddings()
    dtype = embed.weight.dtype
    before = embed(torch.tensor(prefix)).to(dtype)
    after = embed(torch.tensor(suffix)).to(dtype)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    out: list[dict] = []
    for start in tqdm(range(0, len(matrices), batch_size), desc=desc, unit="batch"):
        rows = [torch.cat([before, torch.as_tensor(m, dtype=dtype), after]) for m in matrices[start: start + batch_size]]
        width = max(len(r) for r in rows)
        inputs = torch.zeros(len(rows), width, before.shape[1], dtype=dtype)
        mask = torch.zeros(len(rows), width, dtype=torch.long)
        for i, r in enumerate(rows):
            inputs[i, width - len(r):] = r
            mask[i, width - len(r):] = 1
        generated = model.generate(inputs_embeds=inputs, attention_mask=mask, max_new_tokens=max_new_tokens,
                                   do_sample=False, pad_token_id=pad, stop_strings=STOPS, tokenizer=tokenizer)
        for r, ids in zip(rows, generated.tolist()):
            ids = [t for t in ids if t != pad]
            out.append({"text": clean(tokenizer.decode(ids, skip_special_tokens=True)),
                        "tokens_in": len(r), "tokens_out": len(ids), "token_ids": ids})
    return out


def clean(text: str) -> str:
    """The copy itself: up to the first stop, without a repeated "Output:" label."""
    for stop in STOPS:
        text = text.split(stop)[0]
    text = text.strip()
    return text.removeprefix("Output:").strip()


def degenerate(text: str, params: DecodeParams, copy_examples: list[str] = ()) -> Optional[str]:
    """Why a decoding cannot guide the teacher (None when it can). Repeating one of P_d's own copy
    examples is not a decoding of the input: counted as ``copied_prompt_example``."""
    words = WORD.findall(text)   # "A.\nB.\nC." or "3 * 10 = 30" hold no word: nothing to build on
    first_line = text.splitlines()[0].strip().casefold() if text.strip() else ""
    if first_line and any(first_line == e.splitlines()[0].strip().casefold() for e in copy_examples):
        return "copied_prompt_example"
    if not text.strip():
        return "empty"
    if len(words) < params.min_words:
        return "too_short"
    if len({w.casefold() for w in words}) / len(words) < params.min_distinct_share:
        return "repetitive"
    return None
