"""The filter stage end to end on hand-made generated rows, called in-process through its
``run(params, paths)``, including the nothing-survives case."""
import json
import logging

import pyarrow.parquet as pq

from conftest import REPO, load_stage
from synthcraft.cards import CardParams
from synthcraft.funnel import FilterParams
from synthcraft.models import BaseParams
from synthcraft.stage import load_params
from synthcraft.tasks import TaskParams

stage = load_stage("craft/filter")


def run_filter(tmp_path, rows, caplog=None):
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "bioqa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "generate.json").write_text(json.dumps({"model": "teacher.gguf", "backend": "llamacpp",
                                                       "tokens_in": 10, "tokens_out": 5, "json_yield": 0.5}))
    params = load_params(REPO / "params.yaml", task=TaskParams, filter=FilterParams, base=BaseParams, cards=CardParams)
    paths = stage.Paths(generated=tmp_path / "gen", fewshots=REPO / "data/fewshots", out=tmp_path / "out",
                        metrics=tmp_path / "filter.json", funnel=tmp_path / "funnel.csv", spend=tmp_path / "generate.json")
    metrics = stage.run(params, paths)
    written = json.loads((tmp_path / "filter.json").read_text())
    assert written.pop("machine")["kernels"] == "portable"  # every stage's metrics say what machine made them
    assert written == metrics
    return metrics


def row(i, text, finish="stop"):
    return {"id": f"{i:024x}", "doc_id": f"d{i}", "shot_ids": [f"s{i}"], "text": text, "tokens_in": 1, "tokens_out": 1,
            "finish_reason": finish, "error": None}


def test_nothing_survives_writes_empty_outputs_and_names_the_reason(tmp_path, caplog):
    rows = [row(i, "Sorry, I cannot do that.") for i in range(5)] + [row(9, "", "length")]
    with caplog.at_level(logging.WARNING):
        metrics = run_filter(tmp_path, rows)
    log = caplog.text
    assert metrics["available"] == 0 and metrics["format_errors"] == 5
    assert metrics["warning"] == "no sample survived; most were dropped as format_errors"
    assert "no sample survived" in log
    assert (tmp_path / "funnel.csv").read_text().splitlines()[-1] == "available,0"
    out = tmp_path / "out" / "bioqa"
    assert pq.read_table(out / "train.parquet").num_rows == 0
    assert (out / "train.jsonl").read_text() == ""
    assert len((out / "rejected.jsonl").read_text().splitlines()) == 6


def test_kept_samples_reach_parquet_and_the_training_jsonl(tmp_path):
    sample = {"question": "Which organelle makes most of a cell's ATP?",
              "options": ["Nucleus", "Mitochondrion", "Ribosome", "Golgi body"], "answer": "B"}
    metrics = run_filter(tmp_path, [row(1, "```json\n" + json.dumps(sample) + "\n```")])
    assert metrics["available"] == 1 and "warning" not in metrics
    out = tmp_path / "out" / "bioqa"
    assert pq.read_table(out / "train.parquet").to_pylist()[0]["options"] == sample["options"]
    example = json.loads((out / "train.jsonl").read_text())   # task.supervision: cloze (TRL's prompt-completion rows)
    assert example["prompt"] == f"Question: {sample['question']}\nAnswer:" and example["completion"] == " Mitochondrion"
    assert (example["id"], example["doc_id"], example["shot_ids"]) == (f"{1:024x}", "d1", ["s1"])   # provenance kept


def test_the_dataset_card_loads_with_datasets_and_counts_the_funnel(tmp_path):
    from datasets import load_dataset

    sample = {"question": "Which gas do plants release in daylight?", "options": ["Oxygen", "Argon", "Neon", "Helium"],
              "answer": "A"}
    run_filter(tmp_path, [row(1, json.dumps(sample)), row(2, "not json")])
    out = tmp_path / "out" / "bioqa"
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["teacher"] == "teacher.gguf via llamacpp" and meta["student"] == BaseParams().model
    assert meta["configs"]["default"]["rows"] == 1 and meta["configs"]["rejected"]["rows"] == 1
    assert meta["configs"]["default"]["funnel"]["available"] == 1 and meta["license"] == "cc-by-sa-4.0"
    assert load_dataset(str(out), "default", split="train")["doc_id"] == ["d1"]   # the card's configs
    assert load_dataset(str(out), "rejected", split="train")["reason"] == ["format_error"]
