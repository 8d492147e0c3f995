"""Loading sentence-transformers models and encoding fast on CPU.

Speed comes from two things: documents are encoded shortest-first (store.sync_store sorts them,
so batches carry little padding), and the model runs in bfloat16 where the CPU supports it and a
calibration sample shows the embeddings stay within ``min_cosine`` of fp32 (MiniLM: 0.99996).
"""
from __future__ import annotations

import hashlib
import logging
import os

import numpy as np
import torch

from dataclasses import dataclass

from synthcraft import assets
from synthcraft.params import at_least, choice
from synthcraft.runtime import bf16_supported, compute_id, note_bf16, pick_device, require_fast_bf16

log = logging.getLogger(__name__)
SKIP_IN_FINGERPRINT = {"README.md", ".gitattributes"}
CALIBRATION_DOCS = 32


def fingerprint(spec: str) -> str:
    """Hash of a local model folder's file names, sizes and first/last MiB of each file.

    Cheap even for multi-GB models, and changes whenever the weights or tokenizer change.
    A hub name (no local folder) is fingerprinted by its name alone.
    """
    if not assets.is_local(spec):
        return "name:" + spec
    root = assets.resolve(spec)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name in SKIP_IN_FINGERPRINT or "__pycache__" in path.parts:
            continue
        size = path.stat().st_size
        digest.update(f"{path.relative_to(root)}\0{size}\0".encode())
        with open(path, "rb") as fh:
            digest.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), os.SEEK_END)
                digest.update(fh.read())
    return digest.hexdigest()[:32]


def load_sentence_model(spec: str, device: str = "cpu"):
    from sentence_transformers import SentenceTransformer

    where = str(assets.resolve(spec)) if assets.is_local(spec) else spec
    return SentenceTransformer(where, device=device)


@dataclass
class EmbedParams:
    """The ``embed:`` section."""
    model: str = assets.MINILM
    dtype: str = "float16"        # storage dtype of the HDF5 embeddings
    precision: str = "auto"       # compute: auto (bf16 if faithful) | bfloat16 | float32
    min_cosine: float = 0.999
    batch_size: int = 32
    commit_every: int = 1024
    chunk_rows: int = 4096
    device: str = "auto"          # auto: the GPU when there is one
    shards: int = 1               # >1: one store per shard + manifest.json (synthcraft/sharding.py)

    def __post_init__(self):
        at_least(1, shards=self.shards, batch_size=self.batch_size, commit_every=self.commit_every)
        choice(self.dtype, ["float16", "float32"], "dtype")
        choice(self.precision, ["auto", "bfloat16", "float32"], "precision")
        if self.commit_every % self.batch_size:
            # Whole batches per commit keep a resumed run's batches identical to an uninterrupted one.
            raise ValueError(f"commit_every ({self.commit_every}) must be a multiple of batch_size ({self.batch_size})")


class Encoder:
    """Encode texts to L2-normalised float32 vectors, in bf16 when that is both fast and faithful."""

    def __init__(self, spec: str, precision: str = "auto", batch_size: int = 32,
                 min_cosine: float = 0.999, device: str = "auto"):
        self.spec, self.batch_size, self.min_cosine = spec, batch_size, min_cosine
        self.model = load_sentence_model(spec, pick_device(device))
        self.dim = self.model.get_embedding_dimension()
        self.precision = "float32"
        self.calibration_cosine: float | None = None
        self._calibrated = precision != "auto"
        if precision == "bfloat16":
            require_fast_bf16(str(self.model.device), "embed.precision=bfloat16")
            self._use_bf16()


    def compute_id(self) -> str:
        """Precision and kernels of the vectors (a store's ``compute``): call after calibrate()."""
        return compute_id(self.precision, str(self.model.device))
    def _use_bf16(self) -> None:
        self.model.to(torch.bfloat16)
        self.precision = "bfloat16"
        note_bf16()

    def calibrate(self, texts: list[str]) -> None:
        """Pick bf16 if the kernels in use have native bf16 (never the default portable CPU kernels)
        and cosine(bf16, fp32) >= min_cosine.

        Checked on up to 32 of ``texts`` spread evenly over their length range (long documents
        are where low precision drifts most). Deterministic, so a resumed run decides the same.
        """
        self._calibrated = True
        by_length = sorted(texts, key=len)
        texts = by_length[:: max(1, len(by_length) // CALIBRATION_DOCS)][:CALIBRATION_DOCS]
        if not texts or not bf16_supported(str(self.model.device)):
            return
        reference = self._encode(texts)
        self.model.to(torch.bfloat16)
        candidate = self._encode(texts)
        self.calibration_cosine = float(np.min(np.sum(reference * candidate, axis=1)))
        if self.calibration_cosine >= self.min_cosine:
            self._use_bf16()
        else:
            self.model.to(torch.float32)
        log.info("embed precision %s (min cosine to fp32 %.5f)", self.precision, self.calibration_cosine)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with torch.inference_mode():
            out = self.model.encode(texts, batch_size=self.batch_size, convert_to_tensor=True,
                                    show_progress_bar=False)
        # Normalise in fp32: a bf16 norm is itself off by up to 0.4%.
        return torch.nn.functional.normalize(out.float(), dim=-1).cpu().numpy()

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not self._calibrated:
            self.calibrate(texts)
        return self._encode(texts)
