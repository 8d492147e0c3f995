"""The teacher LLM every generating stage uses: the backend the ``generate:`` section names."""
from __future__ import annotations

from synthcraft.backends import make_backend
from synthcraft.backends.replicas import RayBackend
from synthcraft.cluster import RayParams


def make_teacher(generate, ray_params: RayParams):
    """Local, or replicated as actors on a Ray cluster when ``ray.address`` is set (same outputs)."""
    if ray_params.enabled:
        return RayBackend(generate.backend, generate.model, context_length=generate.context_length,
                          tokenizer=generate.tokenizer, options=generate.backend_options, ray_params=ray_params)
    return make_backend(generate.backend, generate.model, context_length=generate.context_length,
                        tokenizer=generate.tokenizer, options=generate.backend_options)
