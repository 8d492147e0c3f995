"""study_embgen_corpus: the documents EmbGen works on in the study, from which the teacher extracts
entity-description pairs (study_embgen_extract).

    dvc repro pipelines/study/dvc.yaml:study_embgen_corpus
    dvc exp run -S study.embgen_source=random pipelines/study/dvc.yaml      # EmbGen on random documents

EmbGen assumes a corpus of the task's domain. The study's corpus is all of Wikipedia, so EmbGen
takes its documents from another arm's selection: the first study.embgen_documents of that arm's
stream (the same seeded order the arm's generation walks), by default the craft arm's documents,
retrieved near the few-shots. Extraction spends teacher tokens beyond the arm's generation budget;
the study reports them beside it. Writes data/study/embgen/corpus.jsonl {doc_id, topic (the source
arm), text}, what embgen_extract reads.
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.fewshots import load_fewshots
from synthcraft.files import write_jsonl
from synthcraft.methods.craft.retrieval import RetrieveParams
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.study import StudyParams, study_task
from synthcraft.study.streams import arm_documents
from synthcraft.tasks import TaskParams


@dataclass
class Paths:
    fewshots: Path = Path("data/study/fewshots")
    store: Path = Path("data/store")
    corpus: Path = Path("data/corpus")
    out: Path = Path("data/study/embgen/corpus.jsonl")
    metrics: Path = Path("metrics/study/embgen/corpus.json")


def run(params, paths: Paths) -> dict:
    s = params.study
    task = study_task(s, params.task)
    shots = load_fewshots(paths.fewshots / f"{s.task}.jsonl", task.task_type)
    documents, _, _ = arm_documents(paths.store, paths.corpus, shots, task.task_type, params.retrieve, s,
                                           s.embgen_source)
    chosen = documents[:s.embgen_documents]
    if len(chosen) < s.embgen_documents:
        logging.warning("study_embgen_corpus: the %s arm has %d documents, fewer than study.embgen_documents=%d",
                        s.embgen_source, len(chosen), s.embgen_documents)
    write_jsonl(paths.out, [{"doc_id": d["doc_id"], "topic": s.embgen_source, "text": d["text"]} for d in chosen])
    report = {"source": s.embgen_source, "documents": len(chosen), "of": len(documents),
              "characters": sum(len(d["text"]) for d in chosen)}
    write_metrics(paths.metrics, report)
    logging.info("study_embgen_corpus: %d of the %s arm's %d documents", len(chosen), s.embgen_source, len(documents))
    return report


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, study=StudyParams, retrieve=RetrieveParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
