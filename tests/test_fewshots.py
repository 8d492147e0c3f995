import json
from pathlib import Path

import pytest

from synthcraft.fewshots import FewShotError, load_fewshots
from synthcraft.methods.craft.retrieval import embedding_text
from synthcraft.tasks import mcqa

BIOQA = Path(__file__).resolve().parents[1] / "data" / "fewshots" / "bioqa.jsonl"


def test_bioqa_fewshots_meet_the_spec():
    shots = load_fewshots(BIOQA, mcqa.TASK)
    assert 8 <= len(shots) <= 32
    for shot in shots:
        assert 100 <= len(shot["text"].split()) <= 400, shot["id"]
    assert len({s["answer"] for s in shots}) >= 3  # answers are not all one letter
    assert embedding_text(shots[0], mcqa.TASK).endswith("Answer: B")


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("question"), r":2: missing field 'question'"),
    (lambda s: s.update(options=["a", "b", "c"]), r":2: field 'options' must be a list of 4"),
    (lambda s: s.update(options=["a", "b", "c", "A"]), r":2: field 'options' has repeated options"),
    (lambda s: s.update(answer="E"), r":2: field 'answer' must be one of A, B, C, D"),
    (lambda s: s.update(text=""), r":2: field 'text' must be a non-empty string"),
    (lambda s: s.update(question="Why?"), r":2: field 'question' is too short \(task type mcqa\)"),
    (lambda s: s.update(id="bioqa-001-genetics"), r":2: duplicate id"),
])
def test_errors_name_line_and_field(tmp_path, change, message):
    lines = BIOQA.read_text().splitlines()[:2]
    shot = json.loads(lines[1])
    change(shot)
    path = tmp_path / "task.jsonl"
    path.write_text(lines[0] + "\n" + json.dumps(shot) + "\n")
    with pytest.raises(FewShotError, match=message):
        load_fewshots(path, mcqa.TASK)


def test_invalid_json_and_missing_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('\n{"id": 1,,}\n')
    with pytest.raises(FewShotError, match=r"t.jsonl:2: not valid JSON"):
        load_fewshots(path, mcqa.TASK)
    with pytest.raises(FewShotError, match="no few-shot file"):
        load_fewshots(tmp_path / "missing.jsonl", mcqa.TASK)
