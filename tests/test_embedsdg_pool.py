"""The seed pool and the evaluation set: per subject, disjoint, counted."""
import json

import pytest

from synthcraft.methods.embedsdg.pool import PoolParams, as_sample, example_id, example_text, split_pool


def write_items(path, subjects=("biology", "history"), per_subject=6):
    rows = []
    for s in subjects:
        for i in range(per_subject):
            rows.append({"question": f"{s} question number {i}?", "choices": ["w", "x", "y", "z"], "answer": i % 4,
                         "subject": s})
    rows.append({"question": "x" * 700, "choices": ["a", "b", "c", "d"], "answer": "A", "subject": "biology"})
    rows.append(dict(rows[0]))   # a duplicate
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_split_is_per_subject_and_disjoint(tmp_path):
    path = write_items(tmp_path / "items.jsonl")
    pool, evaluation, counts = split_pool(PoolParams(path=str(path), pool_per_subject=2, eval_per_subject=3))
    assert len(pool) == 4 and len(evaluation) == 6
    assert {i["id"] for i in pool}.isdisjoint({i["id"] for i in evaluation})
    assert sorted(i["subject"] for i in pool) == ["biology", "biology", "history", "history"]
    assert counts["too_long"] == 1 and counts["duplicates"] == 1 and counts["subjects_short_of_items"] == []
    assert all(len(i["id"]) == 24 for i in pool)
    again, _, _ = split_pool(PoolParams(path=str(path), pool_per_subject=2, eval_per_subject=3))
    assert again == pool                                   # seeded
    _, _, short = split_pool(PoolParams(path=str(path), pool_per_subject=4, eval_per_subject=4))
    assert short["subjects_short_of_items"] == ["biology", "history"]


def test_unknown_subjects_name_the_param(tmp_path):
    path = write_items(tmp_path / "items.jsonl")
    with pytest.raises(ValueError, match="embedsdg_pool.subjects"):
        split_pool(PoolParams(path=str(path), subjects=["chemistry"]))


def test_text_and_sample_forms():
    item = {"question": "Q?", "choices": ["a", "b", "c", "d"], "answer": "C", "subject": "s"}
    assert example_text(item) == "Q?\nA. a\nB. b\nC. c\nD. d\nAnswer: C"
    assert as_sample(item) == {"question": "Q?", "options": ["a", "b", "c", "d"], "answer": "C"}
    assert example_id(item) == example_id(dict(item, answer="A"))
