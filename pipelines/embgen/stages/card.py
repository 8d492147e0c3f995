"""embgen_card: the dataset card of EmbGen's training data, every arm and the control in one folder.

    dvc repro pipelines/embgen/dvc.yaml:embgen_card
    python -c "from datasets import load_dataset; print(load_dataset('data/embgen/train', 'embgen', split='train'))"

Writes data/embgen/train/README.md (a Hugging Face dataset card whose configs are the arms' files)
and metadata.json (synthcraft.cards): teacher, student, the params that made each arm, rows, the
generation funnel (requests, QA pairs, rejects by reason) and tokens per arm, source and license,
date and git revision.
"""
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from synthcraft.cards import CardParams, read_metrics, write_card
from synthcraft.files import read_jsonl
from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.budget import EmbgenGenerateParams
from synthcraft.methods.embgen.human import CONTROL
from synthcraft.methods.embgen.samplers import EmbgenSamplingParams
from synthcraft.models import BaseParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths

DESCRIPTIONS = {
    "embgen": "QA pairs written from entity-description pairs drawn by the corpus's embedding structure",
    "one_doc": "QA pairs written from one document per request (the CRAFT-style baseline)",
    CONTROL: "the documents' own training text, title -> paragraph (the positive control, no teacher)",
}
SPEND = ("requests", "kept_requests", "budget_tokens", "kept_tokens_out", "kept_tokens_in", "qa_pairs",
         "qa_rejects", "multi_document_share", "distinct_documents", "sampler_mix")


@dataclass
class Paths:
    train: Path = Path("data/embgen/train")           # <arm>.jsonl per arm; the card goes beside them
    spend: Path = Path("metrics/embgen/generate")     # <arm>.json: what each arm's generation spent and kept
    human: Path = Path("metrics/embgen/human.json")
    teacher: Path = Path("metrics/embgen/extract.json")   # the teacher (the generate: section) as the stages ran it


def run(params, paths: Paths) -> dict:
    configs = {arm: {"path": f"{arm}.jsonl", "rows": len(read_jsonl(paths.train / f"{arm}.jsonl")),
                     "description": DESCRIPTIONS[arm], **read_metrics(paths.spend / f"{arm}.json", SPEND)}
               for arm in ARMS}
    configs[CONTROL] = {"path": f"{CONTROL}.jsonl", "rows": len(read_jsonl(paths.train / f"{CONTROL}.jsonl")),
                        "description": DESCRIPTIONS[CONTROL],
                        **read_metrics(paths.human, ("documents", "documents_left_out", "budget_tokens", "kept_tokens_out"))}
    meta = {"method": "EmbGen (arXiv 2605.19394), pipelines/embgen/dvc.yaml",
            "teacher": "{model} via {backend}".format(**read_metrics(paths.teacher, ("model", "backend"))),
            "student": params.base.model,
            "format": "TRL conversational: one chat per row (messages), with id, order and doc_ids (source documents)",
            "params": {"embgen_generate": asdict(params.embgen_generate),
                       "embgen_sampling": asdict(params.embgen_sampling)}}
    metadata = write_card(paths.train, title="EmbGen training data: synthetic QA pairs and a human-text control",
                          summary="Closed-book question-answer pairs about a Wikipedia sample, one file per arm of "
                                  "EmbGen's comparison, each at the same budget of teacher output tokens, and the "
                                  "documents' own text within that budget (the positive control).",
                          configs=configs, meta=meta, source=params.cards.corpus)
    logging.info("card: %s", {name: c["rows"] for name, c in metadata["configs"].items()})
    return metadata


def main() -> None:
    setup_logging()
    run(load_params(base=BaseParams, embgen_generate=EmbgenGenerateParams,
                    embgen_sampling=EmbgenSamplingParams, cards=CardParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
