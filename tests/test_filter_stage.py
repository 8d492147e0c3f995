"""The filter stage end to end on hand-made generated rows, including the nothing-survives case."""
import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq

from conftest import REPO

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def run_filter(tmp_path, rows):
    shutil.copy(REPO / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "bioqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    cmd = [sys.executable, str(REPO / "stages/filter.py"), "--generated", "gen", "--fewshots",
           str(REPO / "data/fewshots"), "--out", "out", "--metrics", "filter.json", "--funnel", "funnel.csv"]
    result = subprocess.run(cmd, cwd=tmp_path, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads((tmp_path / "filter.json").read_text()), result.stderr


def row(i, text, finish="stop"):
    return {"id": f"{i:024x}", "doc_id": f"d{i}", "shot_ids": [], "text": text, "tokens_in": 1, "tokens_out": 1,
            "finish_reason": finish, "error": None}


def test_nothing_survives_writes_empty_outputs_and_names_the_reason(tmp_path):
    rows = [row(i, "Sorry, I cannot do that.") for i in range(5)] + [row(9, "", "length")]
    metrics, log = run_filter(tmp_path, rows)
    assert metrics["available"] == 0 and metrics["format_errors"] == 5
    assert metrics["warning"] == "no sample survived; most were dropped as format_errors"
    assert "no sample survived" in log
    assert (tmp_path / "funnel.csv").read_text().splitlines()[-1] == "available,0"
    out = tmp_path / "out" / "bioqa"
    assert pq.read_table(out / "train.parquet").num_rows == 0
    assert (out / "train.jsonl").read_text() == ""
    assert len((out / "rejected.jsonl").read_text().splitlines()) == 6


def test_kept_samples_reach_parquet_and_chat_jsonl(tmp_path):
    sample = {"question": "Which organelle makes most of a cell's ATP?",
              "options": ["Nucleus", "Mitochondrion", "Ribosome", "Golgi body"], "answer": "B"}
    metrics, _ = run_filter(tmp_path, [row(1, "```json\n" + json.dumps(sample) + "\n```")])
    assert metrics["available"] == 1 and "warning" not in metrics
    out = tmp_path / "out" / "bioqa"
    assert pq.read_table(out / "train.parquet").to_pylist()[0]["options"] == sample["options"]
    chat = json.loads((out / "train.jsonl").read_text())
    assert chat["messages"][1] == {"role": "assistant", "content": "B"}
    assert chat["messages"][0]["content"].startswith(sample["question"])
