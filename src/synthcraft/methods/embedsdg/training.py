"""The student on D (the shared LoRA trainer, with embedsdg_student's changes to train), and merging its adapter."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from synthcraft.training import TrainParams


@dataclass
class StudentParams(TrainParams):
    """The ``embedsdg_student:`` section: its changes to ``train``'s LoRA recipe (loaded on top of
    ``train:``), plus whether to tune at all."""
    tune: bool = True          # false: D is already the student's training data; the base is used as is


def merge_adapter(base_dir: str | Path, adapter_dir: str | Path, out_dir: str | Path) -> None:
    """base + LoRA, merged and saved as a plain (float32) model folder that loads like the base."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    PeftModel.from_pretrained(model, adapter_dir).merge_and_unload().save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(out_dir)
