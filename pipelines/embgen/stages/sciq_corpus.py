"""embgen_sciq_corpus: EmbGen's second corpus -- SciQ support passages as the documents, SciQ's
human-written questions as the closed-book test (synthcraft/methods/embgen/sciq.py).

    dvc repro pipelines/embgen/sciq/dvc.yaml:embgen_sciq_corpus
    dvc exp run -S embgen_sciq.topics=1 pipelines/embgen/sciq/dvc.yaml     # a single-topic corpus

Writes the documents (data/embgen_sciq/corpus.jsonl {doc_id, topic, text}, what embgen_extract
reads) and the evaluation items in embgen_evaluate's layout: eval/closed_book.jsonl (each document's
question, source "seen"; questions about passages no arm sees, source "heldout") and eval/open.jsonl
(each seen question without options, its passage as the reference).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.embedders import EmbedParams, Encoder
from synthcraft.files import write_jsonl
from synthcraft.methods.embgen.sciq import EmbgenSciqParams, choose, load_items, open_items, passages
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    out: Path = Path("data/embgen_sciq/corpus.jsonl")
    items: Path = Path("data/embgen_sciq/eval")
    metrics: Path = Path("metrics/embgen_sciq/corpus.json")


def run(params, paths: Paths) -> dict:
    p, e = params.embgen_sciq, params.embed
    items = load_items(p.path)
    rows = passages(items)
    # float32, never bf16: only the choice of passages depends on these vectors, and it should not
    # change with the CPU's kernels.
    vectors = Encoder(e.model, "float32", e.batch_size, e.min_cosine, e.device)([items[k]["support"] for k in rows])
    try:
        docs, closed, counts = choose(items, vectors, p)
    except ValueError as err:
        raise SystemExit(f"embgen_sciq_corpus: {err}") from None
    opened = open_items(items, docs)
    write_jsonl(paths.out, docs)
    write_jsonl(paths.items / "closed_book.jsonl", closed)
    write_jsonl(paths.items / "open.jsonl", opened)
    stats = {"path": p.path, **counts, "topics": p.topics, "docs_per_topic": p.docs_per_topic,
             "training_words": sum(len(d["text"].split()) for d in docs),
             "closed_book": {"seen": counts["documents"], "heldout": counts["heldout_items"]}, "open": len(opened),
             "answer_letters": {letter: sum(i["answer"] == letter for i in closed) for letter in "ABCD"}}
    write_metrics(paths.metrics, stats)
    logging.info("sciq corpus: %d passages from %d topics (%d eligible), %d held-out questions",
                 len(docs), p.topics, counts["eligible"], counts["heldout_items"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embgen_sciq=EmbgenSciqParams, embed=EmbedParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
