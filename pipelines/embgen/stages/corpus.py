"""embgen_corpus: the documents EmbGen works on, drawn across topic clusters of the shared store, each
split into training text and a held-out last sentence; the corpus's heterogeneity.

    dvc repro pipelines/embgen/dvc.yaml:embgen_corpus
    dvc exp run -S embgen_corpus.topics=1 pipelines/embgen/dvc.yaml     # a single-topic corpus

Writes data/embgen/corpus.jsonl {doc_id, title, topic, text (training part), heldout, neighbours
(the nearest other chosen documents by the store's embeddings)}.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.corpus import read_corpus
from synthcraft.files import write_jsonl
from synthcraft.methods.embgen.corpus import EmbgenCorpusParams, choose_documents, heterogeneity, sentences, split_document
from synthcraft.methods.embgen.structure import proximity_graph
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.store import EmbeddingStore

NEIGHBOURS = 6   # kept per document: enough for three distinct distractor titles


@dataclass
class Paths:
    corpus: Path = Path("data/corpus")
    store: Path = Path("data/store")
    out: Path = Path("data/embgen/corpus.jsonl")
    metrics: Path = Path("metrics/embgen/corpus.json")


def run(params, paths: Paths) -> dict:
    p = params.embgen_corpus
    table = read_corpus(paths.corpus, columns=["doc_id", "text", "title"]).to_pylist()
    by_id = {row["doc_id"]: row for row in table}
    with EmbeddingStore(paths.store) as store:
        ids = [str(i) for i in store.doc_ids]
        vectors = store.take(list(range(len(ids)))).astype(np.float32)
    eligible = np.array([len(sentences(by_id[i]["text"])) >= p.min_sentences if i in by_id else False for i in ids])
    rows, topics = choose_documents(vectors, eligible, p)
    # Each document's nearest other chosen documents (the subject items' distractors).
    neighbours = proximity_graph(vectors[rows], min(NEIGHBOURS, len(rows) - 1))
    docs = []
    for k, (row, topic) in enumerate(zip(rows, topics)):
        doc = by_id[ids[row]]
        text, heldout = split_document(doc["text"])
        docs.append({"doc_id": doc["doc_id"], "title": doc.get("title") or doc["doc_id"], "topic": topic,
                     "text": text, "heldout": heldout,
                     "neighbours": [ids[rows[j]] for j in neighbours[k]]})
    write_jsonl(paths.out, docs)
    stats = {"documents": len(docs), "topics": p.topics, "docs_per_topic": p.docs_per_topic,
             "eligible_in_store": int(eligible.sum()), "store_documents": len(ids),
             "heterogeneity": heterogeneity(vectors[rows]),
             "training_words": sum(len(d["text"].split()) for d in docs),
             "heldout_words": sum(len(d["heldout"].split()) for d in docs)}
    write_metrics(paths.metrics, stats)
    logging.info("corpus: %d documents from %d topics, heterogeneity %s", len(docs), p.topics, stats["heterogeneity"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embgen_corpus=EmbgenCorpusParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
