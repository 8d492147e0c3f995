"""Task types. Adding one is one small module defining a TaskType, registered here."""
from dataclasses import dataclass
from typing import Optional

from synthcraft.params import choice
from synthcraft.tasks import mcqa, openqa, summarization
from synthcraft.tasks.base import TaskType

TASK_TYPES: dict[str, TaskType] = {t.name: t for t in (mcqa.TASK, openqa.TASK, summarization.TASK)}


def get_task_type(name: str) -> TaskType:
    if name not in TASK_TYPES:
        raise ValueError(f"unknown task type {name!r}. Fix: use one of {sorted(TASK_TYPES)}")
    return TASK_TYPES[name]


@dataclass
class TaskParams:
    """The ``task:`` section every stage from retrieve on shares: which few-shots, which schema."""
    name: str = "bioqa"   # few-shots in data/fewshots/<name>.jsonl; outputs are named after it
    type: str = "mcqa"    # a key of TASK_TYPES
    supervision: Optional[str] = None   # the assistant turn of training examples (None: the type's default)

    def __post_init__(self):
        choice(self.type, TASK_TYPES, "type")
        self.supervision = TASK_TYPES[self.type].supervision(self.supervision)

    @property
    def task_type(self) -> TaskType:
        return TASK_TYPES[self.type]

    def supervision_for(self, task_type: TaskType) -> str:
        """For a method whose task type is fixed (EmbedSDG writes multiple choice): this section's
        supervision when its type is that one, else that type's default."""
        return self.supervision if self.type == task_type.name else task_type.supervision(None)
