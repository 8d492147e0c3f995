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
        replica = ray.remote(BackendReplica).options(num_cpus=ray_params.cpus_per_actor,
                                                     max_restarts=ray_params.max_restarts,
                                                     max_task_retries=ray_params.max_restarts)
        self.timeout_s = ray_params.timeout_s
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
        batches = [requests[i: i + self.per_call] for i in range(0, len(requests), self.per_call)]
        yield from dispatch(self.actors, batches, self.timeout_s)

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)


def dispatch(actors: list, batches: list[list[GenerationRequest]], timeout_s: float) -> Iterator[GenerationResult]:
    """Each batch to the next free actor (``actor.generate.remote(batch)``); results as they arrive.

    Ray restarts a dead actor and re-sends its call up to the actor's ``max_restarts``; a batch
    that outlives them (it kills its worker every time) comes back as ``worker_died`` errors for
    its requests -- counted, and asked again next run -- and that actor is not used again. No
    answer from any busy actor within ``timeout_s`` stops the run."""
    import ray
    from ray.exceptions import RayActorError

    free, busy, waiting = list(actors), {}, list(batches)
    while waiting or busy:
        while free and waiting:
            actor, batch = free.pop(0), waiting.pop(0)
            busy[actor.generate.remote(batch)] = (actor, batch)
        if not busy:
            ids = [request.id for batch in waiting for request in batch]
            raise RuntimeError(f"every Ray replica died; {len(ids)} requests were not sent (first: {ids[:3]}). "
                               "Fix: see the replicas' logs (ray logs), give them more memory, or lower "
                               "requests_per_call")
        ready, _ = ray.wait(list(busy), num_returns=1, timeout=timeout_s)
        if not ready:
            ids = [request.id for _, batch in busy.values() for request in batch]
            for ref in busy:  # actor calls cannot be force-cancelled: close() kills the actors
                ray.cancel(ref)
            raise RuntimeError(f"no Ray replica answered within ray.timeout_s={timeout_s:g} s (requests in flight: "
                               f"{ids[:6]}). Fix: raise ray.timeout_s, or lower ray.requests_per_call")
        actor, batch = busy.pop(ready[0])
        try:
            results = ray.get(ready[0])
        except RayActorError as err:  # restarts used up: this batch killed its replica each time
            for request in batch:
                yield GenerationResult(request.id, "", 0, 0, "error", error_kind="worker_died",
                                       error=f"the Ray replica running this request died every time: {err}"[:500])
            continue
        free.append(actor)
        yield from results
