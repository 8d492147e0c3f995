"""The student's own answers to open-ended prompts: greedy decoding in its chat format.

The prompt is the user turn, exactly as an openqa / summarization training example presents it
(``TaskType.prompt_and_answer``), so a tuned model is asked the way it was taught. Greedy
decoding: the same model and prompt give the same answer, so two models' answers differ only
because the models do.
"""
from __future__ import annotations

import torch
from tqdm.auto import tqdm

from synthcraft.generation import render


@torch.no_grad()
def generate_answers(model, tokenizer, prompts: list[str], max_new_tokens: int, batch_size: int = 16,
                     desc: str = "answer") -> list[dict]:
    """One {answer, tokens, finish_reason} per prompt, in order. Batched with left padding, longest
    prompts first (similar lengths share a batch, and a too-long batch fails at the start)."""
    texts = [render(tokenizer, [{"role": "user", "content": prompt}]) for prompt in prompts]
    encoded = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
    order = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    stop_ids = {tokenizer.eos_token_id, *([model.generation_config.eos_token_id]
                                          if isinstance(model.generation_config.eos_token_id, int)
                                          else model.generation_config.eos_token_id or [])}
    results: list[dict | None] = [None] * len(prompts)
    device = next(model.parameters()).device
    for start in tqdm(range(0, len(order), batch_size), desc=desc, unit="batch", dynamic_ncols=True):
        batch = order[start: start + batch_size]
        width = max(len(encoded[i]) for i in batch)
        ids = torch.tensor([[pad_id] * (width - len(encoded[i])) + encoded[i] for i in batch], device=device)
        mask = torch.tensor([[0] * (width - len(encoded[i])) + [1] * len(encoded[i]) for i in batch], device=device)
        output = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
                                temperature=None, top_p=None, top_k=None, pad_token_id=pad_id)
        for row, index in zip(output[:, width:].tolist(), batch):
            stop = next((k for k, token in enumerate(row) if token in stop_ids), None)
            new = row if stop is None else row[:stop]
            results[index] = {"answer": tokenizer.decode(new, skip_special_tokens=True).strip(),
                              "tokens": len(new), "finish_reason": "length" if stop is None else "stop"}
    return results
