"""Any backend replicated as Ray actors, behind the one Backend interface (see synthcraft/cluster.py)."""
from __future__ import annotations

import os
from typing import Iterator, Optional

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.cluster import RayParams, connect


class BackendReplica:
    """One backend inside a Ray actor."""

    def __init__(self, name: str, model: str, context_length: int, tokenizer: Optional[str], options):
        import dataclasses

        import ray

        from synthcraft.backends import make_backend

        if getattr(options, "threads", "") is None:  # llama.cpp would take every core of the node
            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1)
            options = dataclasses.replace(options, threads=max(1, int(cpus)))
        self.backend = make_backend(name, model, context_length=context_length, tokenizer=tokenizer,
                                    options=options)

    def where(self) -> tuple[str, int]:
        """(Ray node id, process id) of this replica."""
        import ray

        return ray.get_runtime_context().get_node_id(), os.getpid()

    def generate(self, requests: list[GenerationRequest]) -> list[GenerationResult]:
        return list(self.backend.generate(requests))


class RayBackend:
    """The ``Backend`` interface over ``actors`` replicas of backend ``name`` on a Ray cluster."""

    def __init__(self, name: str, model: str, *, context_length: int, tokenizer: Optional[str] = None,
                 options=None, ray_params: RayParams):
        import ray

        from synthcraft.backends import REGISTRY
        from synthcraft.models import load_tokenizer

        connect(ray_params.address)
        self.name, self.context_length = f"ray/{name}", context_length
        self.per_call = ray_params.requests_per_call
        options = options or REGISTRY[name].Options()
        replica = ray.remote(BackendReplica).options(num_cpus=ray_params.cpus_per_actor, max_restarts=-1,
                                                     max_task_retries=-1)
        from synthcraft.backends import teacher_fingerprint

        self.fingerprint = teacher_fingerprint(name, model, tokenizer, options)  # the replicas' model, as if local
        self.actors = [replica.remote(name, model, context_length, tokenizer, options)
                       for _ in range(ray_params.generate_actors)]
        # Context checks happen here, before anything is sent: the model's own tokenizer.
        self.tokenizer = load_tokenizer(tokenizer or model)

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def replicas(self) -> list[tuple[str, int]]:
        """(node id, process id) of each replica."""
        import ray

        return ray.get([actor.where.remote() for actor in self.actors])

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        """Small batches, each to the next free replica; results as they arrive."""
        from ray.util import ActorPool

        batches = [requests[i: i + self.per_call] for i in range(0, len(requests), self.per_call)]
        pool = ActorPool(self.actors)
        for results in pool.map_unordered(lambda actor, batch: actor.generate.remote(batch), batches):
            yield from results

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
