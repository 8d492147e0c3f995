"""EmbGen's second corpus: SciQ's support passages, with SciQ's own questions as the closed-book test.

The Wikipedia corpus (corpus.py, items.py) builds its questions by machine from the documents'
sentences. Here people wrote them: each SciQ item is a question, four options and the passage its
answer comes from. The chosen passages are EmbGen's documents (every arm learns from them); their
items' questions are the test ("seen": facts in the corpus, questions never shown to any arm); the
questions of other SciQ items, whose passages no arm sees, are the no-leak control ("heldout",
expected flat).

Passages are drawn across topic clusters as corpus.py draws Wikipedia documents (KMeans over the
passages' MiniLM vectors, ``topics`` clusters, ``docs_per_topic`` passages each), so
``embgen_sciq.topics`` is the same heterogeneity knob. A passage is the whole support text: there is
no held-out sentence, the held-out questions play that part.

Open items ask each seen question with no options; the reference is the passage it was written
from, the text whose facts the arms learn.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcraft.evaluation.items import mcqa_item
from synthcraft.methods.embgen.corpus import EmbgenCorpusParams, choose_documents, heterogeneity, sentences
from synthcraft.params import at_least

KIND = "sciq_question"   # the items' ``kind``: one kind, two sources (items.SOURCES)


@dataclass
class EmbgenSciqParams:
    """The ``embgen_sciq:`` section."""
    path: str = "data/eval/sciq/test.jsonl"   # SciQ items with a ``support`` passage (the shipped copy)
    topics: int = 8             # passage clusters drawn (1 = a single-topic corpus)
    docs_per_topic: int = 20    # passages per drawn cluster: topics x docs_per_topic documents
    clusters: int = 20          # KMeans clusters over all eligible passages
    min_sentences: int = 2      # shorter passages hold too few facts to write pairs from
    heldout_items: int = 160    # questions about passages no arm sees: the no-leak control
    seed: int = 0

    def __post_init__(self):
        at_least(1, topics=self.topics, docs_per_topic=self.docs_per_topic, min_sentences=self.min_sentences)
        at_least(0, heldout_items=self.heldout_items)
        if self.topics > self.clusters:
            raise ValueError(f"embgen_sciq.topics={self.topics} must be at most clusters={self.clusters}")

    def as_corpus_params(self) -> EmbgenCorpusParams:
        """corpus.choose_documents' view of these keys (its ``store_clusters`` are our ``clusters``;
        eligibility is passed to it, so its own ``min_sentences`` is not read)."""
        return EmbgenCorpusParams(topics=self.topics, docs_per_topic=self.docs_per_topic,
                                  store_clusters=self.clusters, seed=self.seed)


def load_items(path: str) -> list[dict]:
    """SciQ rows as {id, question, choices, answer, support}; a row without a valid multiple-choice
    layout fails naming the file and line (``mcqa_item``)."""
    from synthcraft import assets
    from synthcraft.files import read_jsonl

    items = []
    for line, row in enumerate(read_jsonl(assets.resolve(path)), start=1):
        item = mcqa_item(row, path, line)
        if "id" not in row:
            raise ValueError(f"{path}:{line}: missing 'id'. Fix: give each row a unique id")
        items.append({"id": str(row["id"]), **{k: item[k] for k in ("question", "choices", "answer")},
                      "support": (row.get("support") or "").strip()})
    return items


def passages(items: list[dict]) -> list[int]:
    """Indices of the items that have a support passage: the rows to embed, in order."""
    return [k for k, item in enumerate(items) if item["support"]]


def choose(items: list[dict], vectors: np.ndarray, p: EmbgenSciqParams) -> tuple[list[dict], list[dict], dict]:
    """(documents, closed-book items, counts). ``vectors`` hold one row per passage, in the order of
    ``passages(items)``."""
    with_passage = passages(items)
    if len(vectors) != len(with_passage):
        raise ValueError(f"{len(vectors)} passage vectors for {len(with_passage)} passages")
    ok = np.array([len(sentences(items[k]["support"])) >= p.min_sentences for k in with_passage], dtype=bool)
    chosen, topics = choose_documents(vectors, ok, p.as_corpus_params())
    rows = [with_passage[c] for c in chosen]
    docs = [{"doc_id": items[r]["id"], "topic": topic, "text": items[r]["support"]} for r, topic in zip(rows, topics)]
    rest = sorted(set(range(len(items))) - set(rows))
    if p.heldout_items > len(rest):
        raise ValueError(f"embgen_sciq.heldout_items={p.heldout_items} but {p.path} has {len(rest)} items left "
                         f"after the {len(rows)} documents. Fix: lower embgen_sciq.heldout_items or docs_per_topic")
    rng = np.random.default_rng([p.seed, 1])
    heldout = sorted(rng.choice(rest, size=p.heldout_items, replace=False).tolist()) if p.heldout_items else []
    closed = [closed_item(items[r], "seen", f"topic-{topic}") for r, topic in zip(rows, topics)]
    closed += [closed_item(items[r], "heldout", "unseen") for r in heldout]
    counts = {"items_in_file": len(items), "with_passage": len(with_passage), "eligible": int(ok.sum()),
              "documents": len(docs), "heldout_items": len(heldout), "heterogeneity": heterogeneity(vectors[chosen])}
    return docs, closed, counts


def closed_item(item: dict, source: str, subject: str) -> dict:
    return {"id": f"{item['id']}:{source}", "doc_id": item["id"], "question": item["question"],
            "choices": item["choices"], "answer": item["answer"], "subject": subject, "kind": KIND, "source": source}


def open_items(items: list[dict], docs: list[dict]) -> list[dict]:
    """Each document's question with no options; its passage is the reference."""
    question_of = {i["id"]: i["question"] for i in items}
    return [{"id": d["doc_id"], "prompt": f"{question_of[d['doc_id']]} Answer in one or two sentences.",
             "reference": d["text"], "subject": f"topic-{d['topic']}"} for d in docs]
