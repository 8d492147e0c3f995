"""embgen_items: the evaluation sets (see methods/embgen/items.py).

    dvc repro pipelines/embgen/dvc.yaml:embgen_items

data/embgen/eval/closed_book.jsonl: masked-entity items (the true entity against the entities of
its nearest pairs from other documents) and subject items (the document's title against its
nearest documents' titles), four options each, scored by log-probability; each twice, from a
sentence of the training text (source "seen": the test) and from the held-out sentence (source
"heldout": the no-leak control).
data/embgen/eval/open.jsonl: "what do you know about <title>?" with the training text as reference.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embgen.items import SOURCES, closed_book_items, open_items, subject_items
from synthcraft.methods.embgen.structure import pair_vectors
from synthcraft.runtime import setup_logging
from synthcraft.stage import parse_paths, write_metrics


@dataclass
class Paths:
    corpus: Path = Path("data/embgen/corpus.jsonl")
    pairs: Path = Path("data/embgen/pairs.jsonl")
    store: Path = Path("data/embgen/store")
    out: Path = Path("data/embgen/eval")
    metrics: Path = Path("metrics/embgen/items.json")


def run(params, paths: Paths) -> dict:
    docs, pairs = read_jsonl(paths.corpus), read_jsonl(paths.pairs)
    vectors = pair_vectors(paths.store, [p["pair_id"] for p in pairs])
    closed, stats = [], {}
    for source in SOURCES:
        masked, skipped = closed_book_items(docs, pairs, vectors, source=source)
        subjects, subject_skipped = subject_items(docs, source=source)
        closed += masked + subjects
        stats[source] = {"masked_entity": len(masked), "subject": len(subjects),
                         "masked_entity_skipped": dict(sorted(skipped.items())),
                         "subject_skipped": dict(sorted(subject_skipped.items()))}
    if not any(item["source"] == "seen" for item in closed):
        raise SystemExit(f"embgen_items: no closed-book item could be built ({stats['seen']}). Fix: more documents "
                         "(embgen_corpus.docs_per_topic) or more pairs per document (embgen_extract.max_pairs)")
    opened = open_items(docs)
    write_jsonl(paths.out / "closed_book.jsonl", closed)
    write_jsonl(paths.out / "open.jsonl", opened)
    stats = {"closed_book": len(closed), **stats, "open": len(opened),
             "answer_letters": {letter: sum(i["answer"] == letter for i in closed) for letter in "ABCD"}}
    write_metrics(paths.metrics, stats)
    logging.info("items: %s, %d open", {source: {k: stats[source][k] for k in ("masked_entity", "subject")}
                                        for source in SOURCES}, len(opened))
    return stats


def main() -> None:
    setup_logging()
    run(None, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
