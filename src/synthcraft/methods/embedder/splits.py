"""Held-out documents: a fixed share of the corpus, by doc-id hash, that evaluation may use and
training material must not (the embedder method's retrieval task is built from it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SplitParams:
    """The ``embedder_split:`` section. Its own section because the generating stages, the miner and
    the task builder all read it: a change to a task's size must not re-run the teacher."""
    heldout_share: float = 0.1          # corpus documents kept out of all training material

    def __post_init__(self):
        if not 0 < self.heldout_share < 1:
            raise ValueError(f"heldout_share={self.heldout_share} must be in (0, 1)")


def is_heldout(doc_id: str, share: float) -> bool:
    """True for about ``share`` of all doc ids; the same ids whatever else is in the corpus."""
    return int(doc_id[:8], 16) / 0x100000000 < share
