"""Where and how code runs: logging set-up, the device, and whether bfloat16 is used.

One place decides: the embedder, the trainer and the evaluator all ask here, so a GPU is used
when present and bf16 is chosen by the same rule everywhere.
"""
from __future__ import annotations

import logging

import torch


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def pick_device(setting: str = "auto") -> str:
    """``auto``: the GPU when there is one, else the CPU; anything else is taken as given."""
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return setting


def bf16_supported(device: str) -> bool:
    """Native bf16 arithmetic: a CUDA GPU that has it, or a CPU with AVX-512 bf16 / AMX."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def use_bf16(setting: str, device: str) -> bool:
    """Params' ``bf16: auto | true | false`` resolved for ``device``."""
    if setting not in ("auto", "true", "false"):
        raise ValueError(f"bf16={setting!r} is not one of ['auto', 'true', 'false']")
    return bf16_supported(device) if setting == "auto" else setting == "true"


def autocast(device: str, enabled: bool):
    """bf16 autocast on ``device`` (a no-op context when disabled)."""
    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=enabled)
