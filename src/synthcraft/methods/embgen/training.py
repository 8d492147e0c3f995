"""Each arm's LoRA recipe: the shared trainer's, with shorter examples (QA pairs are short)."""
from dataclasses import dataclass

from synthcraft.training import TrainParams


@dataclass
class EgTrainParams(TrainParams):
    """The ``eg_train:`` section."""
    epochs: float = 2.0
    effective_batch: int = 8
    max_length: int = 512
