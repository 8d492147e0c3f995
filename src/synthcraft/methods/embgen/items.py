"""The evaluation, built from the held-out last sentence of each document -- text no arm ever
sees: the extractor, the one-document baseline and so every training example only get the rest.

Closed-book items (scored by log-probabilities, deterministic, CPU-friendly): an entity extracted
from the document's training text that also occurs, as a whole word, in its held-out sentence is
masked there ("____"); the options are that entity and the entities of the pairs nearest to its
pair (cosine), from other documents, that do not occur in the sentence. The student must have
learned what the corpus says about the entity to prefer it. Longest entity first when several
occur (the most specific name). The question does not name the document's title: the entity is
often the title itself. Documents without such an entity, or without enough distinct
distractors, are counted and skipped.

Subject items (the same kind of test for every document, extraction or not): "which subject is
this sentence about?" with the held-out sentence (the title masked where it occurs), the title
against the titles of the three corpus documents nearest in the store's embedding space. The
student must tie a fact it never saw to the document it learned about.

Open items: "what do you know about <title>?" with the held-out sentence as reference, answered
by each model and scored with lexical overlap (and the judge, when one is configured).
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from synthcraft.evaluation.items import LETTERS

BLANK = "____"
DISTRACTORS = 3   # the shared scorer takes four options


def _occurs(entity: str, sentence: str) -> re.Match | None:
    return re.search(rf"(?<!\w){re.escape(entity)}(?!\w)", sentence, flags=re.IGNORECASE)


def closed_book_items(docs: list[dict], pairs: list[dict], vectors: np.ndarray, seed: int = 0) -> tuple[list[dict], Counter]:
    """Items {id, doc_id, question, choices, answer, subject, entity} and the skip counts. ``docs``
    are {doc_id, title, heldout, topic}; ``pairs`` {pair_id, doc_id, entity} align with ``vectors``."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    rows_of: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        rows_of.setdefault(pair["doc_id"], []).append(row)
    rng = np.random.default_rng(seed)
    items, skipped = [], Counter()
    for doc in docs:
        sentence = doc["heldout"]
        present = [r for r in rows_of.get(doc["doc_id"], []) if _occurs(pairs[r]["entity"], sentence)]
        if not present:
            skipped["no_extracted_entity_in_heldout"] += 1
            continue
        row = max(present, key=lambda r: (len(pairs[r]["entity"]), -r))
        entity = pairs[row]["entity"]
        names, wrong = {entity.casefold()}, []
        for other in np.argsort(-(v @ v[row]), kind="stable"):
            name = pairs[other]["entity"]
            if (pairs[other]["doc_id"] != doc["doc_id"] and name.casefold() not in names
                    and not _occurs(name, sentence)):
                names.add(name.casefold())
                wrong.append(name)
                if len(wrong) == DISTRACTORS:
                    break
        if len(wrong) < DISTRACTORS:
            skipped["too_few_distractors"] += 1
            continue
        match = _occurs(entity, sentence)
        masked = sentence[: match.start()] + BLANK + sentence[match.end():]
        position = int(rng.integers(DISTRACTORS + 1))
        choices = wrong[:position] + [entity] + wrong[position:]
        items.append({"id": f"{doc['doc_id']}:{pairs[row]['pair_id']}", "doc_id": doc["doc_id"],
                      "question": f"Fill in the blank in this sentence: {masked}",
                      "choices": choices, "answer": LETTERS[position], "subject": f"topic-{doc['topic']}",
                      "entity": entity, "kind": "masked_entity"})
    return items, skipped


def _mask_title(title: str, sentence: str) -> str:
    short = re.sub(r"\s*\(.*\)$", "", title)        # "Cali (Colombia)" is written "Cali" in text
    for name in sorted({title, short}, key=len, reverse=True):
        sentence = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", BLANK, sentence, flags=re.IGNORECASE)
    return sentence


def subject_items(docs: list[dict], seed: int = 0) -> tuple[list[dict], Counter]:
    """Items {id, doc_id, question, choices, answer, subject, kind}; ``docs`` carry ``neighbours``
    (other documents' ids, nearest first)."""
    title_of = {d["doc_id"]: d["title"] for d in docs}
    rng = np.random.default_rng([seed, 1])
    items, skipped = [], Counter()
    for doc in docs:
        wrong, seen = [], {doc["title"].casefold()}
        for other in doc["neighbours"]:
            if title_of[other].casefold() not in seen:
                seen.add(title_of[other].casefold())
                wrong.append(title_of[other])
        if len(wrong) < DISTRACTORS:
            skipped["too_few_distractors"] += 1
            continue
        wrong, position = wrong[:DISTRACTORS], int(rng.integers(DISTRACTORS + 1))
        choices = wrong[:position] + [doc["title"]] + wrong[position:]
        items.append({"id": f"{doc['doc_id']}:subject", "doc_id": doc["doc_id"], "kind": "subject",
                      "question": f"Which subject is this sentence about? \"{_mask_title(doc['title'], doc['heldout'])}\"",
                      "choices": choices, "answer": LETTERS[position], "subject": f"topic-{doc['topic']}"})
    return items, skipped


def open_items(docs: list[dict]) -> list[dict]:
    return [{"id": doc["doc_id"], "prompt": f"What do you know about {doc['title']}? Answer in one or two sentences.",
             "reference": doc["heldout"], "subject": f"topic-{doc['topic']}"} for doc in docs]
