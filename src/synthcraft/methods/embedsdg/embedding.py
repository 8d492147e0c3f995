"""The student's view of an example (paper section 3.2 and 3.5).

For a text of m tokens the student's input-embedding layer gives an (m x N) matrix E; a weight per
token says how much each token matters. With weights w summing to one, the example's N-vector is
the weighted sum of its token embeddings (eq. 2) -- a weighted mean, so length does not move it --
and two examples interpolate to the midpoint of their N-vectors (eq. 4-5 with those weights).
The decoder is fed the same weighted tokens at the scale of real embeddings: E * (m w), weights
with mean 1, zero-padded to the longer seed and averaged (eq. 4). With uniform weights those rows
are exactly the token embeddings, so decoding an unchanged text reproduces it
(tests/test_embedsdg_decoding.py). The paper leaves w unspecified; ``embedsdg_embed.weights`` chooses:

    attention  (default) the attention each token receives in layer ``embedsdg_embed.layer``, averaged
               over heads and summed over the queries that see it. The first token is set to 0: in
               causal models it is an "attention sink" that takes most of every query's attention
               whatever it says (8.7 of 14 on a SmolLM2 sample), which would make every N-vector
               mostly the first token's embedding. The student's own notion of what matters -- the
               paper's reason for embedding with the student.
    uniform    every token weighs the same: the mean of the token embeddings, context-blind.

(Summing with mean-1 weights instead, as eq. 2 could also be read, makes the first principal
axis mostly text length: r = 0.87 on MMLU with SmolLM2.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from synthcraft.params import choice

WEIGHTS = ("attention", "uniform")


@dataclass
class EmbedParams:
    """The ``embedsdg_embed:`` section: how examples become points (eq. 2-3)."""
    weights: str = "attention"    # attention | uniform (see the module docstring)
    layer: int = field(default=-1, metadata={"signed": True})  # attention weights from this layer (-1: the last)
    dim_red: str = "pca"          # pca | svd | tsne: N -> K (PCA is linear: eq. 5's midpoint holds exactly)
    k: int = 2                    # K, the reduced dimension: 2 or 3
    max_tokens: int = 256         # longer examples are cut here (counted)
    batch_size: int = 16
    perplexity: float = 30.0      # t-SNE only
    seed: int = 0

    def __post_init__(self):
        choice(self.weights, WEIGHTS, "embedsdg_embed.weights")
        choice(self.dim_red, ("pca", "svd", "tsne"), "embedsdg_embed.dim_red")
        if self.k not in (2, 3):
            raise ValueError(f"embedsdg_embed.k = {self.k}: the grid and the opposite-side pairs are defined for "
                             "K = 2 or 3 (paper section 3.2). Fix: set embedsdg_embed.k to 2 or 3")


def load_student(path: str):
    """The student with eager attention (the fused kernels do not return attention weights)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    return model.eval(), tokenizer


def token_weights(attention: torch.Tensor | None, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """[batch, tokens] weights, mean 1 over each row's real tokens (right padding, ``mask`` 1/0).

    ``attention`` is one layer's [batch, heads, queries, keys] (unused for ``uniform``)."""
    mask = mask.to(torch.float32)
    if kind == "uniform":
        return mask.clone()
    received = (attention.mean(1) * mask[:, :, None]).sum(1) * mask   # attention each key receives
    received[:, 0] = 0.0                                              # the attention sink (see above)
    real = mask.sum(1, keepdim=True)
    total = received.sum(1, keepdim=True)
    # A one-token text has only the sink: fall back to uniform for it.
    return torch.where(total > 0, received * real / total.clamp_min(1e-12), mask)


@torch.inference_mode()
def weighted_matrices(model, tokenizer, texts: list[str], params: EmbedParams,
                      desc: str = "embed") -> tuple[list[np.ndarray], int]:
    """Each text's (m x N) matrix E * w (float32) and how many texts were cut at max_tokens."""
    matrices: list[np.ndarray] = []
    cut = 0
    embed_layer = model.get_input_embeddings()
    for start in tqdm(range(0, len(texts), params.batch_size), desc=desc, unit="batch"):
        batch = texts[start: start + params.batch_size]
        encoded = [tokenizer(t, add_special_tokens=False)["input_ids"] for t in batch]
        cut += sum(len(ids) > params.max_tokens for ids in encoded)
        encoded = [ids[: params.max_tokens] or [tokenizer.eos_token_id] for ids in encoded]
        width = max(len(ids) for ids in encoded)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        ids = torch.tensor([row + [pad] * (width - len(row)) for row in encoded])
        mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in encoded])
        attention = None
        if params.weights == "attention":
            out = model(input_ids=ids, attention_mask=mask, output_attentions=True, logits_to_keep=1)
            attention = out.attentions[params.layer]
        weights = token_weights(attention, mask, params.weights)
        scaled = embed_layer(ids).to(torch.float32) * weights[:, :, None]
        for row, n in zip(scaled, mask.sum(1).tolist()):
            matrices.append(row[:n].numpy().copy())
    return matrices, cut


def sequence_vector(matrix: np.ndarray) -> np.ndarray:
    """Eq. 2: the N-vector of an E * (m w) matrix: sum of E * w with w summing to one."""
    return matrix.mean(axis=0)


def interpolation_vector(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Eq. 5: the N-vector of the interpolation, the midpoint of the seeds' N-vectors."""
    return (sequence_vector(a) + sequence_vector(b)) / 2.0


def interpolate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Eq. 4: both matrices zero-padded to the longer length m, then averaged ((m x N))."""
    m = max(len(a), len(b))
    padded = [np.pad(x, ((0, m - len(x)), (0, 0))) for x in (a, b)]
    return (padded[0] + padded[1]) / 2.0
