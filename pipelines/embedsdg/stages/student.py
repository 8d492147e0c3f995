"""embedsdg_student: the student SM, fine-tuned on the seed pool D (EmbedSDG, section 2).

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_student
    dvc exp run -S embedsdg_student.tune=false pipelines/embedsdg/dvc.yaml   # D is already the student's training data

LoRA on D with the shared trainer (synthcraft.training), merged into a full model folder
(models/embedsdg/student): its embeddings define the space, it decodes the interpolations, and every
arm's adapter is trained on top of it. With tune=false the base model is copied unchanged.
"""
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl
from synthcraft.methods.embedsdg.pool import as_sample
from synthcraft.methods.embedsdg.training import StudentParams, merge_adapter
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams
from synthcraft.tasks.mcqa import TASK
from synthcraft.training import RECIPE_BASE, train_lora


@dataclass
class Paths:
    base: Path = Path("models/base")
    pool: Path = Path("data/embedsdg/pool.jsonl")
    out: Path = Path("models/embedsdg/student")
    work: Path = Path("cache/embedsdg_student")
    metrics: Path = Path("metrics/embedsdg/student.json")
    loss_csv: Path = Path("metrics/embedsdg/student_loss.csv")


def run(params, paths: Paths) -> dict:
    p = params.embedsdg_student
    tmp = paths.out.with_name(paths.out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    if p.tune:
        supervision = params.task.supervision_for(TASK)
        examples = [TASK.example(as_sample(item), supervision) for item in read_jsonl(paths.pool)]
        shutil.rmtree(paths.work, ignore_errors=True)
        stats = train_lora(paths.base, examples, paths.work, p, base_name="models/base", loss_csv=paths.loss_csv)
        merge_adapter(paths.base, paths.work, tmp)
    else:
        shutil.copytree(paths.base, tmp)
        paths.loss_csv.parent.mkdir(parents=True, exist_ok=True)
        paths.loss_csv.write_text("step,loss,learning_rate\n")
        stats = {"examples": 0, "note": "embedsdg_student.tune is false: the base model is the student"}
    (tmp / "synthcraft_student.json").write_text(json.dumps({"tuned_on": str(paths.pool) if p.tune else None}) + "\n")
    shutil.rmtree(paths.out, ignore_errors=True)
    tmp.rename(paths.out)
    stats["tuned"] = p.tune
    write_metrics(paths.metrics, stats)
    logging.info("student: %s", stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, embedsdg_student=(StudentParams, RECIPE_BASE)), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
