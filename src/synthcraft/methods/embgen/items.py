"""The evaluation: closed-book questions about facts the arms learn from, and the same questions
about text no arm sees, as a control.

Two sources of sentences, one kind of item each way (``source`` on every item):
- seen: a sentence of a document's training text -- what the extractor read, the one-document
  baseline rewrites, and EmbGen's pairs describe. Every arm is built from the same documents, so the
  question is whether an arm's data teaches these facts better. This is the test.
- heldout: the document's held-out last sentence, which no arm ever sees. A gain is impossible by
  construction; a difference here is noise or a change of style, so it should stay flat (a no-leak
  control for the test above).

Closed-book items (scored by log-probabilities, deterministic, CPU-friendly): an entity extracted
from the document's training text that also occurs, as a whole word, in the chosen sentence is
masked there ("____", every occurrence); the options are that entity and the entities of the pairs
nearest to its pair (cosine), from other documents, that do not occur in the sentence. Longest entity
first when several occur (the most specific name), then the earliest sentence. The question does not
name the document's title: the entity is often the title itself. Documents without such an entity,
or without enough distinct distractors, are counted and skipped.

Subject items: "which subject is this sentence about?" with the sentence (the last of the training
text, or the held-out one; the title masked where it occurs), the title against the titles of the
three corpus documents nearest in the store's embedding space.

Open items: "what do you know about <title>?", with the document's training text as the reference:
the facts an arm could have learned, so lexical overlap and the judge's factual accuracy and
completeness do not penalise a correct answer for not knowing the held-out sentence.
"""
from __future__ import annotations

import re
from collections import Counter

import numpy as np

from synthcraft.evaluation.items import LETTERS
from synthcraft.methods.embgen.corpus import sentences

BLANK = "____"
DISTRACTORS = 3   # the shared scorer takes four options
SOURCES = ("seen", "heldout")   # the test, and its no-leak control (module docstring)


def _whole_word(name: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", flags=re.IGNORECASE)


def _occurs(entity: str, sentence: str) -> re.Match | None:
    return _whole_word(entity).search(sentence)


def candidate_sentences(doc: dict, source: str) -> list[str]:
    """The sentences a ``source`` item may ask about: the training text's, or the held-out one."""
    if source not in SOURCES:
        raise ValueError(f"source {source!r} is not one of {SOURCES}")
    return sentences(doc["text"]) if source == "seen" else [doc["heldout"]]


def _mask(entity: str, sentence: str) -> str:
    return _whole_word(entity).sub(BLANK, sentence)


def closed_book_items(docs: list[dict], pairs: list[dict], vectors: np.ndarray, seed: int = 0,
                      source: str = "seen") -> tuple[list[dict], Counter]:
    """Items {id, doc_id, question, choices, answer, subject, entity, kind, source} and the skip
    counts. ``docs`` are {doc_id, title, text, heldout, topic}; ``pairs`` {pair_id, doc_id, entity}
    align with ``vectors``."""
    v = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    rows_of: dict[str, list[int]] = {}
    for row, pair in enumerate(pairs):
        rows_of.setdefault(pair["doc_id"], []).append(row)
    rng = np.random.default_rng([seed, SOURCES.index(source)])
    items, skipped = [], Counter()
    for doc in docs:
        present = [(len(pairs[r]["entity"]), -k, -r, sentence)
                   for k, sentence in enumerate(candidate_sentences(doc, source))
                   for r in rows_of.get(doc["doc_id"], []) if _occurs(pairs[r]["entity"], sentence)]
        if not present:
            skipped[f"no_extracted_entity_in_{source}"] += 1
            continue
        _, _, row, sentence = max(present)
        row = -row
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
        position = int(rng.integers(DISTRACTORS + 1))
        choices = wrong[:position] + [entity] + wrong[position:]
        items.append({"id": f"{doc['doc_id']}:{pairs[row]['pair_id']}:{source}", "doc_id": doc["doc_id"],
                      "question": f"Fill in the blank in this sentence: {_mask(entity, sentence)}",
                      "choices": choices, "answer": LETTERS[position], "subject": f"topic-{doc['topic']}",
                      "entity": entity, "kind": "masked_entity", "source": source})
    return items, skipped


def _mask_title(title: str, sentence: str) -> str:
    short = re.sub(r"\s*\(.*\)$", "", title)        # "Cali (Colombia)" is written "Cali" in text
    for name in sorted({title, short}, key=len, reverse=True):
        sentence = _mask(name, sentence)
    return sentence


def subject_items(docs: list[dict], seed: int = 0, source: str = "seen") -> tuple[list[dict], Counter]:
    """Items {id, doc_id, question, choices, answer, subject, kind, source}; ``docs`` carry
    ``neighbours`` (other documents' ids, nearest first). The sentence: the training text's last."""
    title_of = {d["doc_id"]: d["title"] for d in docs}
    rng = np.random.default_rng([seed, 1, SOURCES.index(source)])
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
        sentence = candidate_sentences(doc, source)[-1]
        items.append({"id": f"{doc['doc_id']}:subject:{source}", "doc_id": doc["doc_id"], "kind": "subject",
                      "question": f"Which subject is this sentence about? \"{_mask_title(doc['title'], sentence)}\"",
                      "choices": choices, "answer": LETTERS[position], "subject": f"topic-{doc['topic']}",
                      "source": source})
    return items, skipped


def open_items(docs: list[dict]) -> list[dict]:
    return [{"id": doc["doc_id"], "prompt": f"What do you know about {doc['title']}? Answer in one or two sentences.",
             "reference": doc["text"], "subject": f"topic-{doc['topic']}"} for doc in docs]
