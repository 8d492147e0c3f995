"""The recorded teacher that pipeline tests play back (tests/replay_teacher.py), through the real
``openai`` backend: a recorded request gets its reply, an unrecorded one an error naming the fix."""
import json

from replay_teacher import ReplayTeacher, request_key
from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.backends.openai_backend import OpenAIBackend, chat_kwargs

SCHEMA = {"type": "object", "properties": {"task": {"type": "string"}}, "required": ["task"]}


def request(text: str) -> GenerationRequest:
    messages = [{"role": "user", "content": text}]
    return GenerationRequest(f"{len(text):024x}", messages, text, 32, SCHEMA, Sampling(temperature=0.7, seed=1))


def test_recorded_reply_is_played_back_and_a_miss_names_the_fix(tmp_path):
    known, unknown = request("List one retrieval task."), request("List one other task.")
    body = json.loads(json.dumps(chat_kwargs(known, "any-model")))
    body.update(body.pop("extra_body"))  # the client sends extra_body's keys at the top level
    reply = {"content": '{"task": "Find papers"}', "finish_reason": "stop", "prompt_tokens": 9,
             "completion_tokens": 6}
    recordings = tmp_path / "recorded.jsonl"
    recordings.write_text(json.dumps({"key": request_key(body), "reply": reply}) + "\n")

    with ReplayTeacher(recordings) as teacher:
        backend = OpenAIBackend("any-model", teacher.url, max_retries=0)
        hit, miss = backend.generate([known, unknown])
    assert (hit.text, hit.tokens_in, hit.tokens_out, hit.finish_reason) == ('{"task": "Find papers"}', 9, 6, "stop")
    assert miss.finish_reason == "error" and miss.error_kind == "not_found" and "Re-record" in miss.error
    assert (teacher.served, teacher.missed, teacher.recorded) == (1, 1, 0)
