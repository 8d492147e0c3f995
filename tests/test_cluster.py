"""Ray on a real local cluster of two nodes (two raylets on this machine): generate through
backend replicas and embed shards as tasks give the same outputs as a local run, and a replica
killed mid-run costs no request."""
import os
import signal
import threading
import time

import numpy as np
import pytest

from conftest import MINILM, SMOLLM2_GGUF, has_module
from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.backends.replicas import RayBackend
from synthcraft.cluster import RayParams
from synthcraft.generation import render, run_requests
from synthcraft.sharding import open_store, shard_runner, sync
from synthcraft.store import StoreInfo
from synthcraft.tasks import mcqa

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not has_module("ray"), reason="ray is not installed (make setup installs it)")]


@pytest.fixture(scope="module")
def cluster_address():
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 200 * 2**20})
    cluster.add_node(num_cpus=1, object_store_memory=200 * 2**20)
    cluster.wait_for_nodes()
    yield cluster.address
    ray.shutdown()
    cluster.shutdown()


def requests(tokenizer, n=8):
    out = []
    for i in range(n):
        messages = [{"role": "user", "content": f"{mcqa.INSTRUCTION}\n\nText: Fact number {i}: the heart has "
                                                f"{i + 2} valves in this made-up animal."}]
        out.append((GenerationRequest(f"{i:024x}", messages, render(tokenizer, messages), 48, mcqa.SCHEMA,
                                      Sampling(seed=1)), {"doc_id": f"d{i}"}))
    return out


@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed")
def test_generate_on_two_nodes_equals_local_and_survives_a_killed_replica(cluster_address, smollm2_tokenizer,
                                                                           tmp_path):
    from synthcraft.backends import make_backend

    pairs = requests(smollm2_tokenizer)
    run_requests(pairs, make_backend("llamacpp", SMOLLM2_GGUF, context_length=2048), tmp_path / "local.jsonl",
                 tmp_path / "local", progress=False)

    backend = RayBackend("llamacpp", SMOLLM2_GGUF, context_length=2048,
                         ray_params=RayParams(address=cluster_address, generate_actors=2, requests_per_call=1))
    before = backend.replicas()
    assert len({node for node, _ in before}) == 2  # one replica on each node

    parts = tmp_path / "ray"
    victim = before[0][1]

    def kill_after_first_part():  # once work is committed, kill a replica's process outright
        deadline = time.time() + 300
        while time.time() < deadline and not list(parts.glob("part-*.jsonl")):
            time.sleep(0.05)
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_after_first_part)
    killer.start()
    stats = run_requests(pairs, backend, tmp_path / "ray.jsonl", parts, commit_every=2, progress=False)
    killer.join()
    after = backend.replicas()
    backend.close()
    assert after[0][1] != victim  # the replica was restarted ...
    assert stats["completed"] == len(pairs) and stats["errors"] == 0  # ... and no request was lost
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_a_batch_that_keeps_killing_its_replica_is_given_up_and_named(cluster_address):
    """Ray once re-sent such a batch forever, reloading the model each time."""
    import ray

    from synthcraft.backends.replicas import dispatch

    class Fragile:  # a stand-in replica (local to the test: Ray ships it by value, not by module)
        """A request whose prompt is "poison" kills its process; "slow" stalls."""

        def generate(self, batch):
            from synthcraft.backends.base import GenerationResult

            for request in batch:
                if request.prompt == "poison":
                    os._exit(1)
                if request.prompt == "slow":
                    time.sleep(60)
            return [GenerationResult(request.id, "{}", 1, 1, "stop") for request in batch]

    ray.init(address=cluster_address, ignore_reinit_error=True)
    actors = [ray.remote(Fragile).options(num_cpus=0.1, max_restarts=1, max_task_retries=1).remote()
              for _ in range(2)]
    batches = [[GenerationRequest(f"{i:024x}", [], prompt, 8, {})] for i, prompt in enumerate(["a", "poison", "b", "c"])]
    results = {r.id: r for r in dispatch(actors, batches, timeout_s=120)}
    assert len(results) == 4 and results[f"{1:024x}"].error_kind == "worker_died"
    assert all(results[f"{i:024x}"].finish_reason == "stop" for i in (0, 2, 3))  # the other replica did the rest
    with pytest.raises(RuntimeError, match=r"no Ray replica answered within ray.timeout_s=3 s"):
        list(dispatch([ray.remote(Fragile).options(num_cpus=0.1).remote()],
                      [[GenerationRequest("f" * 24, [], "slow", 8, {})]], timeout_s=3))


def test_embed_shards_as_ray_tasks_equal_local(cluster_address, tiny_docs, minilm_encoder, tmp_path):
    ids = [f"{i:024x}" for i in range(len(tiny_docs))]
    texts = [d["text"] for d in tiny_docs]
    info = StoreInfo(MINILM, "fingerprint", minilm_encoder.dim, "float16")
    sync(tmp_path / "local", ids, texts, minilm_encoder, info, shards=3, progress=False)
    runner = shard_runner({"spec": MINILM, "precision": "float32"}, info,
                          RayParams(address=cluster_address), progress=False)
    stats = sync(tmp_path / "ray", ids, texts, None, info, shards=3, run_shards=runner)
    assert stats["count"] == len(ids) and len(stats["shard_counts"]) == 3
    with open_store(tmp_path / "local") as local, open_store(tmp_path / "ray") as remote:
        assert (local.doc_ids == remote.doc_ids).all()
        np.testing.assert_array_equal(local.take(range(len(local))), remote.take(range(len(remote))))
