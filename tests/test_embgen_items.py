"""Closed-book items from the training text (the test) and from held-out sentences (the no-leak
control): the masked entity, distractors from other documents' nearest pairs; and METEOR."""
import numpy as np

from synthcraft.methods.embgen.corpus import heterogeneity, split_document
from synthcraft.methods.embgen.evaluation import meteor_scores
from synthcraft.methods.embgen.items import BLANK, closed_book_items, open_items

DOCS = [{"doc_id": "d1", "title": "Rhine", "topic": 0, "text": "The Rhine rises in the Alps. It flows through Basel.",
         "heldout": "The Rhine reaches the North Sea near Rotterdam."},
        {"doc_id": "d2", "title": "Danube", "topic": 0, "text": "The Danube rises in Germany.",
         "heldout": "It ends in the Black Sea."},
        {"doc_id": "d3", "title": "Elbe", "topic": 1, "text": "The Elbe flows through Dresden.", "heldout": "x"}]
PAIRS = [{"pair_id": "p1", "doc_id": "d1", "entity": "Rhine"}, {"pair_id": "p2", "doc_id": "d1", "entity": "Alps"},
         {"pair_id": "p3", "doc_id": "d2", "entity": "Danube"}, {"pair_id": "p4", "doc_id": "d2", "entity": "Germany"},
         {"pair_id": "p5", "doc_id": "d3", "entity": "Elbe"}, {"pair_id": "p6", "doc_id": "d3", "entity": "Dresden"},
         {"pair_id": "p7", "doc_id": "d3", "entity": "Rhine"}]   # same name elsewhere: never a distractor
VECTORS = np.array([[1, 0, 0], [0.5, 0.5, 0], [0.9, 0.1, 0], [0.2, 0.8, 0], [0.8, 0, 0.2], [0, 0, 1], [1, 0, 0.01]])


def test_closed_book_item_masks_the_entity_and_draws_distractors_from_other_documents():
    items, skipped = closed_book_items(DOCS, PAIRS, VECTORS, source="heldout")
    assert len(items) == 1 and skipped == {"no_extracted_entity_in_heldout": 2}
    item = items[0]
    assert item["source"] == "heldout" and item["id"] == "d1:p1:heldout"
    assert item["question"] == f"Fill in the blank in this sentence: The {BLANK} reaches the North Sea near Rotterdam."
    assert item["choices"]["ABCD".index(item["answer"])] == "Rhine"
    wrong = [c for c in item["choices"] if c != "Rhine"]
    assert wrong == ["Danube", "Elbe", "Germany"]             # nearest pairs of other documents, in order
    assert item["subject"] == "topic-0"


def test_seen_items_ask_about_the_training_text_and_heldout_items_about_text_no_arm_sees():
    text, heldout = split_document("First fact here. Second fact here. The last one is held out.")
    assert heldout == "The last one is held out." and heldout not in text
    seen, skipped = closed_book_items(DOCS, PAIRS, VECTORS, source="seen")
    assert not skipped and [i["doc_id"] for i in seen] == ["d1", "d2", "d3"]
    by_doc = {i["doc_id"]: i for i in seen}
    # the longest extracted entity found in a training sentence, every occurrence masked
    assert by_doc["d1"]["question"] == f"Fill in the blank in this sentence: The {BLANK} rises in the Alps."
    assert by_doc["d2"]["question"] == f"Fill in the blank in this sentence: The Danube rises in {BLANK}."
    assert by_doc["d3"]["entity"] == "Dresden" and "Danube" not in by_doc["d2"]["choices"]  # in the sentence
    for item in seen:
        doc = next(d for d in DOCS if d["doc_id"] == item["doc_id"])
        assert item["source"] == "seen" and item["entity"] in doc["text"]
        assert item["question"].split(": ", 1)[1].replace(BLANK, item["entity"]) in doc["text"]
    for item in closed_book_items(DOCS, PAIRS, VECTORS, source="heldout")[0]:
        assert item["question"].split(": ", 1)[1].replace(BLANK, item["entity"]) not in DOCS[0]["text"]
    for item in open_items(DOCS):   # the reference is what an arm could have learned
        doc = next(d for d in DOCS if d["doc_id"] == item["id"])
        assert item["reference"] == doc["text"]


def test_too_few_distractors_is_a_counted_skip():
    items, skipped = closed_book_items(DOCS[:1], PAIRS[:3], VECTORS[:3], source="heldout")
    assert items == [] and skipped == {"too_few_distractors": 1}


def test_meteor_and_heterogeneity():
    scores, _ = meteor_scores(["The Rhine ends in the North Sea.", "Bananas are yellow", ""],
                              ["The Rhine ends in the North Sea.", "The Rhine ends in the North Sea.", "x"])
    assert scores[0] > 0.99 and scores[1] == 0 and scores[2] == 0
    same = heterogeneity(np.ones((5, 3)))["mean_pairwise_cosine_distance"]
    spread = heterogeneity(np.eye(4))["mean_pairwise_cosine_distance"]
    assert same == 0 and spread == 1


def test_subject_items_mask_the_title_and_offer_neighbouring_titles():
    from synthcraft.methods.embgen.items import subject_items

    docs = [{"doc_id": f"d{i}", "title": t, "topic": 0, "text": "...", "heldout": h, "neighbours": n}
            for i, (t, h, n) in enumerate([
                ("Cali (Colombia)", "Cali is known for salsa.", ["d1", "d2", "d3", "d4"]),
                ("Bogota", "It is the capital.", ["d0", "d2", "d3"]),
                ("Medellin", "x", ["d0", "d1"]),            # too few neighbours
                ("Cartagena", "y", ["d0"]), ("Bogota", "z", ["d1"])])]
    items, skipped = subject_items(docs, source="heldout")
    first = items[0]
    assert first["source"] == "heldout" and first["id"] == "d0:subject:heldout"
    assert first["question"] == 'Which subject is this sentence about? "____ is known for salsa."'
    assert first["choices"][("ABCD").index(first["answer"])] == "Cali (Colombia)"
    assert sorted(first["choices"]) == sorted(["Cali (Colombia)", "Bogota", "Medellin", "Cartagena"])  # d4 repeats a title
    assert [i["doc_id"] for i in items] == ["d0", "d1"] and skipped == {"too_few_distractors": 3}
    seen, _ = subject_items(docs, source="seen")   # the training text's last sentence ("..." here)
    assert seen[0]["question"] == 'Which subject is this sentence about? "..."' and seen[0]["source"] == "seen"
