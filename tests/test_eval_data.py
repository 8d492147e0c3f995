"""The evaluation sets shipped in data/eval/: each file is what its provenance line says (rows,
sha256), each folder carries its license, and each set loads the way the pipelines read it.
Nothing here reads the public-data folder the files were imported from."""
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from synthcraft.evaluation.items import load_mcqa
from synthcraft.files import read_jsonl

EVAL = Path(__file__).resolve().parents[1] / "data" / "eval"
DATASETS = ("sciq", "stsb", "banking77")


@pytest.mark.parametrize("name", DATASETS)
def test_every_shipped_file_matches_its_provenance_line(name):
    folder = EVAL / name
    lines = read_jsonl(folder / "provenance.jsonl")
    assert {line["license"] for line in lines} == {p.name for p in folder.glob("*.txt")}  # one license, shipped
    assert all((folder / line["license"]).read_text().strip() for line in lines)
    assert {line["file"] for line in lines} == {p.name for p in folder.glob("*.jsonl")} - {"provenance.jsonl"}
    for line in lines:
        data = (folder / line["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == line["sha256"], line["file"]
        assert len(data.splitlines()) == line["rows"] <= line["source_rows"]
        if line["selection"] == "all rows":  # a whole file is the source's bytes
            assert line["sha256"] == line["source_sha256"]
        for key in ("origin", "source_path", "license"):
            assert line[key]


def test_sciq_loads_as_multiple_choice_with_supports():
    test = load_mcqa(str(EVAL / "sciq/test.jsonl"))
    assert len(test) == 1000 and all(len(item["choices"]) == 4 for item in test)
    assert min(Counter(item["answer"] for item in test).values()) > 200  # shuffled: the key is spread over A-D
    rows = read_jsonl(EVAL / "sciq/train.jsonl")
    assert len(rows) == 2000 and sum(bool(r["support"]) for r in rows) > 1700
    test_questions = {r["question"] for r in read_jsonl(EVAL / "sciq/test.jsonl")}
    assert not test_questions & {r["question"] for r in rows}  # the train slice never holds a test question


def test_embedding_sets_have_their_fields():
    stsb = read_jsonl(EVAL / "stsb/test.jsonl")
    assert len(stsb) == 1379 and all(0 <= r["score"] <= 5 and r["sentence1"] and r["sentence2"] for r in stsb)
    banking = read_jsonl(EVAL / "banking77/test.jsonl")
    assert len(banking) == 3080 and len({r["label"] for r in banking}) == 77
    assert {r["label"] for r in read_jsonl(EVAL / "banking77/train.jsonl")} == {r["label"] for r in banking}


def test_a_changed_shipped_file_is_refused_with_the_fix(tmp_path):
    import shutil

    copy = tmp_path / "sciq"
    shutil.copytree(EVAL / "sciq", copy)
    assert len(load_mcqa(str(copy / "test.jsonl"))) == 1000  # unchanged: loads
    lines = (copy / "test.jsonl").read_text().splitlines(keepends=True)
    row = json.loads(lines[3])
    row["answer"] = "ABCD"[("ABCD".index(row["answer"]) + 1) % 4]  # one answer key moved
    (copy / "test.jsonl").write_text("".join(lines[:3] + [json.dumps(row) + "\n"] + lines[4:]))
    with pytest.raises(ValueError, match=r"test\.jsonl: sha256 .* was changed\. Fix: `git checkout -- "):
        load_mcqa(str(copy / "test.jsonl"))
    (copy / "extra.jsonl").write_text(lines[0])  # a file the provenance does not list is read as any JSONL
    assert len(read_jsonl(copy / "extra.jsonl")) == 1


def test_a_seeded_sample_keeps_file_order_and_every_subject():
    """evaluate.sets.<name>.sample: a seeded draw, in file order, that keeps each subject near its
    share (the first N of the subject-sorted MMLU file would be one subject)."""
    from conftest import REPO
    from synthcraft.evaluation import EvalSet
    from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, item_key

    full, _ = EvalSet(subjects=list(CRAFT_BIO_TOPICS)).load_counting_skips()
    drawn, skipped = EvalSet(subjects=list(CRAFT_BIO_TOPICS), sample=200).load_counting_skips()
    assert len(full) == 689 and len(drawn) == 200 and skipped == {"not_sampled": 489}
    keys = [item_key(i) for i in full]
    positions = [keys.index(item_key(i)) for i in drawn]
    assert positions == sorted(positions)                           # file order kept
    assert drawn == EvalSet(subjects=list(CRAFT_BIO_TOPICS), sample=200).load()   # same seed, same items
    assert drawn != EvalSet(subjects=list(CRAFT_BIO_TOPICS), sample=200, seed=1).load()
    shares, drawn_shares = Counter(i["subject"] for i in full), Counter(i["subject"] for i in drawn)
    assert set(drawn_shares) == set(CRAFT_BIO_TOPICS)
    assert all(abs(drawn_shares[s] / 200 - shares[s] / 689) < 0.08 for s in shares)
    assert EvalSet(path=str(REPO / "data/eval/sciq/test.jsonl"), sample=5000).load_counting_skips()[1] == {}   # larger: all
    with pytest.raises(ValueError, match="sample=0: give a positive number of items"):
        EvalSet(sample=0)
