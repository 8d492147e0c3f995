"""The evaluate stage in-process on a tiny random Llama and a LoRA adapter trained on it: every
output file, every set, every form and comparison, and the per-item table's pairing."""
import csv
import io
import json
import types

import pytest

from conftest import load_stage, write_jsonl
from synthcraft import assets
from synthcraft.evaluation import EvalSet, EvaluateParams
from synthcraft.tasks import TaskParams, mcqa
from synthcraft.training import TrainParams, train_lora

pytestmark = pytest.mark.slow
stage = load_stage("evaluate")

OWN = [{"question": f"Which number comes after {i}?", "choices": [str(i + 1), str(i + 2), str(i - 1), "zero"],
        "answer": "A", "subject": "counting"} for i in range(5)]


def test_evaluate_stage_end_to_end(tiny_base, tmp_path):
    samples = [{"question": i["question"], "options": i["choices"], "answer": "A"} for i in OWN]
    train_lora(tiny_base, [mcqa.TASK.messages(s) for s in samples], tmp_path / "adapter",
               TrainParams(r=4, alpha=8, dropout=0.0, learning_rate=1e-3, epochs=1, effective_batch=5,
                           micro_batch=5, bf16="false"), base_name="models/base",
               loss_csv=tmp_path / "loss.csv")
    own = write_jsonl(tmp_path / "own.jsonl", OWN)
    params = types.SimpleNamespace(task=TaskParams(), evaluate=EvaluateParams(
        models={"tuned": str(tmp_path / "adapter")}, reference=None, primary="letter", bootstrap_resamples=200,
        sets={"own": EvalSet(str(own)), "anatomy": EvalSet(assets.MMLU, ["anatomy"], limit=6)},
        batch_size=4, bf16="false"))
    paths = stage.Paths(base=tiny_base, metrics=tmp_path / "eval.json", plot=tmp_path / "by_subject.csv",
                        letters=tmp_path / "letters.csv", items=tmp_path / "items.csv")
    metrics = stage.run(params, paths)

    assert json.loads(paths.metrics.read_text()) == metrics
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
