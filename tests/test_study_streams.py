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


def embgen_material(n_pairs: int = 12):
    pairs = [{"pair_id": f"p{i:02d}", "doc_id": f"d{i // 2}", "entity": f"Entity {i}",
              "description": f"Entity {i} is a kind of cell part number {i}."} for i in range(n_pairs)]
    labels = [i % 3 for i in range(n_pairs)]
    neighbours = [[(i + j) % n_pairs for j in (1, 2, 3)] for i in range(n_pairs)]
    clusters = {str(c): {"keywords": [f"kw{c}"], "entities": [f"Entity {c}"]} for c in range(3)}
    return pairs, {"labels": labels, "neighbours": neighbours, "clusters": clusters}


def test_embgen_stream_asks_for_one_task_item_from_sampled_pairs(smollm2_tokenizer):
    from synthcraft.generation import GenerateParams
    from synthcraft.methods.embgen.samplers import EmbgenSamplingParams
    from synthcraft.study import EMBGEN
    from synthcraft.study.embgen import embgen_stream
    from synthcraft.tasks import TaskParams

    pairs, structure = embgen_material()
    shots = [{"id": f"shot{i}", "question": f"Which part of the cell does job {i}?", "text": f"Passage {i} on cells.",
              "options": ["the nucleus", "the wall", "the membrane", "the ribosome"], "answer": "A"} for i in range(5)]
    task = TaskParams(name="sciq", type="mcqa")
    generate = GenerateParams(shots_per_prompt=3)
    make = embgen_stream(pairs, structure, shots, task, smollm2_tokenizer, generate,
                         EmbgenSamplingParams(pairs_per_request=3))
    draws = [make(k) for k in range(30)]
    for request, provenance in draws:
        assert request.schema == TASK.schema and request.messages[0]["role"] == "system"
        facts = request.messages[-1]["content"]
        assert provenance["arm"] == EMBGEN and len(provenance["pair_ids"]) == 3 and len(provenance["shot_ids"]) == 3
        assert all(f"Entity {int(p[1:])}" in facts for p in provenance["pair_ids"])   # the drawn pairs are shown
        assert "Which part of the cell" not in facts      # few-shots are earlier turns, never in the last one
        chosen = [s for s in shots if s["id"] in provenance["shot_ids"]]
        assert [m["content"] for m in request.messages[1:-1]] == [
            x for s in chosen for x in (request.messages[1]["content"].replace(chosen[0]["text"], s["text"]),
                                        TASK.answer_json(s))]
        assert provenance["doc_id"] in provenance["doc_ids"]
    assert {p["sampler"] for _, p in draws} == {"proximity", "intra", "inter"}
    assert len({r.id for r, _ in draws}) == 30
    again = embgen_stream(pairs, structure, shots, task, smollm2_tokenizer, generate,
                          EmbgenSamplingParams(pairs_per_request=3))
    assert [again(k)[0].id for k in range(30)] == [r.id for r, _ in draws]   # resumable: draw k is fixed


def test_embedsdg_stream_asks_for_one_task_item_from_two_passages_and_their_draft(smollm2_tokenizer):
    from synthcraft.generation import GenerateParams
    from synthcraft.study import EMBEDSDG
    from synthcraft.study.embedsdg import embedsdg_stream, usable_pairs
    from synthcraft.tasks import TaskParams

    documents = {f"d{i}": {"doc_id": f"d{i}", "text": f"Document {i} says that organ {i} filters the blood."}
                 for i in range(6)}
    pairs = [{"order": k, "doc_ids": [f"d{k}", f"d{k + 1}"], "cell": [0, k], "cell_count": 1 + k,
              "text": f"organ {k} ... blood ... filters" if k % 2 == 0 else "", "degenerate": None if k % 2 == 0 else "empty"}
             for k in range(5)]
    shots = [{"id": f"shot{i}", "question": f"Which organ does job {i}?", "text": f"Passage {i} on organs.",
              "options": ["the liver", "the heart", "the lung", "the skin"], "answer": "A"} for i in range(5)]
    task, generate = TaskParams(name="sciq", type="mcqa"), GenerateParams(shots_per_prompt=3)
    stream = usable_pairs(pairs, "no_draft")
    assert stream == pairs and usable_pairs(pairs, "skip") == pairs[0::2]
    make = embedsdg_stream(documents, stream, shots, task, smollm2_tokenizer, generate)
    for k in range(5):
        request, provenance = make(k)
        last = request.messages[-1]["content"]
        assert request.schema == TASK.schema and request.messages[0]["role"] == "system"
        assert f"Document {k} says" in last and f"Document {k + 1} says" in last     # both seeds are shown
        assert ("Partial draft:" in last) == (k % 2 == 0) == provenance["draft"]     # the draft, where usable
        assert "Which organ" not in last and len(request.messages) == 2 + 2 * 3      # few-shots: earlier turns
        assert [m["content"] for m in request.messages[2:-1:2]] == [
            TASK.answer_json(s) for s in shots if s["id"] in provenance["shot_ids"]]
        assert provenance["arm"] == EMBEDSDG and provenance["pair"] == k and provenance["doc_ids"] == pairs[k]["doc_ids"]
    again = make(5)                   # past the last pair: the first again, with its own few-shot draw
    assert again[1]["pair"] == 0 and again[1]["pass"] == 1 and again[1]["doc_ids"] == pairs[0]["doc_ids"]
    assert len({make(k)[0].id for k in range(10)}) == 10
    assert embedsdg_stream(documents, stream, shots, task, smollm2_tokenizer, generate)(3)[0].id == make(3)[0].id
