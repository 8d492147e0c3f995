"""The generate stage in-process against a real llama-cpp-python server: an outage and a refused
key fail the stage clearly, and a re-run after the outage completes every request with the same
output as a run that never saw it."""
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO, SMOLLM2_GGUF, free_port, load_stage, start_llama_server, stop_server, tiny_corpus
from synthcraft.backends import openai_backend
from synthcraft.cluster import RayParams
from synthcraft.generation import GenerateParams, GenerationError
from synthcraft.tasks import TaskParams

stage = load_stage("craft/generate")


DOCS = 2  # requests per run: each is a ~20 s few-shot prompt on a 2-core CPU


def setup(tmp_path: Path, port: int, name: str, api_key_env: str = "SYNTHCRAFT_TEST_KEY"):
    retrieved = tmp_path / "retrieved"
    if not retrieved.exists():
        docs = [{"doc_id": d["id"], "text": d["text"]} for d in tiny_corpus(30)[:DOCS]]
        retrieved.mkdir()
        pq.write_table(pa.Table.from_pylist(docs), retrieved / "bioqa.parquet")
    options = openai_backend.Options(base_url=f"http://127.0.0.1:{port}/v1", server_model="smollm2",
                                     api_key_env=api_key_env, response_format="json_object",
                                     # one at a time: the server reuses the previous request's matching
                                     # prompt prefix, so its output depends on the order requests arrive
                                     concurrency=1,
                                     # generous: a queued request's wait counts towards it, and a slow CPU
                                     # must not turn into the timeouts these tests do not look for
                                     max_retries=1, timeout_s=300)
    generate = GenerateParams(backend="openai", model=SMOLLM2_GGUF, max_tokens=48, openai=options)
    params = SimpleNamespace(task=TaskParams(), generate=generate, ray=RayParams())
    paths = stage.Paths(retrieved=retrieved, fewshots=REPO / "data/fewshots", out=tmp_path / name / "generated",
                        parts=tmp_path / name / "parts", metrics=tmp_path / name / "generate.json")
    return params, paths


@pytest.mark.slow
def test_outage_fails_the_stage_and_the_rerun_equals_a_clean_run(tmp_path):
    port = free_port()
    params, paths = setup(tmp_path, port, "outage")
    with pytest.raises(GenerationError) as stop:  # nothing listens on the port yet
        stage.run(params, paths)
    message = str(stop.value)
    assert stop.value.code != 0 and f"{DOCS} of the {DOCS} requests attempted so far failed ({{'connection': {DOCS}}})" in message
    assert f"is the server running at generate.openai.base_url (http://127.0.0.1:{port}/v1)?" in message
    assert not (paths.out / "bioqa.jsonl").exists()

    # Each run gets a fresh server: one that served the first run starts the second from that run's
    # cached prompt, and a different split of the prompt's evaluation changes the sampled text.
    clean_params, clean_paths = setup(tmp_path, port, "clean")
    results = []
    for run_params, run_paths in ((params, paths), (clean_params, clean_paths)):
        server, _ = start_llama_server(port)
        try:
            results.append(stage.run(run_params, run_paths))
        finally:
            stop_server(server)
    metrics, clean = results
    assert (metrics["retried"], metrics["completed"], metrics["errors"], metrics["errors_by_kind"]) == (DOCS, DOCS, 0, {})
    assert (clean["retried"], clean["completed"]) == (0, DOCS)
    assert (paths.out / "bioqa.jsonl").read_bytes() == (clean_paths.out / "bioqa.jsonl").read_bytes()


@pytest.mark.slow
def test_refused_key_names_the_variable(tmp_path, monkeypatch):
    port = free_port()
    server, _ = start_llama_server(port, "--api_key", "the-right-key")
    monkeypatch.setenv("SYNTHCRAFT_TEST_KEY", "a-wrong-key")
    params, paths = setup(tmp_path, port, "refused")
    try:
        with pytest.raises(GenerationError) as stop:
            stage.run(params, paths)
        monkeypatch.setenv("SYNTHCRAFT_TEST_KEY", "the-right-key")
        metrics = stage.run(params, paths)
    finally:
        stop_server(server)
    message = str(stop.value)
    assert "refused the API key" in message and "generate.openai.api_key_env (now 'SYNTHCRAFT_TEST_KEY')" in message
    assert "a-wrong-key" not in message
    assert metrics["completed"] == DOCS
