"""Batched, left-padded transformers generation with JSON-schema constrained decoding (xgrammar)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator, Optional

import torch

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.models import load_causal_lm, load_tokenizer
from synthcraft.params import at_least


NAME = "transformers"


@dataclass
class Options:
    """``generate.transformers:``"""
    batch_size: int = 8
    dtype: str = "float32"

    def __post_init__(self):
        at_least(1, batch_size=self.batch_size)


def build(model: str, context_length: int, tokenizer: Optional[str], options: Options) -> "TransformersBackend":
    return TransformersBackend(model, context_length=context_length, batch_size=options.batch_size,
                               dtype=options.dtype)


class TransformersBackend:
    name = NAME

    def __init__(self, model: str, context_length: int = 4096, batch_size: int = 8, dtype: str = "float32"):
        import xgrammar

        self.tokenizer = load_tokenizer(model)
        self.tokenizer.padding_side = "left"  # decoder-only: pad on the left so outputs line up
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = load_causal_lm(model, getattr(torch, dtype))
        self.batch_size = batch_size
        # The model cannot attend past its trained positions, whatever params ask for.
        self.context_length = min(context_length, int(getattr(self.model.config, "max_position_embeddings", context_length)))
        info = xgrammar.TokenizerInfo.from_huggingface(self.tokenizer, vocab_size=self.model.config.vocab_size)
        self._compiler = xgrammar.GrammarCompiler(info)
        self._grammars: dict[str, object] = {}

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def _grammar(self, schema: dict):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = self._compiler.compile_json_schema(json.dumps(schema))  # keep property order
        return self._grammars[key]

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        from xgrammar.contrib.hf import LogitsProcessor

        for start in range(0, len(requests), self.batch_size):
            batch = requests[start: start + self.batch_size]
            inputs = self.tokenizer([r.prompt for r in batch], return_tensors="pt", padding=True, add_special_tokens=False)
            sampling = batch[0].sampling
            torch.manual_seed(batch[0].seed)  # batched sampling shares one generator: seed by the batch's first id
            processor = LogitsProcessor([self._grammar(r.schema) for r in batch])
            with torch.inference_mode():
                output = self.model.generate(
                    **inputs, max_new_tokens=max(r.max_tokens for r in batch), do_sample=sampling.temperature > 0,
                    temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
                    logits_processor=[processor], pad_token_id=self.tokenizer.pad_token_id)
            new_tokens = output[:, inputs["input_ids"].shape[1]:]
            for request, tokens, mask in zip(batch, new_tokens, inputs["attention_mask"]):
                tokens = tokens[tokens != self.tokenizer.pad_token_id]
                finished = len(tokens) < request.max_tokens
                yield GenerationResult(request.id, self.tokenizer.decode(tokens, skip_special_tokens=True),
                                       int(mask.sum()), len(tokens), "stop" if finished else "length")
