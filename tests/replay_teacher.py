"""A recorded teacher behind an OpenAI-compatible endpoint, for pipeline tests that need teacher
replies to be the same on every CPU.

Why: the 135M teacher's sampled text depends on the CPU's kernels (llama.cpp builds differ between
AVX2 and AVX-512), so a pipeline test that runs it live passes on one CPU kind and stops on another
("no usable task for long-long"). Here the replies are the real teacher's, recorded once; the
pipeline still goes through the real ``openai`` backend and the shared request runner, and only
the model's answer is played back.

Each reply is keyed by what decides it: messages, seed, sampling, max tokens and schema. A request
with no recording is answered 404 with the command that records it, so a changed prompt fails the
test loudly instead of replaying a stale answer. To (re-)record, with the real SmolLM2 behind
llama-cpp-python's server:

    SYNTHCRAFT_RECORD_TEACHER=1 .venv/bin/pytest tests/test_embedder_pipeline.py

which answers misses from the live model and appends them to the recording file (delete the file
first after a prompt change, so replies nobody asks for any more do not linger).

A pipeline test also passes a ``fallback``: where an upstream stage's output differs on another CPU
(an embedding, a decoding), its prompt misses the recording, and the live teacher, started on the
first miss, answers it without recording it. ``live`` counts those answers, so the test can say how
far this machine's run left the recording.
"""
from __future__ import annotations

import hashlib
import json
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

KEY_FIELDS = ("messages", "seed", "temperature", "top_p", "top_k", "max_tokens", "response_format")


def request_key(body: dict) -> str:
    """Hash of the fields that decide a reply (the model name and transport details are left out)."""
    picked = {field: body.get(field) for field in KEY_FIELDS}
    return hashlib.sha256(json.dumps(picked, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class ReplayTeacher:
    """Serves ``recordings`` (JSON lines: key, reply) at ``self.url`` (a ``/v1`` base URL).

    With ``upstream`` (a live OpenAI-compatible base URL without ``/v1``), misses are forwarded there
    and the answers appended to ``recordings``; without it a miss is a 404 naming the fix.
    """

    def __init__(self, recordings: Path, upstream: str | None = None, fallback: Callable[[], str] | None = None):
        self.path, self.upstream, self.fallback = Path(recordings), upstream, fallback
        self._fallback_url: str | None = None
        self.replies: dict[str, dict] = {}
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                row = json.loads(line)
                self.replies[row["key"]] = row["reply"]
        self.served = self.recorded = self.missed = self.live = 0
        self._lock, self._starting = threading.Lock(), threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def answered(self) -> int:
        return self.served + self.recorded + self.live

    def __enter__(self) -> "ReplayTeacher":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict) -> tuple[int, dict]:
        key = request_key(body)
        with self._lock:
            reply = self.replies.get(key)
            if reply is not None:
                self.served += 1
        if reply is None and self.upstream:
            reply = self._record(key, body)
        elif reply is None and self.fallback:
            reply = self._ask(self._live_url(), body)
            with self._lock:
                self.live += 1
        if reply is None:
            with self._lock:
                self.missed += 1
            return 404, {"error": {"message": f"no recorded teacher reply for request {key[:12]} in {self.path}. "
                                              "Re-record: SYNTHCRAFT_RECORD_TEACHER=1 pytest <this test file>",
                                   "type": "not_found"}}
        return 200, {"id": key[:24], "object": "chat.completion", "model": body.get("model"),
                     "choices": [{"index": 0, "finish_reason": reply["finish_reason"],
                                  "message": {"role": "assistant", "content": reply["content"]}}],
                     "usage": {"prompt_tokens": reply["prompt_tokens"], "completion_tokens": reply["completion_tokens"],
                               "total_tokens": reply["prompt_tokens"] + reply["completion_tokens"]}}

    def _live_url(self) -> str:
        with self._starting:  # one live teacher, started by the first miss
            if self._fallback_url is None:
                self._fallback_url = self.fallback()
            return self._fallback_url

    @staticmethod
    def _ask(upstream: str, body: dict) -> dict:
        # llama-cpp-python's server reads the schema from the json_object form (see openai_backend).
        forwarded = dict(body, response_format={"type": "json_object",
                                                "schema": body["response_format"]["json_schema"]["schema"]})
        request = urllib.request.Request(f"{upstream}/v1/chat/completions", json.dumps(forwarded).encode(),
                                          {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.loads(response.read())
        choice, usage = answer["choices"][0], answer["usage"]
        return {"content": choice["message"]["content"], "finish_reason": choice["finish_reason"],
                "prompt_tokens": usage["prompt_tokens"], "completion_tokens": usage["completion_tokens"]}

    def _record(self, key: str, body: dict) -> dict:
        reply = self._ask(self.upstream, body)
        with self._lock:
            self.replies[key] = reply
            self.recorded += 1
            with self.path.open("a") as f:
                f.write(json.dumps({"key": key, "reply": reply}, ensure_ascii=False) + "\n")
        return reply

    def _handler(self):
        teacher = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self._send(200, {"object": "list", "data": [{"id": "recorded-teacher", "object": "model"}]})

            def do_POST(self):  # noqa: N802
                if not self.path.endswith("/chat/completions"):
                    return self._send(404, {"error": {"message": f"{self.path}: only /v1/chat/completions is served"}})
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self._send(*teacher.answer(body))

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep pytest's output clean
                pass

        return Handler
