"""Generation stops at the token budget; QA parsing counts its rejects. A stand-in teacher with a
known reply length (the real one runs in test_embgen_pipeline)."""
import json

import pytest

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.budget import run_to_budget
from synthcraft.methods.embgen.budget import EmbgenGenerateParams, qa_pairs


class CountingTeacher:
    """Replies with ``tokens`` output tokens per request; records how many it was asked for."""
    name, context_length, fingerprint = "counting", 4096, "counting-v1"

    def __init__(self, tokens):
        self.tokens, self.calls = tokens, 0

    def count_tokens(self, prompt):
        return 10

    def generate(self, requests):
        for r in requests:
            self.calls += 1
            text = json.dumps({"qa": [{"question": f"What is item {r.id}?", "answer": "It is an item."}]})
            yield GenerationResult(r.id, text, 10, self.tokens(r), "stop")


def stream(k):
    return GenerationRequest(f"{k:08x}", [], f"prompt {k}", 100, {}), {"order": k}


@pytest.mark.parametrize("budget", [100, 1000, 1234])
def test_budget_stops_generation_at_the_budget(tmp_path, budget):
    teacher = CountingTeacher(lambda r: 30 + int(r.id, 16) % 50)      # 30-79 tokens, varying
    kept, stats = run_to_budget(stream, budget, teacher, tmp_path / "out.jsonl", tmp_path / "parts",
                                max_tokens=100, max_requests=1000, section="generate")
    spent = [r["tokens_out"] for r in kept]
    assert sum(spent) <= budget and stats["reached_budget"]
    assert sum(spent) + teacher.tokens(stream(len(kept))[0]) > budget   # the next request would not fit
    assert [r["order"] for r in kept] == list(range(len(kept)))          # a prefix of the stream
    assert stats["kept_tokens_out"] == sum(spent) and teacher.calls == stats["requests"]
    assert teacher.calls <= len(kept) + 1 + budget // 30   # no runaway: at most a round past the budget
    assert stats["resumed"] == 0   # a later round does not count the earlier rounds' rows as resumed


def test_a_rerun_resumes_without_asking_again(tmp_path):
    teacher = CountingTeacher(lambda r: 40)
    first, _ = run_to_budget(stream, 400, teacher, tmp_path / "o.jsonl", tmp_path / "p", max_tokens=100,
                             max_requests=100, section="generate")
    again = CountingTeacher(lambda r: 40)
    second, stats = run_to_budget(stream, 400, again, tmp_path / "o.jsonl", tmp_path / "p", max_tokens=100,
                                  max_requests=100, section="generate")
    assert again.calls == 0 and first == second and stats["resumed"] == stats["requests"]


def test_max_requests_caps_a_stream_that_never_spends_the_budget(tmp_path):
    kept, stats = run_to_budget(stream, 10_000, CountingTeacher(lambda r: 1), tmp_path / "o.jsonl", tmp_path / "p",
                                max_tokens=100, max_requests=20, section="generate")
    assert len(kept) == 20 and not stats["reached_budget"] and "max_requests" in stats["note"]


def test_a_budget_smaller_than_one_request_is_an_error():
    with pytest.raises(ValueError, match="smaller than one request.*embgen_generate.budget_tokens"):
        EmbgenGenerateParams(budget_tokens=100, max_tokens=256)


def test_qa_pairs_count_every_reject():
    rows = [{"id": "a", "finish_reason": "stop", "text": json.dumps({"qa": [
                {"question": "Where does the Rhine end?", "answer": "In the North Sea."},
                {"question": "Where does the rhine end", "answer": "Same question again."},
                {"question": "Why?", "answer": "Too short a question."},
                {"question": "What flows through Basel?", "answer": ""}]}), "sampler": "intra"},
            {"id": "b", "finish_reason": "stop", "text": "no json"},
            {"id": "c", "finish_reason": "error", "text": ""}]
    qa, rejects = qa_pairs(rows)
    assert [q["question"] for q in qa] == ["Where does the Rhine end?"] and qa[0]["sampler"] == "intra"
    assert rejects == {"duplicate_question": 1, "short_question": 1, "empty_answer": 1, "malformed_output": 1,
                       "request_error": 1}
