"""Local mteb tasks built from data that installs with the project, and paired comparisons on them.

mteb scores the models (its own evaluators, its result JSON); this module only supplies the data,
offline, as mteb custom tasks, and adds what mteb does not report: per-item scores from mteb's saved
predictions, so two models can be compared item by item with paired bootstrap intervals.

The four default tasks (``build_tasks``), one per mteb task type the paper's influence analysis
groups by:

- WikiSentenceRetrieval (Retrieval, nDCG@10): a sentence taken out of a held-out Wikipedia
  summary is the query; the summary without it is the document to find among all held-out ones.
- MMLUTopicClassification (Classification, accuracy): an MMLU question's subject, by mteb's
  logistic regression on the embeddings (few labelled examples per subject, several draws).
- MMLUTopicClustering (Clustering, V-measure): sets of questions from a few subjects each,
  k-means on the embeddings.
- MMLUAnswerPairs (PairClassification, AP): is this the question's correct answer (or a wrong option)?

Each task is a folder: task.json (name, type, main score) plus the type's JSONL files; any folder
in that layout works, so users can add their own. On a machine with the hub, any mteb task name
can be evaluated beside them (``embedder_evaluate.hub_tasks``).
"""
from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthcraft import assets
from synthcraft.files import read_jsonl, write_json, write_jsonl
from synthcraft.methods.embedder.splits import is_heldout

FILES = {  # what each task type's folder must hold besides task.json
    "Retrieval": ["queries.jsonl", "corpus.jsonl", "qrels.jsonl"],
    "Classification": ["train.jsonl", "test.jsonl"],
    "Clustering": ["test.jsonl"],
    "PairClassification": ["test.jsonl"],
}
MAIN_SCORE = {"Retrieval": "ndcg_at_10", "Classification": "accuracy", "Clustering": "v_measure",
              "PairClassification": "similarity_ap"}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


class TaskFolderError(ValueError):
    pass


@dataclass
class TasksParams:
    """The ``embedder_tasks:`` section: sizes of the local evaluation tasks."""
    heldout_share: float = 0.1          # corpus documents kept out of all training material
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

    def __post_init__(self):
        if not 0 < self.heldout_share < 1:
            raise ValueError(f"heldout_share={self.heldout_share} must be in (0, 1)")


# --- building the default tasks -----------------------------------------------------------


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def retrieval_task(corpus_rows: list[dict], p: TasksParams) -> dict[str, list[dict]]:
    """Sentence -> source passage over the held-out documents (see the module docstring)."""
    heldout = sorted((r for r in corpus_rows if is_heldout(r["doc_id"], p.heldout_share)), key=lambda r: r["doc_id"])
    eligible = [r for r in heldout if len(sentences(r["text"])) >= 3]
    if not eligible:
        raise ValueError("embedder_tasks: no held-out document has 3 sentences. Fix: raise embedder_tasks.heldout_share")
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


DESCRIPTIONS = {
    "WikiSentenceRetrieval": ("Retrieval", "A sentence removed from a held-out Wikipedia summary; find the summary."),
    "MMLUTopicClassification": ("Classification", "The MMLU subject of a question (logistic regression on embeddings)."),
    "MMLUTopicClustering": ("Clustering", "k-means over MMLU questions from a few subjects per set; V-measure."),
    "MMLUAnswerPairs": ("PairClassification", "Question with its correct answer (1) or a wrong option (0); AP."),
}


def build_tasks(out_dir: Path, corpus_rows: list[dict], mmlu_rows: list[dict], p: TasksParams) -> dict:
    """Write the four default task folders under ``out_dir``; returns their sizes."""
    files = {"WikiSentenceRetrieval": retrieval_task(corpus_rows, p), **mmlu_tasks(mmlu_rows, p)}
    sizes = {}
    for name, contents in files.items():
        kind, description = DESCRIPTIONS[name]
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = {"name": name, "type": kind, "main_score": MAIN_SCORE[kind], "description": description}
        if kind == "Classification":
            spec.update(samples_per_label=p.samples_per_label, n_experiments=p.n_experiments)
        write_json(folder / "task.json", spec)
        for filename, rows in contents.items():
            write_jsonl(folder / filename, rows)
        sizes[name] = {filename: len(rows) for filename, rows in contents.items()}
    return sizes


# --- loading a task folder as an mteb task --------------------------------------------------


def read_spec(folder: Path) -> dict:
    spec_file = folder / "task.json"
    if not spec_file.exists():
        raise TaskFolderError(f"{spec_file}: missing. A task folder needs task.json (name, type, main_score). "
                              "Fix: run `dvc repro pipelines/embedder/dvc.yaml:embedder_tasks`, or write it")
    spec = json.loads(spec_file.read_text())
    kind = spec.get("type")
    if kind not in FILES:
        raise TaskFolderError(f"{spec_file}: type {kind!r} is not one of {', '.join(FILES)}")
    missing = [f for f in FILES[kind] if not (folder / f).exists()]
    if missing:
        raise TaskFolderError(f"{folder}: a {kind} task needs {', '.join(FILES[kind])}; missing {', '.join(missing)}. "
                              "Fix: re-run `dvc repro pipelines/embedder/dvc.yaml:embedder_tasks` or add the files")
    return {"main_score": MAIN_SCORE[kind], **spec}


def load_task(folder: str | Path):
    """An mteb task instance reading ``folder`` (offline: nothing is fetched)."""
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.clustering_legacy import AbsTaskClusteringLegacy
    from mteb.abstasks.pair_classification import AbsTaskPairClassification
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
    from mteb.abstasks.task_metadata import TaskMetadata

    folder = Path(folder)
    spec = read_spec(folder)
    kind = spec["type"]
    metadata = TaskMetadata(
        name=spec["name"], type=kind, main_score=spec["main_score"], description=spec.get("description", spec["name"]),
        reference=None, dataset={"path": f"local/{spec['name']}", "revision": "local"}, category="t2t",
        eval_splits=["test"], eval_langs=["eng-Latn"], date=None, dialect=[], domains=[], task_subtypes=[],
        license=None, annotations_creators="derived", modalities=["text"], sample_creation="found", bibtex_citation="")

    def load_data(self, **_):
        if kind == "Retrieval":
            qrels = defaultdict(dict)
            for row in read_jsonl(folder / "qrels.jsonl"):
                qrels[row["query_id"]][row["doc_id"]] = int(row["score"])
            split = RetrievalSplitData(queries=Dataset.from_list(read_jsonl(folder / "queries.jsonl")),
                                       corpus=Dataset.from_list(read_jsonl(folder / "corpus.jsonl")),
                                       relevant_docs=dict(qrels), top_ranked=None)
            self.dataset = {"default": {"test": split}}
        else:
            self.dataset = DatasetDict({f.removesuffix(".jsonl"): Dataset.from_list(read_jsonl(folder / f))
                                        for f in FILES[kind]})
            if kind == "PairClassification":  # mteb expects one row holding the lists
                test = read_jsonl(folder / "test.jsonl")
                self.dataset = DatasetDict(test=Dataset.from_dict({
                    "sentence1": [r["sentence1"] for r in test], "sentence2": [r["sentence2"] for r in test],
                    "labels": [r["label"] for r in test]}))
        self.data_loaded = True

    base = {"Retrieval": AbsTaskRetrieval, "Classification": AbsTaskClassification,
            "Clustering": AbsTaskClusteringLegacy, "PairClassification": AbsTaskPairClassification}[kind]
    attributes = {"metadata": metadata, "load_data": load_data}
    if kind == "Classification":
        attributes.update(samples_per_label=spec.get("samples_per_label", 8), n_experiments=spec.get("n_experiments", 10))
    return type(spec["name"], (base,), attributes)()


# --- per-item scores from mteb's predictions --------------------------------------------------


def item_scores(folder: Path, predictions: dict) -> dict:
    """Per-item values whose mean is the task's main score, or, for AP, what it is computed from.

    Returns {"kind": "mean", "values": [...]} (retrieval: nDCG@10 per query; classification: share
    of mteb's experiments that got the item right; clustering: V-measure per set) or
    {"kind": "ap", "labels": [...], "scores": [...]} (pair classification).
    """
    spec = read_spec(folder)
    test = predictions["default"]["test"]
    if spec["type"] == "Retrieval":
        import pytrec_eval

        qrels = defaultdict(dict)
        for row in read_jsonl(folder / "qrels.jsonl"):
            qrels[row["query_id"]][row["doc_id"]] = int(row["score"])
        run = {q: {d: float(s) for d, s in docs.items()} for q, docs in test.items()}
        per_query = pytrec_eval.RelevanceEvaluator(dict(qrels), {"ndcg_cut.10"}).evaluate(run)
        return {"kind": "mean", "ids": sorted(qrels),
                "values": [per_query.get(q, {}).get("ndcg_cut_10", 0.0) for q in sorted(qrels)]}
    if spec["type"] == "Classification":
        gold = np.array([r["label"] for r in read_jsonl(folder / "test.jsonl")])
        hits = np.mean([np.asarray(run) == gold for run in test], axis=0)
        return {"kind": "mean", "values": hits.tolist()}
    if spec["type"] == "Clustering":
        from sklearn.metrics import v_measure_score

        sets = read_jsonl(folder / "test.jsonl")
        return {"kind": "mean", "values": [float(v_measure_score(s["labels"], run)) for s, run in zip(sets, test)]}
    labels = [r["label"] for r in read_jsonl(folder / "test.jsonl")]
    return {"kind": "ap", "labels": labels, "scores": test["similarity_scores"]}


def statistic(items: dict, index: np.ndarray | None = None) -> float:
    if items["kind"] == "mean":
        values = np.asarray(items["values"], dtype=float)
        return float(values.mean() if index is None else values[index].mean())
    from sklearn.metrics import average_precision_score

    labels, scores = np.asarray(items["labels"]), np.asarray(items["scores"], dtype=float)
    if index is not None:
        labels, scores = labels[index], scores[index]
    return float(average_precision_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def bootstrap_differences(a: dict, b: dict, resamples: int = 2000, seed: int = 0) -> tuple[float, np.ndarray]:
    """(score of a - score of b, the same difference on ``resamples`` paired resamples of the items).
    Resamples where AP is undefined (one class only) come back as NaN."""
    n = len(a["values"]) if a["kind"] == "mean" else len(a["labels"])
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    for r in range(resamples):
        index = rng.integers(0, n, n)
        diffs[r] = statistic(a, index) - statistic(b, index)
    return statistic(a) - statistic(b), diffs


def summarize(observed: float, diffs: np.ndarray, items: int | None = None) -> dict:
    """The difference with its 95% percentile interval and a two-sided bootstrap p-value (how often
    a resampled difference lands on the other side of zero, doubled)."""
    diffs = diffs[~np.isnan(diffs)]
    if not len(diffs):
        return {"difference": round(observed, 5), "ci95": None, "p_value": None, "items": items}
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    low, high = np.quantile(diffs, [0.025, 0.975])
    return {"difference": round(observed, 5), "ci95": [round(float(low), 5), round(float(high), 5)],
            "p_value": round(p, 5), "items": items}


def paired_comparison(a: dict, b: dict, resamples: int = 2000, seed: int = 0) -> dict:
    """Score of a minus score of b with a paired bootstrap interval and p-value."""
    observed, diffs = bootstrap_differences(a, b, resamples, seed)
    return summarize(observed, diffs, len(a["values"]) if a["kind"] == "mean" else len(a["labels"]))


@dataclass
class EmbedderEvaluateParams:
    """The ``embedder_evaluate:`` section."""
    batch_size: int = 64
    bootstrap_resamples: int = 2000
    hub_tasks: list[str] = field(default_factory=list)   # extra mteb task names (need the hub or its cache)


def evaluate_models(models: dict[str, str], task_dirs: list[Path], predictions_dir: Path, results_dir: Path,
                    p: EmbedderEvaluateParams) -> dict:
    """Run mteb for every model on every task folder; mteb's result JSON goes to
    ``results_dir/<model>/<task>.json``, its predictions to ``predictions_dir/<model>/``. Returns
    {"scores": {model: {task: main score}}, "items": {model: {task: item_scores(...)}}}."""
    import mteb

    from synthcraft.embedders import load_sentence_model

    tasks = [load_task(d) for d in task_dirs] + (list(mteb.get_tasks(tasks=p.hub_tasks)) if p.hub_tasks else [])
    results, items = {}, {}
    for name, spec in models.items():
        model = load_sentence_model(spec)
        folder = predictions_dir / name
        outcome = mteb.evaluate(model, tasks, cache=None, prediction_folder=folder,
                                show_progress_bar=False, encode_kwargs={"batch_size": p.batch_size},
                                overwrite_strategy="always")
        results[name], items[name] = {}, {}
        for task_result in outcome.task_results:
            (results_dir / name).mkdir(parents=True, exist_ok=True)
            task_result.to_disk(results_dir / name / f"{task_result.task_name}.json")
            results[name][task_result.task_name] = round(float(task_result.get_score()), 5)
        for task_dir in task_dirs:
            spec_name = read_spec(task_dir)["name"]
            predictions = json.loads((folder / f"{spec_name}_predictions.json").read_text())
            items[name][spec_name] = item_scores(task_dir, predictions)
    return {"scores": results, "items": items}
