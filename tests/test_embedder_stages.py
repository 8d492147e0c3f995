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


def test_repeat_seeds_must_differ_from_the_training_seed(tmp_path):
    from synthcraft.methods.embedder.training import EmbedderTrainParams

    stage = load_stage("embedder/train")
    (tmp_path / "rows.jsonl").write_text("")
    params = SimpleNamespace(embedder_train=EmbedderTrainParams(seed=1), embedder_repeats=stage.RepeatParams(seeds=[1, 2]))
    paths = stage.Paths(data=tmp_path / "rows.jsonl", out=tmp_path / "model", repeats="on")
    with pytest.raises(SystemExit, match=r"embedder_repeats.seeds \[1, 2\] must be distinct and differ from "
                                         r"embedder_train.seed 1"):
        stage.run(params, paths)
    assert stage.repeat_seeds(params, stage.Paths(repeats=None)) == []   # the ablations train once


def test_each_complete_repeated_run_is_scored_under_its_seed(tmp_path):
    stage = load_stage("embedder/evaluate")
    for seed, complete in ((2, True), (10, True), (3, False)):   # seed 3: a run that never finished saving
        folder = tmp_path / "model" / "seeds" / f"seed-{seed}"
        folder.mkdir(parents=True)
        if complete:
            (folder / "modules.json").write_text("[]")
    assert stage.seed_runs("trained", str(tmp_path / "model")) == {
        "trained@seed2": str(tmp_path / "model/seeds/seed-2"), "trained@seed10": str(tmp_path / "model/seeds/seed-10")}
    assert stage.seed_runs("human", str(tmp_path / "none")) == {}
    report = {"models": ["base", "trained", "trained@seed2"],
              "tasks": {"T": {"base": 0.5, "trained": 0.6, "trained@seed2": 0.7, "type": "STS"}},
              "mean": {"all": {"tasks": ["T"], "base": 0.5, "trained": 0.6, "trained@seed2": 0.7}}}
    assert stage.seed_values(report) == {"T": {"base": 0.5, "trained": 0.6, "trained@seed2": 0.7},
                                         "mean (all)": {"base": 0.5, "trained": 0.6, "trained@seed2": 0.7}}
