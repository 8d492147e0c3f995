"""Generation backends behind one interface (base.Backend): transformers, llamacpp, vllm, openai."""
from __future__ import annotations

from synthcraft.backends.base import Backend, GenerationRequest, GenerationResult

BACKENDS = ("transformers", "llamacpp", "vllm", "openai")


def make_backend(name: str, model: str, **options) -> Backend:
    """Build a backend by name; imports are lazy so each only needs its own dependency."""
    if name == "transformers":
        from synthcraft.backends.transformers_backend import TransformersBackend

        return TransformersBackend(model, batch_size=options.get("batch_size", 8))
    if name == "llamacpp":
        from synthcraft.backends.llamacpp_backend import LlamaCppBackend

        return LlamaCppBackend(model, context_length=options.get("context_length", 4096),
                               threads=options.get("threads"))
    if name == "vllm":
        from synthcraft.backends.vllm_backend import VLLMBackend

        return VLLMBackend(model, tensor_parallel_size=options.get("tensor_parallel_size", 1),
                           context_length=options.get("context_length", 8192))
    if name == "openai":
        from synthcraft.backends.openai_backend import OpenAIBackend
        from synthcraft.models import load_tokenizer

        tokenizer = load_tokenizer(options["tokenizer"]) if options.get("tokenizer") else None
        return OpenAIBackend(options.get("server_model") or model, options["base_url"],
                             api_key_env=options.get("api_key_env", "OPENAI_API_KEY"),
                             concurrency=options.get("concurrency", 4), max_retries=options.get("max_retries", 5),
                             timeout_s=options.get("timeout_s", 120.0), context_length=options.get("context_length", 8192),
                             tokenizer=tokenizer, response_format=options.get("response_format", "json_schema"))
    raise ValueError(f"unknown backend {name!r}. Fix: set generate.backend to one of {list(BACKENDS)}")
