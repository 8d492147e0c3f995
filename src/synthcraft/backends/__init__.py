"""Generation backends behind one interface (base.Backend), chosen by name from a registry.

Each backend module defines its ``Options`` dataclass (the ``generate.<backend>:`` section of
params.yaml) and ``build(model, context_length, tokenizer, options)``. Backend modules import
their heavy dependency (llama_cpp, vllm, openai, xgrammar) only when built, so each backend
needs only its own extra installed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json

from synthcraft import assets
from synthcraft.backends import llamacpp_backend, openai_backend, transformers_backend, vllm_backend
from synthcraft.backends.base import Backend, GenerationRequest, GenerationResult, Sampling

REGISTRY = {module.NAME: module for module in
            (llamacpp_backend, transformers_backend, vllm_backend, openai_backend)}
BACKENDS = tuple(REGISTRY)

__all__ = ["BACKENDS", "REGISTRY", "Backend", "GenerationRequest", "GenerationResult", "Sampling", "make_backend",
           "teacher_fingerprint"]

# Options that change how fast a backend answers, never what it writes; every other option counts.
SPEED_ONLY = {"python", "api_key_env", "concurrency", "max_retries", "timeout_s", "gpu_memory_utilization",
              "cpu_kv_cache_gib", "start_timeout_s", "batch_timeout_s"}


def engine(name: str) -> str | None:
    """The local engine's build, which decides the text too: llama.cpp's version and the instruction
    sets it was compiled for (a native build and `make setup`'s AVX2 build sample other tokens from
    the same seed), or torch's version and kernels for the transformers backend. None for engines
    this process cannot see into (vLLM's worker venv, a remote server)."""
    if name == "llamacpp":
        import llama_cpp

        from synthcraft.runtime import llama_cpp_kernels
        return f"llama-cpp-python {llama_cpp.__version__} ({' '.join(llama_cpp_kernels() or [])})"
    if name == "transformers":
        import torch
        import transformers

        from synthcraft.runtime import compute_id
        return f"torch {torch.__version__}, transformers {transformers.__version__}, {compute_id('')}"
    return None


def teacher_fingerprint(name: str, model: str, tokenizer: str | None, options=None) -> str:
    """What decides a teacher's text besides the request: the backend and its engine's build, the
    model's bytes (or its name and the server's address for a remote one), the tokenizer that renders
    prompts, and every option except the speed-only ones. Local paths (a model, a LoRA folder) count
    by content."""
    def identity(value):
        if isinstance(value, str) and value and assets.is_local(value):
            return assets.content_fingerprint(value)
        return value

    options = options or REGISTRY[name].Options()
    settings = {k: identity(v) for k, v in dataclasses.asdict(options).items() if k not in SPEED_ONLY}
    plain = {"backend": name, "engine": engine(name), "model": identity(model), "tokenizer": identity(tokenizer),
             "options": settings}
    return hashlib.blake2b(json.dumps(plain, sort_keys=True).encode(), digest_size=16).hexdigest()


def make_backend(name: str, model: str, *, context_length: int, tokenizer: str | None = None,
                 options=None) -> Backend:
    """Build backend ``name`` for ``model``; ``options`` is its Options (defaults when None)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown backend {name!r}. Fix: set generate.backend to one of {list(BACKENDS)}")
    module = REGISTRY[name]
    options = options or module.Options()
    backend = module.build(model, context_length, tokenizer, options)
    backend.fingerprint = teacher_fingerprint(name, model, tokenizer, options)
    return backend
