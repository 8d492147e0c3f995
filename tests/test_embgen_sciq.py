"""EmbGen's SciQ corpus (synthcraft/methods/embgen/sciq.py): which passages become documents, which
questions test them, and what the no-leak control holds."""
import json

import numpy as np
import pytest
import yaml

from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.human import UNTITLED_TURN, human_rows
from synthcraft.methods.embgen.sciq import KIND, EmbgenSciqParams, choose, load_items, open_items, passages

from conftest import REPO


def sciq_items(n: int, without_passage: int = 0) -> list[dict]:
    items = [{"id": f"q{k:03d}", "question": f"Question {k}?", "choices": ["a", "b", "c", "d"], "answer": "ABCD"[k % 4],
              "support": f"Fact one about thing {k}. Fact two about thing {k}. Fact three."} for k in range(n)]
    for item in items[:without_passage]:
        item["support"] = ""
    return items


def vectors_for(items: list[dict], groups: int = 4) -> np.ndarray:
    """Passage vectors in ``groups`` well-separated clusters."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(groups, 16)) * 10
    rows = passages(items)
    return np.stack([centres[k % groups] + rng.normal(size=16) for k in range(len(rows))]).astype(np.float32)


def test_documents_are_passages_and_their_questions_the_test():
    items = sciq_items(60, without_passage=5)
    p = EmbgenSciqParams(topics=2, docs_per_topic=5, clusters=4, heldout_items=12)
    docs, closed, counts = choose(items, vectors_for(items), p)
    by_id = {item["id"]: item for item in items}
    assert len(docs) == 10 and counts["documents"] == 10 and counts["with_passage"] == 55
    assert all(d["text"] == by_id[d["doc_id"]]["support"] for d in docs)
    seen = [c for c in closed if c["source"] == "seen"]
    heldout = [c for c in closed if c["source"] == "heldout"]
    assert [c["doc_id"] for c in seen] == [d["doc_id"] for d in docs]
    for item in closed:   # the human question, its options and key, unchanged
        original = by_id[item["doc_id"]]
        assert (item["question"], item["choices"], item["answer"], item["kind"]) == \
               (original["question"], original["choices"], original["answer"], KIND)
    # The no-leak control: questions whose passage is no document (a passage-less item may be one).
    assert len(heldout) == 12 and not {c["doc_id"] for c in heldout} & {d["doc_id"] for d in docs}
    assert len({c["id"] for c in closed}) == len(closed)
    assert len({d["topic"] for d in docs}) == 2


def test_choice_is_seeded():
    items = sciq_items(40)
    p = EmbgenSciqParams(topics=2, docs_per_topic=4, clusters=4, heldout_items=6)
    assert choose(items, vectors_for(items), p) == choose(items, vectors_for(items), p)
    other = choose(items, vectors_for(items), EmbgenSciqParams(topics=2, docs_per_topic=4, clusters=4, heldout_items=6,
                                                               seed=1))
    assert other[1] != choose(items, vectors_for(items), p)[1]


def test_short_passages_are_not_documents():
    items = sciq_items(30)
    for item in items[:20]:
        item["support"] = "Only one sentence here."
    docs, _, counts = choose(items, vectors_for(items, groups=1),
                             EmbgenSciqParams(topics=1, docs_per_topic=5, clusters=1, heldout_items=0))
    assert counts["eligible"] == 10 and {d["doc_id"] for d in docs} <= {i["id"] for i in items[20:]}


def test_too_many_heldout_items_says_which_key():
    items = sciq_items(20)
    with pytest.raises(ValueError, match="embgen_sciq.heldout_items=50 .* Fix: lower embgen_sciq.heldout_items"):
        choose(items, vectors_for(items), EmbgenSciqParams(topics=2, docs_per_topic=4, clusters=4, heldout_items=50))


def test_open_items_ask_the_question_against_its_passage():
    items = sciq_items(20)
    docs, _, _ = choose(items, vectors_for(items), EmbgenSciqParams(topics=1, docs_per_topic=3, clusters=2,
                                                                    heldout_items=0))
    opened = open_items(items, docs)
    by_id = {item["id"]: item for item in items}
    for item, doc in zip(opened, docs):
        assert item["prompt"].startswith(by_id[doc["doc_id"]]["question"]) and item["reference"] == doc["text"]


def test_load_items_names_the_line_of_a_bad_row(tmp_path):
    path = tmp_path / "sciq.jsonl"
    rows = [{"id": "a", "question": "Q?", "choices": ["x", "y"], "answer": "A", "support": "S."},
            {"id": "b", "question": "Q?", "choices": ["x"], "answer": "A"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match=f"{path}:2: need 2 to"):
        load_items(str(path))
    path.write_text(json.dumps(rows[0]) + "\n" + json.dumps({**rows[0], "id": None} | {"id": "c"}) + "\n")
    assert [i["id"] for i in load_items(str(path))] == ["a", "c"]


def test_shipped_test_file_loads():
    items = load_items(str(REPO / "data/eval/sciq/test.jsonl"))
    assert len(items) == 1000 and len(passages(items)) == 884


def test_untitled_documents_get_a_fixed_request():
    rows, _ = human_rows([{"doc_id": "d", "text": "Some passage."}], lambda text: 3, 100)
    assert rows[0]["messages"][0]["content"] == UNTITLED_TURN


def test_pipeline_lists_the_method_arms():
    config = yaml.safe_load((REPO / "pipelines/embgen/sciq/dvc.yaml").read_text())
    variables = {k: v for entry in config["vars"] if isinstance(entry, dict) for k, v in entry.items()}
    assert variables["arms"] == list(ARMS)
