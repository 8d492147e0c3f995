"""Each backend's request/response mapping. vLLM cannot run on CPU machines: its engine is stood in
for at the documented boundary (LLM.generate -> RequestOutput). The others run for real."""
import contextlib
import http.server
import json
import threading
import time
import urllib.request

import pytest

from conftest import SMOLLM2_GGUF, has_module
from synthcraft.backends import BACKENDS, REGISTRY, make_backend
from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.backends.openai_backend import OpenAIBackend, chat_kwargs
from synthcraft.filters import extract_json
from synthcraft.tasks import mcqa

MESSAGES = [{"role": "user", "content": mcqa.INSTRUCTION + "\n\nText: The heart has four chambers. The left "
             "ventricle pumps oxygenated blood into the aorta; the right ventricle pumps blood to the lungs."}]


def request(i=0, max_tokens=160, prompt=""):
    return GenerationRequest(f"{i:024x}", MESSAGES, prompt, max_tokens, mcqa.SCHEMA, Sampling(seed=3))


def test_registry_builds_by_name_with_each_backends_options():
    assert set(BACKENDS) == {"llamacpp", "transformers", "vllm", "openai"}
    for name, module in REGISTRY.items():
        assert module.NAME == name and callable(module.build)
        module.Options()  # every option has a default
    with pytest.raises(ValueError, match=r"unknown backend 'tgi'.*Fix: set generate.backend"):
        make_backend("tgi", "m", context_length=4096)
    backend = make_backend("openai", "served-name", context_length=1234,
                           options=REGISTRY["openai"].Options(concurrency=7, base_url="http://127.0.0.1:9/v1"))
    assert (backend.model, backend.concurrency, backend.context_length) == ("served-name", 7, 1234)


# --- OpenAI-compatible servers --------------------------------------------------------------------


def test_openai_request_mapping():
    kwargs = chat_kwargs(request(), "smol")
    assert kwargs["messages"] == MESSAGES and kwargs["max_tokens"] == 160 and kwargs["extra_body"] == {"top_k": 40}
    assert kwargs["response_format"]["json_schema"]["schema"] == mcqa.SCHEMA
    assert chat_kwargs(request(), "smol", "json_object")["response_format"] == {"type": "json_object", "schema": mcqa.SCHEMA}


class FaultyProxy:
    """Loopback proxy in front of the real server: the first requests get 429, 500 and a stall."""

    def __init__(self, upstream, faults=("429", "500", "stall"), stall_s=12.0):
        self.faults, self.seen, self.auth = list(faults), [], set()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.auth.add(self.headers.get("Authorization"))
                fault = proxy.faults.pop(0) if proxy.faults else "pass"
                proxy.seen.append(fault)
                if fault == "stall":
                    time.sleep(stall_s)  # longer than the client's timeout
                    return
                if fault in ("429", "500"):
                    self.send_response(int(fault))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("retry-after-ms", "50")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "injected"}}')
                    return
                upstream_request = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                                          headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(upstream_request, timeout=120) as response:
                    payload = response.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.mark.slow
def test_openai_backend_against_a_real_server_with_faults(llama_server, monkeypatch, capsys):
    monkeypatch.setenv("SYNTHCRAFT_TEST_KEY", "sk-secret-123")
    proxy = FaultyProxy(llama_server)
    try:
        backend = OpenAIBackend("smollm2", proxy.url + "/v1", api_key_env="SYNTHCRAFT_TEST_KEY", concurrency=1,
                                max_retries=4, timeout_s=10, response_format="json_object")
        results = list(backend.generate([request(0), request(1)]))
    finally:
        proxy.close()
    assert proxy.seen[:3] == ["429", "500", "stall"] and proxy.seen.count("pass") == 2
    assert all(r.finish_reason in ("stop", "length") and r.error is None for r in results)
    parsed = [extract_json(r.text) for r in results if r.finish_reason == "stop"]
    assert parsed and all(list(p) == ["question", "options", "answer"] for p in parsed)  # schema-constrained
    assert proxy.auth == {"Bearer sk-secret-123"}  # the key goes to the server, and nowhere else:
    assert "sk-secret-123" not in json.dumps([r.__dict__ for r in results]) + capsys.readouterr().out


@pytest.mark.slow
def test_openai_backend_reports_exhausted_retries(llama_server):
    proxy = FaultyProxy(llama_server, faults=["500"] * 10)
    try:
        backend = OpenAIBackend("smollm2", proxy.url + "/v1", concurrency=1, max_retries=2, timeout_s=5)
        (result,) = backend.generate([request(0)])
    finally:
        proxy.close()
    assert result.finish_reason == "error" and "InternalServerError" in result.error and result.error_kind == "server"
    assert proxy.seen == ["500"] * 3  # first try + 2 retries


def _completion(content) -> bytes:
    return json.dumps({"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content, "refusal": None}}],
                       "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}).encode()


# What a broken or misconfigured server has answered with status 200, in the order asked.
MALFORMED_ANSWERS = [
    ("application/json", b'{"error": {"message": "model overloaded"}}', "malformed"),
    ("text/html", b"<html><body>502 Bad Gateway</body></html>", "malformed"),
    ("application/json", b'{"id": "c", "object": "chat.completion", "choices": []}', "malformed"),
    ("application/json", b'{"id": "c", "choices": [{"mess', "malformed"),
    ("application/json", _completion(None), "empty"),
    ("application/json", _completion('{"question": "q"}'), None),
]


class CannedServer:
    """A loopback server that answers each POST with the next canned (content type, body)."""

    def __init__(self, answers):
        queue = list(answers)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                content_type, body = queue.pop(0)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@contextlib.contextmanager
def canned_backend(answers):
    """An OpenAI backend (no retries) in front of a CannedServer giving ``answers``."""
    server = CannedServer(answers)
    try:
        backend = OpenAIBackend("m", server.url, concurrency=1, max_retries=0, timeout_s=10)
        backend.fingerprint = "canned"
        yield backend
    finally:
        server.close()


def test_malformed_answers_are_counted_errors_and_finished_work_is_kept(tmp_path):
    """Each of these once crashed the run (TypeError, AttributeError, IndexError, JSONDecodeError)
    and threw away the chunk's finished rows; a null content was stored as a finished empty sample."""
    from synthcraft.generation import GenerationError, run_requests

    with canned_backend([(ctype, body) for ctype, body, _ in MALFORMED_ANSWERS]) as backend:
        results = list(backend.generate([request(i) for i in range(len(MALFORMED_ANSWERS))]))
    assert [r.error_kind for r in results] == [kind for _, _, kind in MALFORMED_ANSWERS]
    assert results[-1].finish_reason == "stop" and results[-1].text == '{"question": "q"}'
    assert all(r.finish_reason == "error" and r.text == "" for r in results[:-1])
    assert "content null" in backend.fix_for("empty", "generate")

    # Through the runner: the good answer in the same chunk is committed before the run stops ...
    good, bad = MALFORMED_ANSWERS[-1][:2], MALFORMED_ANSWERS[0][:2]
    pairs = [(request(i), {}) for i in range(2)]
    with canned_backend([good, bad]) as backend:
        with pytest.raises(GenerationError, match=r"(?s)1 of the 2 requests.*'malformed': 1.*Fix: the server at"):
            run_requests(pairs, backend, tmp_path / "out.jsonl", tmp_path / "parts", progress=False)
    # ... and the next run asks only for the one that failed.
    with canned_backend([good]) as backend:
        stats = run_requests(pairs, backend, tmp_path / "out.jsonl", tmp_path / "parts", progress=False)
    assert (stats["resumed"], stats["retried"], stats["completed"]) == (1, 1, 2)


# --- local engines, run for real ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed (make setup installs it)")
def test_llamacpp_backend_constrained_and_seeded(smollm2_tokenizer):
    from synthcraft.backends.llamacpp_backend import LlamaCppBackend
    from synthcraft.generation import render

    backend = LlamaCppBackend(SMOLLM2_GGUF, context_length=2048)
    prompt = render(smollm2_tokenizer, MESSAGES)
    assert backend.count_tokens(prompt) == len(smollm2_tokenizer(prompt, add_special_tokens=False)["input_ids"])
    first = list(backend.generate([request(0, prompt=prompt), request(1, prompt=prompt)]))
    again = list(backend.generate([request(1, prompt=prompt)]))
    assert again[0].text == first[1].text  # per-request seed: independent of order and batch
    for result in first:
        if result.finish_reason == "stop":
            assert list(extract_json(result.text)) == ["question", "options", "answer"]
        assert result.tokens_in == backend.count_tokens(prompt)


def test_grammar_schema_drops_only_long_max_lengths():
    from synthcraft.backends.llamacpp_backend import GRAMMAR_MAX_LENGTH, grammar_schema
    from synthcraft.tasks import summarization

    grammar = grammar_schema(summarization.SCHEMA)
    assert "maxLength" not in grammar["properties"]["instruction"] and "maxLength" not in grammar["properties"]["summary"]
    assert grammar["properties"]["summary"]["minLength"] == 20
    assert summarization.SCHEMA["properties"]["summary"]["maxLength"] == 3000       # validation keeps it
    assert grammar_schema(mcqa.SCHEMA) == mcqa.SCHEMA                               # short limits stay
    assert GRAMMAR_MAX_LENGTH >= 400


@pytest.mark.slow
@pytest.mark.parametrize("task_type", ["openqa", "summarization"])
def test_llamacpp_backend_handles_every_task_schema(task_type, smollm2_tokenizer):
    """llama.cpp refused the openqa schema's 1,200-character answer grammar (found by the first
    openqa run); every task type's schema must decode."""
    from synthcraft.backends.llamacpp_backend import LlamaCppBackend
    from synthcraft.generation import render
    from synthcraft.tasks import get_task_type

    task = get_task_type(task_type)
    backend = LlamaCppBackend(SMOLLM2_GGUF, context_length=2048)
    prompt = render(smollm2_tokenizer, [{"role": "user", "content": task.instruction + "\n\nText: Cells divide."}])
    request = GenerationRequest("0" * 24, [], prompt, 48, task.schema, Sampling())
    (result,) = backend.generate([request])
    assert result.finish_reason in ("stop", "length") and result.text.lstrip().startswith("{")


@pytest.mark.slow
def test_transformers_backend_constrained(smollm2_tokenizer):
    from synthcraft.backends.transformers_backend import TransformersBackend
    from synthcraft.generation import render

    backend = TransformersBackend(SMOLLM2_GGUF, batch_size=2)
    prompt = render(smollm2_tokenizer, MESSAGES)
    results = list(backend.generate([request(0, 96, prompt), request(1, 96, prompt)]))
    assert [r.id for r in results] == [request(0).id, request(1).id]
    for result in results:
        assert result.tokens_in == len(smollm2_tokenizer(prompt, add_special_tokens=False)["input_ids"])
        assert result.text.lstrip("{ \n").startswith('"question"')  # the grammar forces the schema's first key
        if result.finish_reason == "stop":
            assert list(extract_json(result.text)) == ["question", "options", "answer"]


@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed (make setup)")
def test_llama_cpp_is_the_portable_avx2_build_and_metrics_say_so():
    """`make setup` compiles llama.cpp for AVX2, not for the build machine: a native build took an
    AVX-512 / AMX path that crashed on one host and wrote other text on another CPU kind."""
    import llama_cpp  # noqa: F401  (machine() reports llama.cpp's kernels once it is loaded)

    from synthcraft.runtime import machine

    kernels = machine()["llama_cpp_kernels"]
    assert {"AVX2", "FMA", "F16C"} <= set(kernels)
    assert not [k for k in kernels if k.startswith(("AVX512", "AMX", "AVX_VNNI"))], kernels
