"""retrieve: find the corpus documents closest to the task's few-shots (CRAFT section 3.4, B.4).

    dvc repro retrieve
    dvc exp run -S retrieve.strategy=mean -S retrieve.k=800

Writes data/retrieved/<task>.parquet (doc_id, text, score, query, rank) and metrics/retrieve.json
(score distribution, diversity as mean pairwise cosine, per-query counts, source mix).
"""
import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from synthcraft.corpus import read_corpus
from synthcraft.embedders import Encoder, fingerprint
from synthcraft.fewshots import embedding_text, load_fewshots
from synthcraft.params import TaskParams, choice, load_section
from synthcraft.tasks import get_task_type
from synthcraft.reports import setup_logging, write_json
from synthcraft.retrieval import STRATEGIES, retrieval_report, retrieve
from synthcraft.store import EmbeddingStore, StoreError


@dataclass
class RetrieveParams:
    model: Optional[str] = None
    strategy: str = "mixed"
    k: int = 400
    oversample: float = 0.2
    chunk_rows: int = 65536

    def __post_init__(self):
        choice(self.strategy, STRATEGIES, "strategy")
        if self.k < 1 or self.oversample < 0:
            raise ValueError("need k >= 1 and oversample >= 0")


def check_model(store: EmbeddingStore, requested: Optional[str]) -> str:
    """The model to embed queries with: the store's own, refusing anything else."""
    spec = requested or store.info.model
    if fingerprint(spec) != store.info.fingerprint:
        raise StoreError(
            f"{store.path} was built with model {store.info.model!r} (fingerprint {store.info.fingerprint}), "
            f"but retrieve would embed the few-shots with {spec!r} (fingerprint {fingerprint(spec)}). "
            f"Fix: set retrieve.model to null, or re-run `dvc repro embed` with embed.model={spec!r}"
        )
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="data/corpus")
    parser.add_argument("--store", default="data/store")
    parser.add_argument("--fewshots", default="data/fewshots")
    parser.add_argument("--out", default="data/retrieved")
    parser.add_argument("--metrics", default="metrics/retrieve.json")
    args = parser.parse_args()
    setup_logging()
    params = load_section("retrieve", RetrieveParams)
    task = load_section("task", TaskParams)
    task_type = get_task_type(task.type)

    shots = load_fewshots(Path(args.fewshots) / f"{task.name}.jsonl", task_type)
    with EmbeddingStore(args.store) as store:
        encoder = Encoder(check_model(store, params.model), precision="float32")
        if encoder.dim != store.info.dim:
            raise StoreError(f"{store.path}: dimension {store.info.dim}, model gives {encoder.dim}")
        vectors = encoder([embedding_text(s, task_type) for s in shots])
        hits = retrieve(store, [s["id"] for s in shots], vectors, strategy=params.strategy, k=params.k,
                        oversample=params.oversample, chunk_rows=params.chunk_rows)
        ids = store.doc_ids[[h.row for h in hits]]
        report = retrieval_report(store, hits, requested=params.k)

    corpus = read_corpus(args.corpus, columns=["doc_id", "text", "source"])
    corpus = corpus.filter(pc.is_in(corpus["doc_id"], pa.array(ids)))
    lookup = {d: (t, s) for d, t, s in zip(*(corpus[c].to_pylist() for c in ("doc_id", "text", "source")))}
    missing = [d for d in ids if d not in lookup]
    if missing:
        raise StoreError(f"{args.store} holds {len(missing)} doc ids not in {args.corpus}. Fix: re-run `dvc repro embed`")
    table = pa.table({
        "doc_id": list(ids), "text": [lookup[d][0] for d in ids], "score": [h.score for h in hits],
        "query": [h.query for h in hits], "rank": [h.rank for h in hits], "source": [lookup[d][1] for d in ids],
    })
    out = Path(args.out) / f"{task.name}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    report["sources"] = {v["values"]: v["counts"] for v in pc.value_counts(table["source"]).to_pylist()}
    write_json(args.metrics, {"task": task.name, "strategy": params.strategy, **report})
    logging.info("retrieved %d documents for %s (%s); mean score %.3f, mean pairwise cosine %.3f",
                 len(hits), task.name, params.strategy, report["score"]["mean"], report["mean_pairwise_cosine"])


if __name__ == "__main__":
    main()
