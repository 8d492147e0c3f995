"""The loop every evaluate stage shares: each model is loaded once (its base with the adapter
merged), scored on every multiple-choice set and made to answer every open set, then freed before
the next, so one model is in memory at a time. Stages differ only in what they report."""
from __future__ import annotations

import logging
from typing import Optional

from synthcraft.evaluation import load_model
from synthcraft.evaluation.answers import generate_answers
from synthcraft.evaluation.scoring import FORMS, score_items
from synthcraft.evaluation.summaries import Scored
from synthcraft.models import load_tokenizer
from synthcraft.runtime import autocast

log = logging.getLogger(__name__)


def run_models(models: dict[str, tuple[str, Optional[str]]], mcqa_sets: dict[str, list[dict]],
               open_sets: dict[str, tuple[list[dict], int]], *, batch_size: int, device: str,
               bf16: bool, forms: tuple[str, ...] = FORMS
               ) -> tuple[dict[str, dict[str, Scored]], dict[str, dict[str, list[dict]]]]:
    """``models``: {name: (base folder, adapter folder or None)}; ``open_sets``: {name: (items,
    max new tokens)}; ``forms``: the scoring forms to compute (without letter, its forward pass is
    skipped). Returns ({set: {model: Scored}}, {set: {model: answers}})."""
    scored: dict[str, dict[str, Scored]] = {name: {} for name in mcqa_sets}
    answers: dict[str, dict[str, list[dict]]] = {name: {} for name in open_sets}
    tokenizers: dict[str, object] = {}
    for model_name, (base, adapter) in models.items():
        if base not in tokenizers:
            tokenizers[base] = load_tokenizer(base)
        tokenizer = tokenizers[base]
        with autocast(device, bf16):
            model = load_model(base, adapter, device)
            for set_name, items in mcqa_sets.items():
                result = Scored(items, score_items(model, tokenizer, items, batch_size, f"{model_name} on {set_name}",
                                                   letter="letter" in forms))
                scored[set_name][model_name] = result
                log.info("%s on %s: %s", model_name, set_name,
                         ", ".join(f"{form} {result.correct(form).mean():.4f}" for form in forms))
            for set_name, (items, max_new_tokens) in open_sets.items():
                answers[set_name][model_name] = generate_answers(model, tokenizer, [i["prompt"] for i in items],
                                                                 max_new_tokens, batch_size, f"{model_name} on {set_name}")
        del model
    return scored, answers
