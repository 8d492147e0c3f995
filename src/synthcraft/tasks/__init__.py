"""Task types. Adding one is one small module defining a TaskType, registered here."""
from synthcraft.tasks import mcqa, openqa, summarization
from synthcraft.tasks.base import TaskType

TASK_TYPES: dict[str, TaskType] = {t.name: t for t in (mcqa.TASK, openqa.TASK, summarization.TASK)}


def get_task_type(name: str) -> TaskType:
    if name not in TASK_TYPES:
        raise ValueError(f"unknown task type {name!r}. Fix: use one of {sorted(TASK_TYPES)}")
    return TASK_TYPES[name]
