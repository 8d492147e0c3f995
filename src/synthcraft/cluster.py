"""Ray, for runs that outgrow one machine: the same stages, the same outputs, more workers.

``ray.address`` in params.yaml switches it on (``auto``: the cluster this machine has joined;
``ray://head:10001``: a remote one; ``local``: a fresh single-node Ray here). Two things run on
the cluster:

* generate: any backend replicated as Ray actors (``backends/replicas.py``). The request runner is
  unchanged -- it still commits parts, resumes by request id and checks context lengths on the
  driver -- so outputs are the same as a local run: every request carries its own seed, and
  each backend call starts from an empty cache. Actors restart when their process dies and Ray
  re-sends the calls they had in flight, so a killed worker costs time, not requests -- up to
  ``ray.max_restarts`` times: a batch that keeps killing its replica (out of memory, a crash)
  becomes counted ``worker_died`` errors naming its requests, and a call that takes longer than
  ``ray.timeout_s`` stops the stage.
* embed: each shard of a sharded store (``embed.shards``) is synced by a Ray task running the
  ordinary ``sync_store`` (``sharding.shard_runner``) -- its committed parts make a retried task resume where the killed one
  stopped. The driver calibrates bf16 once for the whole corpus, as a local run does.

Why tasks and actors rather than Ray Data pipelines: resume lives in the store's and the
runner's committed parts, and a Ray Data job that dies starts over.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from synthcraft.params import at_least


@dataclass
class RayParams:
    """The ``ray:`` section. None of it changes outputs, so dvc.yaml does not track it."""
    address: Optional[str] = None     # None: no Ray | local | auto | ray://host:10001
    generate_actors: int = 2          # backend replicas, each with its own copy of the model
    cpus_per_actor: float = 1.0       # Ray CPUs each replica or embed task reserves
    requests_per_call: int = 4        # requests sent to a replica at a time (load balancing)
    max_restarts: int = 3             # a replica / shard task whose process dies is restarted this often, then given up
    timeout_s: float = 3600.0         # longest wait for one call: a batch of requests, or one shard's embedding

    def __post_init__(self):
        at_least(1, generate_actors=self.generate_actors, requests_per_call=self.requests_per_call)
        at_least(0, max_restarts=self.max_restarts)
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s={self.timeout_s} must be above 0")
        if self.cpus_per_actor <= 0:
            raise ValueError(f"cpus_per_actor={self.cpus_per_actor} must be above 0")

    @property
    def enabled(self) -> bool:
        return self.address is not None


def connect(address: str) -> None:
    import ray

    if ray.is_initialized():
        return
    # The workers need the package: ship the source folder unless it is installed there too.
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runtime_env = {"env_vars": {"PYTHONPATH": src, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}}
    ray.init(address=None if address == "local" else address, runtime_env=runtime_env,
             include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
