"""Hard negatives from the corpus: the query's exact top-k in the HDF5 store, minus the positive.

The repository behind the paper mines each query's top 10 with an embedder. Here candidates are
ranked by the store's own model; the positive's document, held-out documents and candidates too
close to the positive (cosine >= ``max_similarity``: likely unlabelled positives, the false-negative
guard) are removed first, and the negative is drawn (seeded) from ranks ``ranks[0]..ranks[1]`` of
what remains: the very top ranks are the likeliest false negatives.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from synthcraft.methods.embedder.categories import first_sentence, normalized, sides
from synthcraft.sharding import topk
from synthcraft.methods.embedder.splits import is_heldout


@dataclass
class MineParams:
    """The ``embedder_mine:`` section."""
    enabled: bool = True
    ranks: list[int] = field(default_factory=lambda: [3, 10])   # 1-based, inclusive
    consistency_rank: Optional[int] = 50   # grounded: drop an instance whose own document is not in its query's top N
    max_similarity: float = 0.95    # false-negative guard: cosine(candidate, positive) at or above this is skipped
    chunk_rows: int = 65536
    seed: int = 0

    def __post_init__(self):
        if len(self.ranks) != 2 or not 1 <= self.ranks[0] <= self.ranks[1]:
            raise ValueError(f"ranks={self.ranks} must be [first, last] with 1 <= first <= last")
        if not 0 < self.max_similarity <= 1:
            raise ValueError(f"max_similarity={self.max_similarity} must be in (0, 1]")


def mineable(instance: dict) -> bool:
    """Corpus-shaped documents get mined negatives (whole documents, or first sentences for
    short-short); the short targets of long-short (labels, titles) keep the teacher's negative."""
    return instance["category"] != "long-short"


def mine_negatives(instances: list[dict], store, encoder, texts: dict[str, str], p: MineParams,
                   heldout_share: float, keep_inconsistent: bool = False) -> tuple[list[dict], dict]:
    """Instances with ``negative`` (and ``negative_source``: mined | generated) set; (rows, stats).

    ``texts`` maps doc id -> text for every row of the store; ``encoder`` must be the store's
    model. An instance with no usable candidate keeps its generated negative or, lacking one, is
    dropped (counted as ``no_negative``). An instance the consistency filter rejects is dropped
    (counted as ``inconsistent``) or, with ``keep_inconsistent``, mined and kept with
    ``consistent: false`` (the filter's ablation trains on every row).
    """
    targets = [i for i, row in enumerate(instances) if mineable(row)]
    stats = Counter(mined=0, kept_generated=0, no_negative=0, inconsistent=0, guard_hits=0, positive_found=0,
                    heldout_skipped=0)
    margins = []
    chosen: dict[int, tuple[str, float]] = {}
    dropped: set[int] = set()
    if targets and p.enabled:
        queries = encoder([instances[i]["query"] for i in targets])
        positives = encoder([instances[i]["positive"] for i in targets])
        first, last = p.ranks
        depth = max(last + 30, p.consistency_rank or 0)  # room for what the exclusions remove
        scores, rows = topk(store, queries, depth, p.chunk_rows, progress=False)
        for j, index in enumerate(targets):
            row = instances[index]
            rank, window = 0, []
            candidates = store.take(rows[j])
            similarity_to_positive = candidates @ positives[j]
            if p.consistency_rank and row.get("doc_id") is not None:
                top = [store.doc_ids[r] for r in rows[j][: p.consistency_rank]]
                if row["doc_id"] not in top:
                    dropped.add(index)
                    if not keep_inconsistent:
                        continue
            for position, store_row in enumerate(rows[j]):
                doc_id = store.doc_ids[store_row]
                view = texts[doc_id] if sides(row["category"])[1] == "long" else first_sentence(texts[doc_id])
                if doc_id == row.get("doc_id") or normalized(view) == normalized(row["positive"]):
                    stats["positive_found"] += 1
                    continue
                if is_heldout(doc_id, heldout_share):
                    stats["heldout_skipped"] += 1
                    continue
                if similarity_to_positive[position] >= p.max_similarity:
                    stats["guard_hits"] += 1
                    continue
                rank += 1
                if first <= rank <= last:
                    window.append((view, float(scores[j][position])))
                if rank >= last:
                    break
            if window:
                view, score = random.Random(f"{p.seed}:{row['id']}").choice(window)
                chosen[index] = (view, score)
                margins.append(float(queries[j] @ positives[j]) - score)
    out = []
    for index, row in enumerate(instances):
        if index in dropped:
            stats["inconsistent"] += 1
            if not keep_inconsistent:
                continue
            row = {**row, "consistent": False}
        if index in chosen:
            out.append({**row, "negative": chosen[index][0], "negative_source": "mined"})
            stats["mined"] += 1
        elif row.get("negative"):
            out.append({**row, "negative_source": "generated"})
            stats["kept_generated"] += 1
        else:
            stats["no_negative"] += 1
    report = dict(stats)
    report["instances"] = len(instances)
    if margins:
        m = np.asarray(margins)
        report["margin"] = {"mean": round(float(m.mean()), 4), "p10": round(float(np.quantile(m, 0.1)), 4),
                            "p50": round(float(np.median(m)), 4), "negative_share": round(float((m < 0).mean()), 4)}
    return out, report
