"""The resumable request runner, with a deterministic stand-in backend (the real ones are tested
in test_backends.py and end to end in test_pipeline.py)."""
import json

import pytest

from synthcraft.backends.base import GenerationRequest, GenerationResult
from synthcraft.backends.base import Sampling
from synthcraft.generation import run_requests
from synthcraft.methods.craft.template import build_requests
from synthcraft.tasks import mcqa


class CountingBackend:
    """Answers each request with a fixed JSON sample; counts tokens as whitespace words."""
    name, context_length = "counting", 200

    def __init__(self, fail_after=None):
        self.seen, self.fail_after = [], fail_after

    def count_tokens(self, prompt):
        return len(prompt.split())

    def generate(self, requests):
        for request in requests:
            if self.fail_after is not None and len(self.seen) >= self.fail_after:
                raise KeyboardInterrupt("killed")
            self.seen.append(request.id)
            yield GenerationResult(request.id, json.dumps({"question": f"q {request.id}"}), 10, 5, "stop")


def requests(n, long_every=0):
    out = []
    for i in range(n):
        words = 250 if long_every and i % long_every == 0 else 20
        out.append((GenerationRequest(f"{i:024x}", [], "w " * words, 16, mcqa.SCHEMA), {"doc_id": f"d{i}", "shot_ids": []}))
    return out


def test_too_long_prompts_are_skipped_and_counted(tmp_path):
    stats = run_requests(requests(10, long_every=4), CountingBackend(), tmp_path / "out.jsonl", tmp_path / "parts",
                         commit_every=3, progress=False)
    assert (stats["requests"], stats["completed"], stats["skipped_too_long"]) == (10, 7, 3)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows) and len(rows) == 10


def test_killed_run_resumes_without_redoing_work(tmp_path):
    clean = tmp_path / "clean"
    run_requests(requests(10), CountingBackend(), tmp_path / "clean.jsonl", clean, commit_every=3, progress=False)
    with pytest.raises(KeyboardInterrupt):
        run_requests(requests(10), CountingBackend(fail_after=7), tmp_path / "killed.jsonl", tmp_path / "parts",
                     commit_every=3, progress=False)
    backend = CountingBackend()
    stats = run_requests(requests(10), backend, tmp_path / "killed.jsonl", tmp_path / "parts", commit_every=3,
                         progress=False)
    assert stats["resumed"] == 6 and len(backend.seen) == 4  # two whole parts were committed before the kill
    assert (tmp_path / "killed.jsonl").read_bytes() == (tmp_path / "clean.jsonl").read_bytes()


def test_rows_from_other_params_are_ignored(tmp_path):
    run_requests(requests(4), CountingBackend(), tmp_path / "a.jsonl", tmp_path / "parts", progress=False)
    other = [(GenerationRequest("f" * 24, [], "w", 16, mcqa.SCHEMA), {"doc_id": "x", "shot_ids": []})]
    stats = run_requests(other, CountingBackend(), tmp_path / "a.jsonl", tmp_path / "parts", progress=False)
    assert stats["requests"] == 1 and stats["resumed"] == 0
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 1


def test_build_requests_groups_by_fewshot_prefix(smollm2_tokenizer):
    from conftest import REPO
    from synthcraft.fewshots import load_fewshots

    shots = load_fewshots(REPO / "data/fewshots/bioqa.jsonl", mcqa.TASK)
    docs = [{"doc_id": f"doc{i}", "text": f"Document number {i} about cells."} for i in range(20)]
    pairs = build_requests(docs, shots, mcqa.TASK, smollm2_tokenizer, model="m", shots_per_prompt=3, max_tokens=256,
                           sampling=Sampling())
    keys = [p["shot_ids"] for _, p in pairs]
    assert keys == sorted(keys) and all(k == sorted(k) and len(k) == 3 for k in keys)
    again = build_requests(docs, shots, mcqa.TASK, smollm2_tokenizer, model="m", shots_per_prompt=3, max_tokens=256,
                           sampling=Sampling())
    assert [r.id for r, _ in pairs] == [r.id for r, _ in again]
    other_teacher = build_requests(docs, shots, mcqa.TASK, smollm2_tokenizer, model="other", shots_per_prompt=3,
                                   max_tokens=256, sampling=Sampling())
    # Another teacher must not resume from this one's outputs.
    assert not {r.id for r, _ in pairs} & {r.id for r, _ in other_teacher}
