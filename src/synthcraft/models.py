"""Loading causal LMs and their tokenizers from a local folder, a GGUF file, or a pkg:// asset.

transformers reads GGUF directly (dequantising it), but a GGUF-loaded model cannot
``save_pretrained`` and loads slowly (~25 s for SmolLM2-135M); ``save_as_safetensors`` writes a
safetensors folder once, which then loads in ~2 s.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthcraft import assets

@dataclass
class BaseParams:
    """The ``base:`` section: the student, converted once into ``models/base``."""
    model: str = assets.SMOLLM2_GGUF   # GGUF, transformers model folder, or hub name


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


def save_as_safetensors(spec: str, out_dir: str | Path) -> Path:
    """Write any supported model (GGUF included) as a plain safetensors model folder + tokenizer.

    A GGUF-loaded model carries its quantisation marker and refuses ``save_pretrained``; its
    weights are already dequantised, so they are moved into a fresh model built from the config.
    """
    from transformers import AutoModelForCausalLM

    out_dir = Path(out_dir)
    model = load_causal_lm(spec)
    if getattr(model, "hf_quantizer", None) is not None or hasattr(model.config, "quantization_config"):
        config = model.config
        config.__dict__.pop("quantization_config", None)
        fresh = AutoModelForCausalLM.from_config(config)
        missing, unexpected = fresh.load_state_dict(model.state_dict(), strict=False)
        tied = {"lm_head.weight"} if getattr(config, "tie_word_embeddings", False) else set()
        if set(missing) - tied or unexpected:
            raise ValueError(f"{spec}: weights do not match the architecture (missing {missing}, unexpected {unexpected})")
        if tied:
            fresh.tie_weights()
        model = fresh
    model.save_pretrained(out_dir, safe_serialization=True)
    load_tokenizer(spec).save_pretrained(out_dir)
    return out_dir
