"""train: LoRA fine-tune of the base model on the synthetic data (or on the few-shots alone).

    dvc repro train                      # the synthcraft-tuned adapter
    dvc repro train_fewshot              # CRAFT's few-shot-only baseline (XS)
    dvc exp run -S 'train.repeat_seeds=[1,2]'   # two more training runs per adapter: evaluate reports spread
    python pipelines/craft/stages/train.py --data data/synthetic/bioqa/train.jsonl --out models/adapters/bioqa

Writes the adapter (loadable by peft's PeftModel.from_pretrained and by vLLM's LoRA support; its
config names the base model portably, and it holds the data it was trained on), the metrics and
the loss curve CSV. With train.repeat_seeds, the same training runs again per seed into
<adapter>/seeds/seed-<n>/ (its loss curve beside it); evaluate finds and scores every one.
"""
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from synthcraft.fewshots import load_fewshots, training_examples

from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams
from synthcraft.training import FewshotTrainParams, TrainParams, load_examples, train_with_repeats


@dataclass
class Paths:
    out: Path
    metrics: Path
    loss_csv: Path
    base: Path = Path("models/base")
    data: Optional[Path] = None        # training JSONL (synthcraft.training.load_examples): the synthetic set
    fewshots: Optional[Path] = None    # or: train on this few-shot file (the XS baseline)


def run(params, paths: Paths) -> dict:
    train = params.train
    if paths.fewshots:
        examples = training_examples(load_fewshots(paths.fewshots, params.task.task_type),
                                               params.task.task_type, params.task.supervision)
        batch = params.train_fewshot.effective_batch
        train = dataclasses.replace(train, effective_batch=batch, micro_batch=min(train.micro_batch, batch))
    elif paths.data:
        examples = load_examples(paths.data)
    else:
        raise SystemExit("train: give --data (a training JSONL) or --fewshots (a few-shot file)")
    stats = train_with_repeats(paths.base, examples, paths.out, train, base_name=str(paths.base), loss_csv=paths.loss_csv)
    logging.info("trained %s on %d examples: loss %.4f -> %.4f in %.0fs", paths.out, stats["examples"],
                 stats["first_loss"] or 0, stats["last_loss"] or 0, stats["seconds"])
    write_metrics(paths.metrics, stats)
    return stats


def main() -> None:
    setup_logging()
    params = load_params(task=TaskParams, train=TrainParams, train_fewshot=FewshotTrainParams)
    run(params, parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
