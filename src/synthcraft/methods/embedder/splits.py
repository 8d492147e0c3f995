"""Held-out documents: a fixed share of the corpus, by doc-id hash, that evaluation may use and
training material must not (the embedder method's retrieval task is built from it)."""
from __future__ import annotations


def is_heldout(doc_id: str, share: float) -> bool:
    """True for about ``share`` of all doc ids; the same ids whatever else is in the corpus."""
    return int(doc_id[:8], 16) / 0x100000000 < share
