"""Generation backends behind one interface (base.Backend), chosen by name from a registry.

Each backend module defines its ``Options`` dataclass (the ``generate.<backend>:`` section of
params.yaml) and ``build(model, context_length, tokenizer, options)``. Backend modules import
their heavy dependency (llama_cpp, vllm, openai, xgrammar) only when built, so each backend
needs only its own extra installed.
"""
from __future__ import annotations

from synthcraft.backends import llamacpp_backend, openai_backend, transformers_backend, vllm_backend
from synthcraft.backends.base import Backend, GenerationRequest, GenerationResult, Sampling

REGISTRY = {module.NAME: module for module in
            (llamacpp_backend, transformers_backend, vllm_backend, openai_backend)}
BACKENDS = tuple(REGISTRY)

__all__ = ["BACKENDS", "REGISTRY", "Backend", "GenerationRequest", "GenerationResult", "Sampling", "make_backend"]


def make_backend(name: str, model: str, *, context_length: int, tokenizer: str | None = None,
                 options=None) -> Backend:
    """Build backend ``name`` for ``model``; ``options`` is its Options (defaults when None)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown backend {name!r}. Fix: set generate.backend to one of {list(BACKENDS)}")
    module = REGISTRY[name]
    return module.build(model, context_length, tokenizer, options or module.Options())
