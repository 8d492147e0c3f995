"""Which corpus documents a CRAFT-template arm rewrites: the ones retrieved near the few-shots
(``retrieve.method: craft``) or a uniform draw (``random``, the control), with their text.

Shared by the CRAFT pipeline's retrieve stage and the study's generative arms, so both select the
same way from the same store."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from synthcraft.corpus import read_corpus
from synthcraft.embedders import Encoder
from synthcraft.methods import random as random_method
from synthcraft.methods.craft.retrieval import RetrieveParams, embedding_text, retrieval_report, retrieve
from synthcraft.sharding import check_model, open_store
from synthcraft.store import StoreError
from synthcraft.tasks.base import TaskType


def select_documents(store_dir: Path, corpus_dir: Path, shots: list[dict], task: TaskType,
                     p: RetrieveParams) -> tuple[pa.Table, dict]:
    """(doc_id, text, score, query, rank, source) per selected document in selection order, and the
    retrieval report (score distribution, diversity, per-query counts, sources)."""
    with open_store(store_dir) as store:
        encoder = Encoder(check_model(store, p.model, "retrieve.model"), precision="float32")
        if encoder.dim != store.info.dim:
            raise StoreError(f"{store.path}: dimension {store.info.dim}, model gives {encoder.dim}")
        vectors = encoder([embedding_text(s, task) for s in shots])
        if p.method == "random":
            hits = random_method.draw(store, vectors, p.k, p.seed)
        else:
            hits = retrieve(store, [s["id"] for s in shots], vectors, strategy=p.strategy, k=p.k,
                            oversample=p.oversample, chunk_rows=p.chunk_rows)
        ids = store.doc_ids[[h.row for h in hits]]
        report = retrieval_report(store, hits, requested=p.k)

    corpus = read_corpus(corpus_dir, columns=["doc_id", "text", "source"])
    corpus = corpus.filter(pc.is_in(corpus["doc_id"], pa.array(ids)))
    lookup = {d: (t, s) for d, t, s in zip(*(corpus[c].to_pylist() for c in ("doc_id", "text", "source")))}
    missing = [d for d in ids if d not in lookup]
    if missing:
        raise StoreError(f"{store_dir} holds {len(missing)} doc ids not in {corpus_dir}. Fix: re-run `dvc repro embed`")
    table = pa.table({
        "doc_id": list(ids), "text": [lookup[d][0] for d in ids], "score": [h.score for h in hits],
        "query": [h.query for h in hits], "rank": [h.rank for h in hits], "source": [lookup[d][1] for d in ids],
    })
    report["sources"] = {v["values"]: v["counts"] for v in pc.value_counts(table["source"]).to_pylist()}
    return table, report
