"""The positive control's data (stages/control.py) on the shipped SciQ train slice: size taken from
the synthetic set, nested draws, the supervision form training sees, and the errors for bad input."""
import json
from types import SimpleNamespace

import pytest

from conftest import REPO, load_stage, write_jsonl
from synthcraft.control import ControlParams
from synthcraft.files import read_jsonl
from synthcraft.tasks import TaskParams
from synthcraft.training import load_examples

stage = load_stage("control")
SCIQ_TRAIN = str(REPO / "data/eval/sciq/train.jsonl")


def run_control(tmp_path, n=None, size=5, task=None, name="out", seed=0):
    synthetic = write_jsonl(tmp_path / "synthetic.jsonl", [{"id": str(i), "messages": []} for i in range(size)])
    params = SimpleNamespace(control=ControlParams(path=SCIQ_TRAIN, n=n, seed=seed), task=task or TaskParams())
    paths = stage.Paths(out=tmp_path / name, metrics=tmp_path / f"{name}.json", size_of=synthetic)
    return stage.run(params, paths), list(read_jsonl(tmp_path / name / "train.jsonl"))


def test_size_follows_the_synthetic_set_and_training_sees_the_option_text_in_the_cloze_context(tmp_path):
    metrics, rows = run_control(tmp_path, size=7)
    assert metrics["n"] == 7 and metrics["n_from"].endswith("synthetic.jsonl") and len(rows) == 7
    assert metrics["supervision"] == "cloze" and sum(metrics["answer_letters"].values()) == 7
    source = {row["id"]: row for row in read_jsonl(SCIQ_TRAIN)}
    for row in rows:
        item = source[row["id"]]          # ids are SciQ's own
        letter = item["answer"]
        assert row["prompt"] == f"Question: {item['question']}\nAnswer:"
        assert row["completion"] == " " + item["choices"]["ABCD".index(letter)].strip()
    # what train loads is exactly these examples
    assert load_examples(tmp_path / "out" / "train.jsonl") == [{k: row[k] for k in ("prompt", "completion")}
                                                               for row in rows]


def test_letter_text_supervision_is_a_chat_turn(tmp_path):
    _, rows = run_control(tmp_path, size=3, task=TaskParams(supervision="letter_text"))
    source = {row["id"]: row for row in read_jsonl(SCIQ_TRAIN)}
    for row in rows:
        item = source[row["id"]]
        user, assistant = row["messages"]
        assert user["content"].startswith(item["question"]) and user["content"].endswith("\nAnswer:")
        letter = item["answer"]
        assert assistant["content"] == f"{letter}. {item['choices']['ABCD'.index(letter)].strip()}"
    assert load_examples(tmp_path / "out" / "train.jsonl") == [{"messages": row["messages"]} for row in rows]


def test_a_larger_n_holds_the_smaller_one_and_seeds_differ(tmp_path):
    _, small = run_control(tmp_path, n=10, name="small")
    _, large = run_control(tmp_path, n=40, name="large")
    _, other = run_control(tmp_path, n=10, name="other", seed=1)
    assert [r["id"] for r in large[:10]] == [r["id"] for r in small]
    assert {r["id"] for r in other} != {r["id"] for r in small}


def test_letter_supervision_and_open_questions(tmp_path):
    _, letter = run_control(tmp_path, n=5, task=TaskParams(supervision="letter"), name="letter")
    assert all(r["messages"][1]["content"] in "ABCD" and len(r["messages"][1]["content"]) == 1 for r in letter)
    metrics, open_rows = run_control(tmp_path, n=5, task=TaskParams(name="bioqa_open", type="openqa"), name="open")
    source = {row["question"]: row for row in read_jsonl(SCIQ_TRAIN)}
    for row in open_rows:                 # question -> the correct option's text
        item = source[row["messages"][0]["content"]]
        assert row["messages"][1]["content"] == item["choices"]["ABCD".index(item["answer"])]
    assert metrics["supervision"] == "answer" and "answer_letters" not in metrics


def test_a_control_larger_than_the_slice_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(SystemExit, match=r"N=2001 items wanted but .*sciq/train.jsonl holds 2000 usable ones\. "
                                         r"Fix: lower control.n"):
        run_control(tmp_path, n=2001)
    with pytest.raises(SystemExit, match="leave out the control and train_control stages"):
        run_control(tmp_path, n=3, task=TaskParams(name="x", type="summarization"))
    with pytest.raises(ValueError, match="n=0: give a positive number"):
        ControlParams(n=0)


def test_a_changed_shipped_file_is_refused(tmp_path):
    """The slice is checked against its provenance line before any item is used."""
    folder = tmp_path / "data" / "eval" / "sciq"
    folder.mkdir(parents=True)
    for name in ("provenance.jsonl", "sciq_license.txt"):
        (folder / name).write_bytes((REPO / "data/eval/sciq" / name).read_bytes())
    rows = (REPO / "data/eval/sciq/train.jsonl").read_text().splitlines()
    changed = json.loads(rows[0])
    changed["answer"] = "A" if changed["answer"] != "A" else "B"
    (folder / "train.jsonl").write_text("\n".join([json.dumps(changed), *rows[1:]]) + "\n")
    params = SimpleNamespace(control=ControlParams(path=str(folder / "train.jsonl"), n=3), task=TaskParams())
    with pytest.raises(SystemExit, match=r"sha256 .* is not the .* the shipped file was changed\. Fix: `git checkout"):
        stage.run(params, stage.Paths(out=tmp_path / "out", metrics=tmp_path / "m.json"))
