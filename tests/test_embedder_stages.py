"""The request stages' clear errors, with a stand-in teacher (the real one runs in test_embedder_pipeline)."""
import json
from types import SimpleNamespace

import pytest

from conftest import load_stage
from synthcraft.backends.base import GenerationResult
from synthcraft.cluster import RayParams
from synthcraft.generation import GenerateParams
from synthcraft.methods.embedder.prompts import BrainstormParams


class FixedTeacher:
    """Answers every request with the same text: the edge of a real LLM, which these tests do not need."""
    name, context_length, fingerprint = "fixed", 4096, "fixed-v1"

    def __init__(self, text):
        self.text = text

    def count_tokens(self, prompt):
        return len(prompt.split())

    def generate(self, requests):
        for r in requests:
            yield GenerationResult(r.id, self.text, 10, 5, "stop")


def test_brainstorm_without_a_usable_task_names_the_fix(tmp_path, monkeypatch, smollm2_tokenizer):
    stage = load_stage("embedder/brainstorm")
    monkeypatch.setattr(stage, "make_teacher", lambda *_: FixedTeacher(json.dumps({"tasks": ["...", "1, 2, 3"]})))
    monkeypatch.setattr(stage, "load_tokenizer", lambda _: smollm2_tokenizer)
    params = SimpleNamespace(generate=GenerateParams(), ray=RayParams(),
                             embedder_brainstorm=BrainstormParams(categories=["short-long"], requests_per_category=2))
    paths = stage.Paths(out=tmp_path / "tasks.jsonl", raw=tmp_path / "raw.jsonl", parts=tmp_path / "parts",
                        metrics=tmp_path / "m.json")
    with pytest.raises(SystemExit, match="no usable task for short-long.*too_short.*requests_per_category"):
        stage.run(params, paths)
    assert not paths.out.exists()   # nothing half-made for DVC to record
