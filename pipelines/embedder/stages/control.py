"""embedder_control: the embedder's positive control, N human (question, passage, hard negative) rows.

    dvc repro pipelines/embedder/dvc.yaml:embedder_control
    dvc exp run -S embedder_control.n=1500 pipelines/embedder/dvc.yaml      # a larger control
    python pipelines/embedder/stages/control.py --size-of data/embedder/train.jsonl --out data/embedder/control.jsonl

SciQ train questions with their own support passages (synthcraft/methods/embedder/control.py), N =
the synthetic train.jsonl's row count unless embedder_control.n is set. The negative is mined with
embedder_mine's ranks and guard, by the base embedder (embedder_train.base_model) over the other
train passages. embedder_train_control trains on the rows with embedder_train's recipe; the
evaluation scores it beside base and the synthetic-data model.
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft.embedders import Encoder
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedder.control import EmbedderControlParams, human_pairs, usable_questions
from synthcraft.methods.embedder.mining import MineParams
from synthcraft.methods.embedder.training import EmbedderTrainParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    size_of: Path = Path("data/embedder/train.jsonl")
    train: Path = Path("data/eval/sciq/train.jsonl")
    evaluation: Path = Path("data/eval/sciq")        # its test and validation passages are kept out
    out: Path = Path("data/embedder/control.jsonl")
    metrics: Path = Path("metrics/embedder/control.json")


def run(params, paths: Paths) -> dict:
    start = time.time()
    p = params.embedder_control
    n = p.n if p.n is not None else len(read_jsonl(paths.size_of))
    held_out = {r["support"].strip() for split in ("test", "validation")
                for r in read_jsonl(paths.evaluation / f"{split}.jsonl") if r["support"].strip()}
    usable, dropped = usable_questions(read_jsonl(paths.train), held_out)
    encoder = Encoder(params.embedder_train.base_model, precision="float32")
    rows, stats = human_pairs(usable, n, encoder, params.embedder_mine, p, str(paths.train))
    write_jsonl(paths.out, rows)
    report = {"n": n, **stats, "usable_questions": len(usable), "left_out": dict(dropped),
              "seconds": round(time.time() - start, 1)}
    write_metrics(paths.metrics, report)
    logging.info("control rows: %s", report)
    return report


def main() -> None:
    setup_logging()
    run(load_params(embedder_control=EmbedderControlParams, embedder_mine=MineParams, embedder_train=EmbedderTrainParams),
        parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
