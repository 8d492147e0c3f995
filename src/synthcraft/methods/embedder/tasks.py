"""The embedder's evaluation tasks as mteb task folders: task.json (name, type, main score, and the
instruction an instruction-trained model reads) plus the type's JSONL files (``evaluation.FILES``), which ``evaluation.load_task`` reads offline.

Local tasks (``build_tasks``, the ``embedder_tasks`` stage), one per mteb task type the paper's
influence analysis groups by, built from data that installs with the project:

- WikiSentenceRetrieval (Retrieval, nDCG@10): a sentence taken out of a held-out Wikipedia
  summary is the query; the summary without it is the document to find among all held-out ones.
- MMLUTopicClassification (Classification, accuracy): an MMLU question's subject, by mteb's
  logistic regression on the embeddings (few labelled examples per subject, several draws).
- MMLUTopicClustering (Clustering, V-measure): sets of questions from a few subjects each,
  k-means on the embeddings.
- MMLUAnswerPairs (PairClassification, AP): is this the question's correct answer (or a wrong option)?

Benchmarks (``build_benchmarks``, the ``embedder_benchmarks`` stage), from the public sets shipped in
data/eval/ (each file checked against its provenance sha256 as it is read):

- STSBenchmark (STS, Spearman of cosine against the human 0-5 scores): the STS-B test pairs.
- Banking77Classification (Classification, accuracy): the intent of a bank customer's message;
  mteb's logistic regression on a few train messages per intent, scored on the whole test split.
- Banking77Clustering (Clustering, V-measure): sets of test messages from a few intents each.
- SciQRetrieval (Retrieval, nDCG@10): a SciQ test question is the query, its own support passage the
  document to find among every test and validation support passage.
"""
from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from synthcraft import assets
from synthcraft.files import read_jsonl, write_json, write_jsonl
from synthcraft.methods.embedder.splits import is_heldout

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
FILES = {  # what each task type's folder must hold besides task.json
    "Retrieval": ["queries.jsonl", "corpus.jsonl", "qrels.jsonl"],
    "Classification": ["train.jsonl", "test.jsonl"],
    "Clustering": ["test.jsonl"],
    "PairClassification": ["test.jsonl"],
    "STS": ["test.jsonl"],
}
MAIN_SCORE = {"Retrieval": "ndcg_at_10", "Classification": "accuracy", "Clustering": "v_measure",
              "PairClassification": "similarity_ap", "STS": "cosine_spearman"}
BENCHMARKS = ("STSBenchmark", "Banking77Classification", "Banking77Clustering", "SciQRetrieval")


@dataclass
class TasksParams:
    """The ``embedder_tasks:`` section: sizes of the local evaluation tasks."""
    mmlu: str = assets.MMLU             # MMLU-layout JSONL (question, answer_a..d, correct_answer, topic)
    retrieval_queries: int = 500
    classification_train_per_topic: int = 16
    classification_test_per_topic: int = 12
    samples_per_label: int = 8          # mteb's few-shot logistic regression
    n_experiments: int = 5
    clustering_sets: int = 10
    clustering_topics_per_set: int = 8
    clustering_per_topic: int = 20
    pairs_per_topic: int = 8
    min_topic_questions: int = 80       # MMLU subjects with fewer questions are left out
    seed: int = 0


# --- building the default tasks -----------------------------------------------------------


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def retrieval_task(corpus_rows: list[dict], p: TasksParams, heldout_share: float) -> dict[str, list[dict]]:
    """Sentence -> source passage over the held-out documents (see the module docstring)."""
    heldout = sorted((r for r in corpus_rows if is_heldout(r["doc_id"], heldout_share)), key=lambda r: r["doc_id"])
    eligible = [r for r in heldout if len(sentences(r["text"])) >= 3]
    if not eligible:
        raise ValueError("embedder_tasks: no held-out document has 3 sentences. Fix: raise embedder_split.heldout_share")
    rng = random.Random(p.seed)
    chosen = {r["doc_id"] for r in rng.sample(eligible, min(p.retrieval_queries, len(eligible)))}
    queries, corpus, qrels = [], [], []
    for row in heldout:
        text = row["text"]
        if row["doc_id"] in chosen:
            parts = sentences(text)
            candidates = [i for i in range(1, len(parts)) if len(parts[i].split()) >= 6] or list(range(1, len(parts)))
            taken = rng.choice(candidates)
            queries.append({"id": f"q-{row['doc_id']}", "text": parts[taken]})
            qrels.append({"query_id": f"q-{row['doc_id']}", "doc_id": row["doc_id"], "score": 1})
            text = " ".join(parts[:taken] + parts[taken + 1:])
        corpus.append({"id": row["doc_id"], "title": "", "text": text})
    return {"queries.jsonl": queries, "corpus.jsonl": corpus, "qrels.jsonl": qrels}


def _mmlu_roles(mmlu_rows: list[dict], p: TasksParams) -> dict[str, dict[str, list[dict]]]:
    """Each subject's questions dealt (seeded) into disjoint piles, one per MMLU task."""
    by_topic = defaultdict(list)
    for row in mmlu_rows:
        by_topic[row["topic"]].append(row)
    sizes = {"cls_test": p.classification_test_per_topic, "cls_train": p.classification_train_per_topic,
             "clustering": p.clustering_per_topic, "pairs": p.pairs_per_topic * 3}
    roles: dict[str, dict[str, list[dict]]] = {name: {} for name in sizes}
    for topic in sorted(by_topic):
        rows = sorted(by_topic[topic], key=lambda r: r["question"])
        if len(rows) < max(p.min_topic_questions, sum(sizes.values())):
            continue
        random.Random(f"{p.seed}:{topic}").shuffle(rows)
        start = 0
        for name, size in sizes.items():
            roles[name][topic] = rows[start: start + size]
            start += size
    if len(roles["cls_test"]) < 2:
        raise ValueError("embedder_tasks: fewer than 2 MMLU subjects have enough questions. Fix: lower "
                         "embedder_tasks.min_topic_questions or the per-topic sizes")
    return roles


def _answer(row: dict, letter: str) -> str:
    return str(row[f"answer_{letter.lower()}"]).strip()


def mmlu_tasks(mmlu_rows: list[dict], p: TasksParams) -> dict[str, dict[str, list[dict]]]:
    """The classification, clustering and pair-classification folders' files."""
    roles = _mmlu_roles(mmlu_rows, p)
    topics = sorted(roles["cls_test"])
    label = {t: i for i, t in enumerate(topics)}
    classification = {split: [{"text": r["question"], "label": label[t]} for t in topics for r in roles[role][t]]
                      for split, role in (("train.jsonl", "cls_train"), ("test.jsonl", "cls_test"))}
    rng = random.Random(p.seed)
    sets = []
    for _ in range(p.clustering_sets):
        picked = sorted(rng.sample(topics, min(p.clustering_topics_per_set, len(topics))))
        rows = [(r["question"], label[t]) for t in picked for r in roles["clustering"][t]]
        sets.append({"sentences": [q for q, _ in rows], "labels": [y for _, y in rows]})
    pairs = []
    for topic in topics:
        usable = 0
        for row in roles["pairs"][topic]:
            right = _answer(row, row["correct_answer"])
            wrong = [_answer(row, x) for x in "ABCD" if x != row["correct_answer"] and len(_answer(row, x).split()) >= 3]
            if len(right.split()) < 3 or not wrong or usable >= p.pairs_per_topic:
                continue
            usable += 1
            pairs.append({"sentence1": row["question"], "sentence2": right, "label": 1})
            pairs.append({"sentence1": row["question"], "sentence2": rng.choice(wrong), "label": 0})
    return {"MMLUTopicClassification": classification, "MMLUTopicClustering": {"test.jsonl": sets},
            "MMLUAnswerPairs": {"test.jsonl": pairs}}


# Per task: type, description, and the instruction an instruction-trained embedder reads before each
# query (retrieval) or each text (the symmetric types), as training.query_text writes it.
DESCRIPTIONS = {
    "WikiSentenceRetrieval": ("Retrieval", "A sentence removed from a held-out Wikipedia summary; find the summary.",
                              "Given one sentence from an encyclopedia summary, find the summary it was taken from"),
    "MMLUTopicClassification": ("Classification", "The MMLU subject of a question (logistic regression on embeddings).",
                                "Name the academic subject that an exam question belongs to"),
    "MMLUTopicClustering": ("Clustering", "k-means over MMLU questions from a few subjects per set; V-measure.",
                            "Group exam questions by their academic subject"),
    "MMLUAnswerPairs": ("PairClassification", "Question with its correct answer (1) or a wrong option (0); AP.",
                        "Match an exam question with its correct answer"),
}


def build_tasks(out_dir: Path, corpus_rows: list[dict], mmlu_rows: list[dict], p: TasksParams,
                heldout_share: float) -> dict:
    """Write the four local task folders under ``out_dir``; returns their sizes."""
    files = {"WikiSentenceRetrieval": retrieval_task(corpus_rows, p, heldout_share), **mmlu_tasks(mmlu_rows, p)}
    return write_tasks(out_dir, files, DESCRIPTIONS, p.samples_per_label, p.n_experiments)


# --- the shipped benchmarks -------------------------------------------------------------------


@dataclass
class BenchmarksParams:
    """The ``embedder_benchmarks:`` section: which shipped sets become tasks, and their sizes."""
    tasks: list[str] = field(default_factory=lambda: list(BENCHMARKS))
    samples_per_label: int = 8          # Banking77Classification: train messages per intent in each draw
    n_experiments: int = 5
    clustering_sets: int = 10           # Banking77Clustering: sets of test messages ...
    clustering_intents_per_set: int = 20    # ... from this many intents each (all their test messages)
    max_items: int | None = None        # cap every test split, and SciQ's distractor passages (None: whole)
    seed: int = 0

    def __post_init__(self):
        unknown = sorted(set(self.tasks) - set(BENCHMARKS))
        if unknown:
            raise ValueError(f"tasks: {unknown} are not shipped benchmarks; choose from {list(BENCHMARKS)}")


def _capped(rows: list[dict], p: BenchmarksParams, salt: str) -> list[dict]:
    """At most ``max_items`` rows, a seeded draw in file order."""
    if p.max_items is None or len(rows) <= p.max_items:
        return rows
    keep = set(random.Random(f"{p.seed}:{salt}").sample(range(len(rows)), p.max_items))
    return [r for i, r in enumerate(rows) if i in keep]


def stsb_task(data: Path, p: BenchmarksParams) -> dict[str, list[dict]]:
    rows = _capped(read_jsonl(data / "stsb/test.jsonl"), p, "stsb")
    return {"test.jsonl": [{"sentence1": r["sentence1"], "sentence2": r["sentence2"], "score": float(r["score"])}
                           for r in rows]}


def banking77_tasks(data: Path, p: BenchmarksParams) -> dict[str, dict[str, list[dict]]]:
    train, test = read_jsonl(data / "banking77/train.jsonl"), read_jsonl(data / "banking77/test.jsonl")
    intents = sorted({r["label"] for r in train} | {r["label"] for r in test})
    label = {name: i for i, name in enumerate(intents)}
    classification = {"train.jsonl": [{"text": r["text"], "label": label[r["label"]]} for r in train],
                      "test.jsonl": [{"text": r["text"], "label": label[r["label"]]}
                                     for r in _capped(test, p, "banking77")]}
    by_intent = defaultdict(list)
    for row in test:
        by_intent[row["label"]].append(row["text"])
    rng = random.Random(p.seed)
    sets = []
    for _ in range(p.clustering_sets):
        picked = sorted(rng.sample(intents, min(p.clustering_intents_per_set, len(intents))))
        rows = [(text, label[name]) for name in picked for text in by_intent[name]]
        rows = _capped([{"text": t, "label": y} for t, y in rows], p, f"cluster{len(sets)}")
        sets.append({"sentences": [r["text"] for r in rows], "labels": [r["label"] for r in rows]})
    return {"Banking77Classification": classification, "Banking77Clustering": {"test.jsonl": sets}}


def sciq_retrieval_task(data: Path, p: BenchmarksParams) -> dict[str, list[dict]]:
    """Test questions (those with a support passage) against the test and validation passages; a
    passage shared by several questions is one document, relevant to each of them."""
    test = [r for r in read_jsonl(data / "sciq/test.jsonl") if r["support"].strip()]
    validation = [r for r in read_jsonl(data / "sciq/validation.jsonl") if r["support"].strip()]
    doc_of: dict[str, str] = {}
    for row in test + validation:
        doc_of.setdefault(row["support"].strip(), row["id"].replace("sciq-", "doc-"))
    queries = _capped(test, p, "sciq")
    corpus = doc_of
    if p.max_items is not None:   # the kept questions' passages and as many others, drawn
        relevant = {r["support"].strip() for r in queries}
        others = [t for t in doc_of if t not in relevant]
        kept = relevant | set(random.Random(f"{p.seed}:sciq-corpus").sample(others, min(p.max_items, len(others))))
        corpus = {t: d for t, d in doc_of.items() if t in kept}
    return {"queries.jsonl": [{"id": r["id"], "text": r["question"]} for r in queries],
            "corpus.jsonl": [{"id": doc, "title": "", "text": text} for text, doc in corpus.items()],
            "qrels.jsonl": [{"query_id": r["id"], "doc_id": doc_of[r["support"].strip()], "score": 1} for r in queries]}


SCIQ_INSTRUCTION = "Given a science question, find the passage that explains its answer"
BENCHMARK_INFO = {
    "STSBenchmark": ("STS", "STS Benchmark test pairs: Spearman of cosine similarity against human 0-5 scores.",
                     "Find sentences that mean the same as this one"),
    "Banking77Classification": ("Classification", "BANKING77 intents of customer messages (logistic regression).",
                                "Name what a bank customer wants from this message"),
    "Banking77Clustering": ("Clustering", "k-means over BANKING77 test messages from a few intents per set; V-measure.",
                            "Group bank customer messages by what the customer wants"),
    "SciQRetrieval": ("Retrieval", "A SciQ test question; find its support passage among test and validation ones.",
                      SCIQ_INSTRUCTION),
}


def build_benchmarks(out_dir: Path, data: Path, p: BenchmarksParams) -> dict:
    """Write the chosen benchmark task folders under ``out_dir`` from the shipped sets in ``data``
    (stsb/, banking77/, sciq/ as in data/eval/); returns their sizes."""
    files = {}
    if "STSBenchmark" in p.tasks:
        files["STSBenchmark"] = stsb_task(data, p)
    if {"Banking77Classification", "Banking77Clustering"} & set(p.tasks):
        files.update({k: v for k, v in banking77_tasks(data, p).items() if k in p.tasks})
    if "SciQRetrieval" in p.tasks:
        files["SciQRetrieval"] = sciq_retrieval_task(data, p)
    return write_tasks(out_dir, files, BENCHMARK_INFO, p.samples_per_label, p.n_experiments)


def write_tasks(out_dir: Path, files: dict[str, dict[str, list[dict]]], info: dict[str, tuple[str, str, str]],
                samples_per_label: int, n_experiments: int) -> dict[str, dict[str, int]]:
    """One folder per task under ``out_dir``: task.json (name, type, description and instruction from
    ``info``, main score; the classification draws) and its JSONL files. Returns each task's row
    counts per file."""
    sizes = {}
    for name, contents in files.items():
        kind, description, instruction = info[name]
        spec = {"name": name, "type": kind, "main_score": MAIN_SCORE[kind], "description": description,
                "instruction": instruction}
        if kind == "Classification":
            spec.update(samples_per_label=samples_per_label, n_experiments=n_experiments)
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "task.json", spec)
        for filename, rows in contents.items():
            write_jsonl(folder / filename, rows)
        sizes[name] = {filename: len(rows) for filename, rows in contents.items()}
    return sizes
