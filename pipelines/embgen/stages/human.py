"""embgen_human: the positive control's training data -- the documents' own training text, no teacher.

    dvc repro pipelines/embgen/dvc.yaml:embgen_human
    python pipelines/embgen/stages/human.py --base models/base

One chat example per document (title -> training text; synthcraft.methods.embgen.human), in corpus
order until the generating arms' token budget (embgen_generate.budget_tokens, counted in the
student's tokens) is spent. Writes data/embgen/train/human.jsonl, trained like every arm
(embgen_train@human), and metrics/embgen/human.json: documents kept, left out (by the budget) and
tokens.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embgen.budget import EmbgenGenerateParams
from synthcraft.methods.embgen.human import human_rows
from synthcraft.models import load_tokenizer
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    base: Path = Path("models/base")     # the student: its tokenizer counts the budget
    corpus: Path = Path("data/embgen/corpus.jsonl")
    out: Path = Path("data/embgen/train/human.jsonl")
    metrics: Path = Path("metrics/embgen/human.json")


def run(params, paths: Paths) -> dict:
    tokenizer = load_tokenizer(str(paths.base))
    docs = read_jsonl(paths.corpus)
    rows, stats = human_rows(docs, lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"]),
                             params.embgen_generate.budget_tokens)
    if not rows:
        raise SystemExit(f"{paths.corpus}: the first document's training text is longer than "
                         f"embgen_generate.budget_tokens={params.embgen_generate.budget_tokens} tokens. "
                         "Fix: raise the budget in params.yaml")
    write_jsonl(paths.out, rows)
    write_metrics(paths.metrics, stats)
    logging.info("human control: %s", stats)
    return stats


def main() -> None:
    setup_logging()
    run(load_params(embgen_generate=EmbgenGenerateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
