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
    from synthcraft.backends.llamacpp_backend import LlamaCppBackend

    pairs = requests(smollm2_tokenizer)
    run_requests(pairs, LlamaCppBackend(SMOLLM2_GGUF, context_length=2048), tmp_path / "local.jsonl",
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
