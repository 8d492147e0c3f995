"""The seed pool, the evaluation set and the human reserve: per subject, disjoint, counted."""
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
    params = PoolParams(path=str(path), pool_per_subject=2, eval_per_subject=3, human_per_subject=1)
    pool, evaluation, human, counts = split_pool(params)
    assert len(pool) == 4 and len(evaluation) == 6 and len(human) == 2 and counts["human"] == 2
    ids = [{i["id"] for i in part} for part in (pool, evaluation, human)]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    assert sorted(i["subject"] for i in pool) == ["biology", "biology", "history", "history"]
    assert counts["too_long"] == 1 and counts["duplicates"] == 1 and counts["subjects_short_of_items"] == []
    assert all(len(i["id"]) == 24 for i in pool)
    again, evaluation_again, _, _ = split_pool(params)
    assert again == pool                                   # seeded
    # The reserve is drawn after D and evaluation: its size never changes them
    bigger = split_pool(PoolParams(path=str(path), pool_per_subject=2, eval_per_subject=3, human_per_subject=4))
    assert bigger[0] == pool and bigger[1] == evaluation
    assert bigger[3]["subjects_short_of_items"] == ["biology", "history"]


def test_unknown_subjects_name_the_param(tmp_path):
    path = write_items(tmp_path / "items.jsonl")
    with pytest.raises(ValueError, match="embedsdg_pool.subjects"):
        split_pool(PoolParams(path=str(path), subjects=["chemistry"]))


def test_text_and_sample_forms():
    item = {"question": "Q?", "choices": ["a", "b", "c", "d"], "answer": "C", "subject": "s"}
    assert example_text(item) == "Q?\nA. a\nB. b\nC. c\nD. d\nAnswer: C"
    assert as_sample(item) == {"question": "Q?", "options": ["a", "b", "c", "d"], "answer": "C"}
    assert example_id(item) == example_id(dict(item, answer="A"))
