"""The evaluate stage in-process on a tiny random Llama and a LoRA adapter trained on it: every
output file, every set, every form and comparison, and the per-item table's pairing; open-ended
sets with lexical metrics and the real (llama.cpp) judge."""
import csv
import io
import json
import types

import pytest

from conftest import has_module, load_stage, write_jsonl
from synthcraft import assets
from synthcraft.evaluation import EvalSet, EvaluateParams
from synthcraft.evaluation.judge import JudgeParams
from synthcraft.tasks import TaskParams, mcqa, openqa
from synthcraft.training import TrainParams, repeat_dir, train_lora

pytestmark = pytest.mark.slow
stage = load_stage("evaluate")

OWN = [{"question": f"Which number comes after {i}?", "choices": [str(i + 1), str(i + 2), str(i - 1), "zero"],
        "answer": "A", "subject": "counting"} for i in range(5)]


def train_tiny_adapter(tiny_base, conversations, out, seed=0):
    train_lora(tiny_base, conversations, out,
               TrainParams(r=4, alpha=8, dropout=0.0, learning_rate=1e-3, epochs=1, effective_batch=5,
                           micro_batch=5, bf16="false", seed=seed), base_name="models/base",
               loss_csv=out.parent / "loss.csv")


def test_evaluate_stage_end_to_end(tiny_base, tmp_path):
    samples = [{"question": i["question"], "options": i["choices"], "answer": "A"} for i in OWN]
    train_tiny_adapter(tiny_base, [mcqa.TASK.messages(s) for s in samples], tmp_path / "adapter")
    own = write_jsonl(tmp_path / "own.jsonl", OWN)
    params = types.SimpleNamespace(task=TaskParams(), evaluate=EvaluateParams(
        models={"tuned": str(tmp_path / "adapter")}, reference=None, primary="letter", bootstrap_resamples=200,
        sets={"own": EvalSet(str(own)), "anatomy": EvalSet(assets.MMLU, ["anatomy"], limit=6)},
        batch_size=4, bf16="false"))
    paths = stage.Paths(base=tiny_base, metrics=tmp_path / "eval.json", plot=tmp_path / "by_subject.csv",
                        letters=tmp_path / "letters.csv", items=tmp_path / "items.csv",
                        answers=tmp_path / "answers.jsonl")
    metrics = stage.run(params, paths)

    written = json.loads(paths.metrics.read_text())
    assert written.pop("machine")["bf16_used"] is False and written == metrics
    assert set(metrics["sets"]) == {"own", "anatomy"} and metrics["primary"] == "letter"
    own_report = metrics["sets"]["own"]
    assert own_report["items"] == 5 and set(own_report["models"]) == {"base", "tuned"}
    assert set(own_report["comparisons"]) == {"tuned_vs_base"}
    assert set(own_report["comparisons"]["tuned_vs_base"]) == {"letter", "cloze", "cloze_norm"}
    assert own_report["position_bias"]["letter"]["answer_key"]["A"] == 1.0
    # the adapter was trained on exactly these questions: contamination shows it
    assert own_report["contamination"]["tuned"]["shared_ngrams"] >= 5  # each question's own 5-gram
    assert metrics["sets"]["anatomy"]["contamination"]["tuned"]["shared_ngrams"] == 0

    items = list(csv.DictReader(io.StringIO(paths.items.read_text())))
    assert len(items) == (5 + 6) * 2  # set x item x model
    tuned_own = [r for r in items if r["set"] == "own" and r["model"] == "tuned"]
    accuracy = sum(r["letter"] == r["answer"] for r in tuned_own) / 5
    assert accuracy == own_report["models"]["tuned"]["letter"]["accuracy"]
    assert all(1 <= int(r["cloze_rank"]) <= 4 and float(r["cloze_logprob"]) <= 0 for r in items)
    assert all(r[f"{form}_rank"] == "1" for r in items for form in ("letter", "cloze") if r[form] == r["answer"])
    assert any(r["letter_rank"] != "1" for r in items)

    bars = list(csv.DictReader(io.StringIO(paths.plot.read_text())))
    assert {b["form"] for b in bars} == {"letter"} and len(bars) == 2 * (2 + 2)  # 2 models x (1 subject + overall) x 2 sets
    letters = list(csv.DictReader(io.StringIO(paths.letters.read_text())))
    assert {r["model"] for r in letters} == {"answer key", "base", "tuned"} and len(letters) == 2 * 3 * 3 * 4

    assert "open_sets" not in metrics and paths.answers.read_text() == ""   # no open sets: an empty table


def test_forms_without_letter_leave_it_out_of_every_output(tiny_base, tmp_path):
    """params.yaml's default evaluate.forms: the letter form is neither scored nor reported."""
    params = types.SimpleNamespace(task=TaskParams(), evaluate=EvaluateParams(
        forms=["cloze_norm", "cloze"], bootstrap_resamples=100, batch_size=4, bf16="false",
        sets={"own": EvalSet(str(write_jsonl(tmp_path / "own.jsonl", OWN)))}))
    assert params.evaluate.forms == ["cloze", "cloze_norm"]   # the order every report uses
    paths = stage.Paths(base=tiny_base, metrics=tmp_path / "eval.json", plot=tmp_path / "by_subject.csv",
                        letters=tmp_path / "letters.csv", items=tmp_path / "items.csv",
                        answers=tmp_path / "answers.jsonl")
    report = stage.run(params, paths)["sets"]["own"]
    assert set(report["models"]["base"]) == set(report["position_bias"]) == {"cloze", "cloze_norm"}
    header = paths.items.read_text().splitlines()[0]
    assert header.endswith("model,cloze,cloze_rank,cloze_logprob,cloze_norm,cloze_norm_rank,cloze_norm_logprob")
    assert {r["form"] for r in csv.DictReader(io.StringIO(paths.letters.read_text()))} == {"cloze", "cloze_norm"}


def test_seed_sets_score_repeated_seeds_on_the_named_sets_only(tiny_base, tmp_path):
    """evaluate.seed_sets (the study: [sciq]): a model's repeated seeds are scored on those sets
    alone, its first seed on every set, with the same scores as when every run goes to every set."""
    samples = [{"question": i["question"], "options": i["choices"], "answer": "A"} for i in OWN]
    conversations = [mcqa.TASK.messages(s) for s in samples]
    train_tiny_adapter(tiny_base, conversations, tmp_path / "adapter")
    train_tiny_adapter(tiny_base, conversations, repeat_dir(tmp_path / "adapter", 1), seed=1)
    sets = {"own": EvalSet(str(write_jsonl(tmp_path / "own.jsonl", OWN))),
            "anatomy": EvalSet(assets.MMLU, ["anatomy"], limit=4)}
    reports = {}
    for seed_sets in (None, ["own"]):
        params = types.SimpleNamespace(task=TaskParams(), evaluate=EvaluateParams(
            models={"tuned": str(tmp_path / "adapter")}, forms=["cloze"], primary="cloze", bootstrap_resamples=100, batch_size=4,
            bf16="false", sets=sets, seed_sets=seed_sets))
        out = tmp_path / str(seed_sets)
        paths = stage.Paths(base=tiny_base, metrics=out / "eval.json", plot=out / "by_subject.csv",
                            letters=out / "letters.csv", items=out / "items.csv", answers=out / "answers.jsonl")
        reports[str(seed_sets)] = stage.run(params, paths)["sets"]
        items = list(csv.DictReader(io.StringIO(paths.items.read_text())))
        runs_per_set = {name: {r["model"] for r in items if r["set"] == name} for name in sets}
    every, some = reports["None"], reports["['own']"]
    assert runs_per_set == {"own": {"base", "tuned", "tuned@seed1"}, "anatomy": {"base", "tuned"}}
    assert list(some["own"]["models"]) == list(every["own"]["models"]) == ["base", "tuned", "tuned@seed1"]
    assert some["own"]["models"] == every["own"]["models"]           # the same scores, whichever runs go where
    assert some["anatomy"]["models"] == {k: v for k, v in every["anatomy"]["models"].items() if k != "tuned@seed1"}
    assert some["own"]["across_seeds"] == every["own"]["across_seeds"]
    assert "across_seeds" in every["anatomy"] and "across_seeds" not in some["anatomy"]
    with pytest.raises(ValueError, match="seed_sets names \\['mmlu'\\]"):
        EvaluateParams(sets=sets, seed_sets=["mmlu"])


OPEN = [{"question": f"What is {i} plus one?", "answer": f"It is {i + 1}."} for i in range(4)]


@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed (make setup)")
def test_evaluate_stage_open_sets_with_the_judge(tiny_base, tmp_path):
    conversations = [openqa.TASK.messages(s) for s in OPEN]
    train_tiny_adapter(tiny_base, conversations, tmp_path / "adapter")
    train_tiny_adapter(tiny_base, conversations, repeat_dir(tmp_path / "adapter", 3), seed=3)  # train.repeat_seeds
    own = write_jsonl(tmp_path / "open.jsonl", OPEN)
    params = types.SimpleNamespace(task=TaskParams(name="sums", type="openqa"), evaluate=EvaluateParams(
        models={"tuned": str(tmp_path / "adapter")}, bootstrap_resamples=200, batch_size=4, bf16="false",
        sets={"sums": EvalSet(str(own), kind="open", max_new_tokens=8),
              "bio_open": EvalSet(assets.MMLU, ["college biology"], limit=3, kind="open", max_new_tokens=8),
              "anatomy": EvalSet(assets.MMLU, ["anatomy"], limit=3)}),
        judge=JudgeParams(enabled=True, max_tokens=120))
    paths = stage.Paths(base=tiny_base, metrics=tmp_path / "eval.json", plot=tmp_path / "by_subject.csv",
                        letters=tmp_path / "letters.csv", items=tmp_path / "items.csv",
                        answers=tmp_path / "answers.jsonl", judge_cache=tmp_path / "judge")
    metrics = stage.run(params, paths)

    assert set(metrics["sets"]) == {"anatomy"} and set(metrics["open_sets"]) == {"sums", "bio_open"}
    sums = metrics["open_sets"]["sums"]
    assert sums["items"] == 4 and set(sums["models"]) == {"base", "tuned", "tuned@seed3"} and sums["max_new_tokens"] == 8
    assert set(sums["comparisons"]["tuned_vs_base"]) >= {"rougeL", "bleu4", "answer_words", "binary_accuracy"}
    assert sums["contamination"]["tuned"]["shared_ngrams"] >= 1     # trained on exactly these answers
    assert metrics["judge"]["requests"] <= 3 * (4 + 3) and metrics["judge"]["errors"] == 0
    rows = [json.loads(line) for line in paths.answers.read_text().splitlines()]
    assert len(rows) == 3 * (4 + 3)                                  # open set x item x model run
    assert {r["model"] for r in rows} == {"base", "tuned", "tuned@seed3"}

    # the repeated run: scored like any model, and summarised across seeds against base
    seeds = metrics["sets"]["anatomy"]["across_seeds"]["tuned"]
    assert set(seeds) == {"letter", "cloze", "cloze_norm"}
    letter = seeds["letter"]
    runs = metrics["sets"]["anatomy"]["models"]
    assert letter["values"] == [runs["tuned"]["letter"]["accuracy"], runs["tuned@seed3"]["letter"]["accuracy"]]
    assert letter["vs_base"]["seeds"] == 2 and letter["vs_base"]["test"].startswith("one-sample")
    assert metrics["open_sets"]["sums"]["across_seeds"]["tuned"]["rougeL"]["vs_base"]["seeds"] == 2
    for name, report in metrics["open_sets"].items():
        for model, m in report["models"].items():
            mine = [r for r in rows if r["set"] == name and r["model"] == model]
            assert m["rougeL"]["mean"] == pytest.approx(sum(r["rougeL"] for r in mine) / len(mine), abs=1e-3)
            judged = [r for r in mine if r["judge"] is not None]
            assert m["judge"]["judged"] == len(judged)
            assert m["judge"]["binary_accuracy"]["correct"] == sum(r["binary_accuracy"] for r in judged)
