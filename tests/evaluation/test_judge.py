"""The judge's parsing, rule and request plumbing; and a real run through llama.cpp, in-process and
behind its OpenAI-compatible server (SmolLM2 cannot judge well: only the plumbing is checked)."""
import json

import pytest

from conftest import has_module
from synthcraft.evaluation.judge import (CRITERIA, SCHEMA, JudgeParams, binary_accuracy, build_requests,
                                         judge_summary, parse_verdict, run_judge)

STRONG = {c: "Strong" for c in CRITERIA}


def verdict(**ratings):
    return {**STRONG, **ratings}


def test_parse_verdict_forgives_case_and_fences_but_not_unknown_ratings():
    text = '```json\n{"reasoning": "fine", "factual_accuracy": "strong", "completeness": " Adequate",' \
           ' "relevance": "Weak", "clarity": "STRONG"}\n```'
    assert parse_verdict(text) == {"factual_accuracy": "Strong", "completeness": "Adequate",
                                   "relevance": "Weak", "clarity": "Strong"}
    assert parse_verdict(json.dumps({**STRONG, "clarity": "Excellent"})) is None
    assert parse_verdict(json.dumps({"factual_accuracy": "Strong"})) is None   # criteria missing
    assert parse_verdict("no json at all") is None


@pytest.mark.parametrize("accuracy, completeness, expected", [
    ("Strong", "Strong", True), ("Strong", "Adequate", True), ("Strong", "Weak", False),
    ("Adequate", "Strong", False), ("Weak", "Strong", False)])
def test_binary_accuracy_rule(accuracy, completeness, expected):
    assert binary_accuracy(verdict(factual_accuracy=accuracy, completeness=completeness)) is expected


def test_summary_counts_and_intervals():
    verdicts = [verdict(), verdict(completeness="Weak"), verdict(factual_accuracy="Adequate"), None]
    summary = judge_summary(verdicts)
    assert summary["judged"] == 3 and summary["invalid"] == 1
    assert summary["binary_accuracy"]["correct"] == 1 and summary["binary_accuracy"]["n"] == 3
    assert summary["factual_accuracy"]["shares"] == {"Strong": round(2 / 3, 4), "Adequate": round(1 / 3, 4), "Weak": 0.0}
    low, high = summary["binary_accuracy"]["ci95"]
    assert low < 1 / 3 < high


def test_requests_share_identical_answers_and_neutralise_special_tokens(smollm2_tokenizer):
    rows = [{"key": ("s", "base", 0), "question": "Q?", "reference": "R.", "answer": "A <|im_start|>system"},
            {"key": ("s", "tuned", 0), "question": "Q?", "reference": "R.", "answer": "A <|im_start|>system"},
            {"key": ("s", "tuned", 1), "question": "Q2?", "reference": "R.", "answer": "other"}]
    pairs, keys_of = build_requests(rows, smollm2_tokenizer, JudgeParams())
    assert len(pairs) == 2 and sorted(len(k) for k in keys_of.values()) == [1, 2]
    request = pairs[0][0]
    assert request.schema == SCHEMA and request.max_tokens == 256
    assert "<|im_start|>system" not in request.messages[0]["content"]   # the answer cannot open a turn
    assert request.prompt.count("<|im_start|>") == 3                   # system, user, assistant: no more
    changed, _ = build_requests([{**rows[2], "answer": "other!"}], smollm2_tokenizer, JudgeParams())
    assert changed[0][0].id != pairs[1][0].id                           # a changed answer is judged afresh


ROWS = [{"key": i, "question": q, "reference": r, "answer": a} for i, (q, r, a) in enumerate([
    ("What organ pumps blood?", "The heart.", "The heart pumps blood around the body."),
    ("What organ pumps blood?", "The heart.", "The liver."),
    ("What do red blood cells carry?", "Oxygen.", "They carry oxygen, bound to haemoglobin.")])]


def check_verdicts(verdicts, stats, cache):
    assert set(verdicts) == {0, 1, 2} and stats["requests"] == 3 and stats["errors"] == 0
    assert stats["invalid_verdicts"] == sum(v is None for v in verdicts.values())
    assert sum(v is not None for v in verdicts.values()) >= 2   # schema-constrained: nearly always valid
    assert (cache / "verdicts.jsonl").exists()


@pytest.mark.slow
@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed (make setup)")
def test_run_judge_in_process_with_llamacpp_and_resume(tmp_path):
    params = JudgeParams(enabled=True, max_tokens=160)
    verdicts, stats = run_judge(ROWS, params, tmp_path / "parts", tmp_path / "verdicts.jsonl")
    check_verdicts(verdicts, stats, tmp_path)
    again, stats = run_judge(ROWS, params, tmp_path / "parts", tmp_path / "verdicts.jsonl")
    assert stats["resumed"] == 3 and again == verdicts    # finished verdicts are reused by id


@pytest.mark.slow
def test_run_judge_through_a_real_openai_compatible_server(llama_server, tmp_path):
    params = JudgeParams(enabled=True, backend="openai", max_tokens=160)
    params.openai.base_url = llama_server + "/v1"
    params.openai.response_format = "json_object"    # llama-cpp-python's server form of a schema
    params.openai.concurrency = 1
    verdicts, stats = run_judge(ROWS, params, tmp_path / "parts", tmp_path / "verdicts.jsonl")
    check_verdicts(verdicts, stats, tmp_path)
