"""llama-cpp-python on a GGUF file, with the JSON schema compiled to a llama.cpp grammar.

Optional extra (`pip install synthcraft[llamacpp]`): it compiles llama.cpp from source.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Iterator, Optional

from synthcraft import assets
from synthcraft.backends.base import GenerationRequest, GenerationResult


NAME = "llamacpp"
# llama.cpp spells a string's maxLength out as nested optional rules and refuses a grammar with
# more than about 1,000 of them ("exceeds sane defaults"): the openqa answer (1,200 characters) and
# the summarization text would fail. Longer limits are left out of the grammar only; max_tokens
# still bounds the output, and the filter stage validates the full schema, maxLength included.
GRAMMAR_MAX_LENGTH = 800


def grammar_schema(schema):
    """``schema`` without string ``maxLength`` limits above GRAMMAR_MAX_LENGTH (a copy)."""
    if isinstance(schema, dict):
        return {key: grammar_schema(value) for key, value in schema.items()
                if not (key == "maxLength" and isinstance(value, int) and value > GRAMMAR_MAX_LENGTH)}
    if isinstance(schema, list):
        return [grammar_schema(value) for value in schema]
    return schema


@dataclass
class Options:
    """``generate.llamacpp:``"""
    threads: Optional[int] = None   # None: all cores (generation is the only work running)


def build(model: str, context_length: int, tokenizer: Optional[str], options: Options) -> "LlamaCppBackend":
    return LlamaCppBackend(model, context_length=context_length, threads=options.threads)


class LlamaCppBackend:
    name = NAME

    def __init__(self, model: str, context_length: int = 4096, threads: int | None = None):
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ImportError("generate.backend=llamacpp needs llama-cpp-python. Fix: make setup "
                              "(or pip install -e '.[llamacpp]'; it compiles llama.cpp, ~7 min on 2 cores)") from None
        path = assets.resolve(model)
        if path.suffix != ".gguf":
            raise ValueError(f"generate.model={model!r}: the llamacpp backend needs a .gguf file")
        # llama-cpp-python defaults to half the cores; generation here is the only work running.
        threads = threads or os.cpu_count()
        self.llm = Llama(model_path=str(path), n_ctx=context_length, n_threads=threads, n_threads_batch=threads,
                         verbose=False)
        self.context_length = self.llm.n_ctx()
        self._grammars: dict[str, object] = {}

    def count_tokens(self, prompt: str) -> int:
        return len(self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def _grammar(self, schema: dict):
        from llama_cpp import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = LlamaGrammar.from_json_schema(json.dumps(grammar_schema(schema)),  # keeps key order
                                                                verbose=False)
        return self._grammars[key]

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        # llama.cpp reuses the KV cache for the longest prefix shared with the previous prompt
        # (run_requests sorts them by prompt). Starting each call from an empty cache
        # makes a call's results independent of what ran before it, so a resumed run matches.
        self.llm.reset()
        for request in requests:
            s = request.sampling
            # The prompt is already rendered with the model's chat template; the seed is per
            # request, so results do not depend on order or batching.
            out = self.llm.create_completion(
                request.prompt, max_tokens=request.max_tokens, temperature=s.temperature, top_p=s.top_p,
                top_k=s.top_k, seed=request.seed, grammar=self._grammar(request.schema))
            choice, usage = out["choices"][0], out["usage"]
            yield GenerationResult(request.id, choice["text"], usage["prompt_tokens"], usage["completion_tokens"],
                                   choice.get("finish_reason") or "stop")
