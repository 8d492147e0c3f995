"""The recorded teacher that pipeline tests play back (tests/replay_teacher.py), through the real
``openai`` backend: a recorded request gets its reply, an unrecorded one an error naming the fix,
or with a fallback the live teacher's answer, counted and not recorded."""
import json

from replay_teacher import ReplayTeacher, request_key
from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.backends.openai_backend import OpenAIBackend, chat_kwargs

SCHEMA = {"type": "object", "properties": {"task": {"type": "string"}}, "required": ["task"]}


def request(text: str) -> GenerationRequest:
    messages = [{"role": "user", "content": text}]
    return GenerationRequest(f"{len(text):024x}", messages, text, 32, SCHEMA, Sampling(temperature=0.7, seed=1))


def sent(req: GenerationRequest) -> dict:
    """The body the openai client sends for ``req``."""
    body = json.loads(json.dumps(chat_kwargs(req, "any-model")))
    body.update(body.pop("extra_body"))  # the client sends extra_body's keys at the top level
    return body


REPLY = {"content": '{"task": "Find papers"}', "finish_reason": "stop", "prompt_tokens": 9, "completion_tokens": 6}


def test_recorded_reply_is_played_back_and_a_miss_names_the_fix(tmp_path):
    known, unknown = request("List one retrieval task."), request("List one other task.")
    reply = REPLY
    recordings = tmp_path / "recorded.jsonl"
    recordings.write_text(json.dumps({"key": request_key(sent(known)), "reply": reply}) + "\n")

    with ReplayTeacher(recordings) as teacher:
        backend = OpenAIBackend("any-model", teacher.url, max_retries=0)
        hit, miss = backend.generate([known, unknown])
    assert (hit.text, hit.tokens_in, hit.tokens_out, hit.finish_reason) == ('{"task": "Find papers"}', 9, 6, "stop")
    assert miss.finish_reason == "error" and miss.error_kind == "not_found" and "Re-record" in miss.error
    assert (teacher.served, teacher.missed, teacher.recorded) == (1, 1, 0)


def test_a_miss_goes_to_the_fallback_and_is_not_recorded(tmp_path):
    """The "live" teacher here is a second replay server (the fallback forwards the schema in
    llama-cpp-python's json_object form, so that is the body it is keyed on)."""
    req = request("List one retrieval task.")
    forwarded = dict(sent(req), response_format={"type": "json_object", "schema": SCHEMA})
    upstream_file, recordings = tmp_path / "upstream.jsonl", tmp_path / "recorded.jsonl"
    upstream_file.write_text(json.dumps({"key": request_key(forwarded), "reply": REPLY}) + "\n")
    starts = []
    with ReplayTeacher(upstream_file) as upstream:
        def live() -> str:
            starts.append(1)
            return upstream.url.removesuffix("/v1")

        with ReplayTeacher(recordings, fallback=live) as teacher:
            backend = OpenAIBackend("any-model", teacher.url, max_retries=0)
            first, again = backend.generate([req, req])
    assert first.text == again.text == REPLY["content"] and first.finish_reason == "stop"
    assert (teacher.served, teacher.live, teacher.missed, teacher.answered, len(starts)) == (0, 2, 0, 2, 1)
    assert upstream.served == 2 and not recordings.exists()
