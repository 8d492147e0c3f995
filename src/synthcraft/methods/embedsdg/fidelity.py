"""Decode fidelity, the identity control of eq. 6: what a seed's own matrix decodes back to.

Interpolating a seed with itself (eq. 4 with t1 = t2) gives the seed's matrix, so decoding it must
give the seed back before an interpolation's decoding can mean anything. The stage
(pipelines/embedsdg/stages/fidelity.py) runs it under each weighting, prompt form and ``join``:

- ``as_embedded``: the seed's tokens as the embedding step makes them -- the copy prompt's prefix
  ends in a lone space token and the seed is tokenized without a leading space;
- ``running_text``: the space belongs to the seed's first token, as when the same text is read
  inside a sentence (the tokenizer's usual split of "Input: What ...").
"""
from __future__ import annotations

from dataclasses import dataclass

JOINS = ("as_embedded", "running_text")


@dataclass
class FidelityParams:
    """The ``embedsdg_fidelity:`` section."""
    samples: int = 24      # seeds decoded under every setting
    seed: int = 0          # which pool items (never P_d's copy examples)

    def __post_init__(self):
        if self.samples < 1:
            raise ValueError(f"embedsdg_fidelity.samples={self.samples}: give at least 1")


def joined(prefix: list[int], texts: list[str], tokenizer, join: str) -> tuple[list[int], list[str]]:
    """The prompt's ids before the seed, and the seed texts as the embedding step should read them."""
    if join == "as_embedded":
        return prefix, texts
    if join != "running_text":
        raise ValueError(f"join {join!r}: one of {JOINS}")
    if prefix and tokenizer.decode(prefix[-1:]) == " ":   # the lone space moves onto the seed's first token
        prefix = prefix[:-1]
    return prefix, [" " + t for t in texts]


def recovery(decoded: list[str], seeds: list[str]) -> dict:
    """How much of the seeds came back: the share decoded exactly, corpus BLEU and chrF (sacreBLEU)."""
    import sacrebleu

    return {"exact": round(sum(d == s for d, s in zip(decoded, seeds)) / len(seeds), 4),
            "bleu": round(sacrebleu.corpus_bleu(decoded, [seeds]).score, 2),
            "chrf": round(sacrebleu.corpus_chrf(decoded, [seeds]).score, 2)}
