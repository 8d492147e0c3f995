"""embgen_structure: UMAP + clusters + proximity graph over the pairs, and each cluster's system prompt.

    dvc repro pipelines/embgen/dvc.yaml:embgen_structure
    dvc exp run -S embgen_structure.algorithm=hdbscan -S embgen_structure.min_cluster_size=6 pipelines/embgen/dvc.yaml

Writes data/embgen/structure.json: per pair (store order of pairs.jsonl) its cluster and nearest
neighbours; per cluster its c-TF-IDF keywords, typical entities and system prompt. Metrics: cluster
sizes, noise share, silhouette; metrics/embgen/map.csv is a 2-D UMAP map of the pairs by cluster.
"""
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthcraft.files import atomic_write_text, read_jsonl
from synthcraft.methods.embgen.corpus import heterogeneity
from synthcraft.methods.embgen.keywords import ctfidf_keywords, typical_entities
from synthcraft.methods.embgen.prompts import ClusterProfile, system_prompt
from synthcraft.methods.embgen.structure import (EmbgenStructureParams, NOISE, cluster, cluster_stats, pair_vectors,
                                                 proximity_graph, reduce)
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics

KEYWORDS, ENTITIES = 6, 4   # shown per cluster in its system prompt


@dataclass
class Paths:
    pairs: Path = Path("data/embgen/pairs.jsonl")
    store: Path = Path("data/embgen/store")
    out: Path = Path("data/embgen/structure.json")
    metrics: Path = Path("metrics/embgen/structure.json")
    map: Path = Path("metrics/embgen/map.csv")


def run(params, paths: Paths) -> dict:
    p = params.embgen_structure
    pairs = read_jsonl(paths.pairs)
    vectors = pair_vectors(paths.store, [pair["pair_id"] for pair in pairs])
    try:
        low = reduce(vectors, p)
        labels = cluster(low, p)
        neighbours = proximity_graph(vectors, p.neighbours)
    except ValueError as err:
        raise SystemExit(f"embgen_structure: {err}") from None
    texts = {int(c): [f"{pairs[i]['entity']} {pairs[i]['description']}" for i in np.flatnonzero(labels == c)]
             for c in sorted(set(labels.tolist()) - {NOISE})}
    keywords = ctfidf_keywords(texts, KEYWORDS)
    entities = typical_entities(vectors, labels, [pair["entity"] for pair in pairs], ENTITIES)
    clusters = {c: {"keywords": keywords[c], "entities": entities[c],
                    "system_prompt": system_prompt([ClusterProfile(keywords[c], entities[c])])} for c in texts}
    atomic_write_text(paths.out, json.dumps({
        "pair_ids": [pair["pair_id"] for pair in pairs], "labels": labels.tolist(),
        "neighbours": neighbours.tolist(), "clusters": {str(c): v for c, v in clusters.items()}}, ensure_ascii=False))

    flat = reduce(vectors, p, components=2)
    atomic_write_text(paths.map, "x,y,cluster,topic\n" + "".join(
        f"{x:.4f},{y:.4f},{'noise' if c == NOISE else c},{pair['topic']}\n"
        for (x, y), c, pair in zip(flat.tolist(), labels.tolist(), pairs)))
    same_doc = np.mean([[pairs[j]["doc_id"] == pairs[i]["doc_id"] for j in row] for i, row in enumerate(neighbours)])
    stats = {"pairs": len(pairs), "algorithm": p.algorithm, **cluster_stats(low, labels),
             "neighbours": p.neighbours, "neighbours_from_same_document": round(float(same_doc), 4),
             "pair_heterogeneity": heterogeneity(vectors)}
    write_metrics(paths.metrics, stats)
    logging.info("structure: %d clusters, noise %d, silhouette %s", stats["clusters"], stats["noise"],
                 stats["silhouette"])
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embgen_structure=EmbgenStructureParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
