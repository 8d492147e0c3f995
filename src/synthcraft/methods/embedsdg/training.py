"""The student on D, and the per-arm recipe: the shared LoRA trainer with this method's defaults."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from synthcraft.training import TrainParams


@dataclass
class StudentParams(TrainParams):
    """The ``esdg_student:`` section: ``train``'s LoRA recipe, plus whether to tune at all."""
    tune: bool = True          # false: D is already the student's training data; the base is used as is
    epochs: float = 1.0


@dataclass
class ArmTrainParams(TrainParams):
    """The ``esdg_train:`` section: each arm's adapter, trained on top of the student."""
    epochs: float = 3.0
    effective_batch: int = 8


def merge_adapter(base_dir: str | Path, adapter_dir: str | Path, out_dir: str | Path) -> None:
    """base + LoRA, merged and saved as a plain (float32) model folder that loads like the base."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    PeftModel.from_pretrained(model, adapter_dir).merge_and_unload().save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(out_dir)
