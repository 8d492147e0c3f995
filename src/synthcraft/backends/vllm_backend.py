"""Offline vLLM (CUDA only; `pip install synthcraft[gpu]`). Written against vLLM's documented
``LLM`` / ``SamplingParams`` / ``StructuredOutputsParams`` interface (v0.12+); it has NOT been run
on this project's CPU machines. tests/test_backends.py checks the request and result mapping by
standing in for the engine at exactly this boundary.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.models import locate


def sampling_params(request: GenerationRequest, vllm_module):
    """CRAFT sampling plus the task's JSON schema as structured output, for one request."""
    s = request.sampling
    return vllm_module.SamplingParams(
        temperature=s.temperature, top_p=s.top_p, top_k=s.top_k, max_tokens=request.max_tokens,
        seed=request.seed,
        structured_outputs=vllm_module.sampling_params.StructuredOutputsParams(json=request.schema))


NAME = "vllm"


@dataclass
class Options:
    """``generate.vllm:``"""
    tensor_parallel_size: int = 1   # GPUs to shard the teacher over


def build(model: str, context_length: int, tokenizer: Optional[str], options: Options) -> "VLLMBackend":
    return VLLMBackend(model, tensor_parallel_size=options.tensor_parallel_size, context_length=context_length)


class VLLMBackend:
    name = NAME

    def __init__(self, model: str, tensor_parallel_size: int = 1, context_length: int = 4096, engine=None,
                 vllm_module=None):
        if vllm_module is None:
            import vllm as vllm_module  # noqa: N813  (the real module; tests pass a stand-in)
        self.vllm = vllm_module
        where, extra = locate(model)
        model_arg = f"{where}/{extra['gguf_file']}" if "gguf_file" in extra else where
        # Prefix caching: the three few-shot turns repeat across many prompts.
        self.llm = engine or vllm_module.LLM(model=model_arg, tensor_parallel_size=tensor_parallel_size,
                                             enable_prefix_caching=True, max_model_len=context_length)
        self.context_length = context_length
        self.tokenizer = self.llm.get_tokenizer()

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        params = [sampling_params(r, self.vllm) for r in requests]
        outputs = self.llm.generate([r.prompt for r in requests], params, use_tqdm=False)
        for request, output in zip(requests, outputs):  # vLLM returns outputs in input order
            completion = output.outputs[0]
            yield GenerationResult(request.id, completion.text, len(output.prompt_token_ids),
                                   len(completion.token_ids), completion.finish_reason or "stop")
