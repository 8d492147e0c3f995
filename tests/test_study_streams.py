"""The study's few-shots and stream order."""
import json

import pytest

from synthcraft.fewshots import load_fewshots
from synthcraft.study.fewshots import FEWSHOT_CHARS, sciq_fewshots
from synthcraft.study.streams import stream_order
from synthcraft.tasks.mcqa import TASK


def sciq_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        support = "" if i % 5 == 0 else f"Passage {i}: " + "cells divide and grow. " * (10 + i % 3)
        rows.append({"id": f"sciq-validation-{i:05d}", "question": f"What happens to cells in case {i}?",
                     "choices": ["they divide", "they melt", "they sing", "they freeze"], "answer": "A",
                     "support": support})
    return rows


def test_fewshots_are_seeded_valid_and_skip_items_without_a_passage(tmp_path):
    path = tmp_path / "validation.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in sciq_rows(40)))
    shots, skipped = sciq_fewshots(path, 5, seed=0)
    assert len(shots) == 5 and skipped["no_passage"] == 8
    assert all(FEWSHOT_CHARS[0] <= len(s["text"]) <= FEWSHOT_CHARS[1] for s in shots)
    assert sciq_fewshots(path, 5, seed=0)[0] == shots and sciq_fewshots(path, 5, seed=1)[0] != shots
    out = tmp_path / "sciq.jsonl"
    out.write_text("".join(json.dumps(s) + "\n" for s in shots))
    assert len(load_fewshots(out, TASK)) == 5          # what every few-shot file must pass
    with pytest.raises(ValueError, match="study.fewshots"):
        sciq_fewshots(path, 33, seed=0)


def test_stream_order_is_seeded_and_independent_of_listing_order():
    docs = [{"doc_id": f"d{i:03d}", "text": str(i)} for i in range(50)]
    order = stream_order(docs, seed=3)
    assert sorted(d["doc_id"] for d in order) == [d["doc_id"] for d in docs]
    assert stream_order(list(reversed(docs)), seed=3) == order and stream_order(docs, seed=4) != order
