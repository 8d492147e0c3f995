"""mteb on task folders, and paired comparisons of models on them.

mteb scores the models (its own evaluators, its result JSON); this module loads a task folder
(task.json plus the type's JSONL files, see ``FILES``; tasks.py builds the project's ones, and any
folder in that layout works) as an offline mteb custom task, and adds what mteb does not report:
per-item scores from mteb's saved predictions, so two models are compared item by item with paired
bootstrap intervals, the minimum detectable difference, and a check against chance. On a machine
with the hub, any mteb task name can be evaluated beside them (``embedder_evaluate.hub_tasks``).
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthcraft.files import read_jsonl
from synthcraft.methods.embedder.tasks import FILES, MAIN_SCORE

Z_TEST = 1.959964 + 0.841621   # a two-sided 5% test with 80% power (as synthcraft.evaluation.stats)


class TaskFolderError(ValueError):
    pass


# --- loading a task folder as an mteb task --------------------------------------------------


def read_spec(folder: Path) -> dict:
    spec_file = folder / "task.json"
    if not spec_file.exists():
        raise TaskFolderError(f"{spec_file}: missing. A task folder needs task.json (name, type, main_score). "
                              "Fix: run `dvc repro pipelines/embedder/dvc.yaml` (embedder_tasks and "
                              "embedder_benchmarks write the folders), or write it")
    spec = json.loads(spec_file.read_text())
    kind = spec.get("type")
    if kind not in FILES:
        raise TaskFolderError(f"{spec_file}: type {kind!r} is not one of {', '.join(FILES)}")
    missing = [f for f in FILES[kind] if not (folder / f).exists()]
    if missing:
        raise TaskFolderError(f"{folder}: a {kind} task needs {', '.join(FILES[kind])}; missing {', '.join(missing)}. "
                              "Fix: re-run `dvc repro pipelines/embedder/dvc.yaml` or add the files")
    return {"main_score": MAIN_SCORE[kind], **spec}


ROW_KEYS = {  # what every line of a task file needs, by task type and file
    "Retrieval": {"queries.jsonl": ("id", "text"), "corpus.jsonl": ("id", "text"),
                  "qrels.jsonl": ("query_id", "doc_id", "score")},
    "Classification": {"train.jsonl": ("text", "label"), "test.jsonl": ("text", "label")},
    "Clustering": {"test.jsonl": ("sentences", "labels")},
    "PairClassification": {"test.jsonl": ("sentence1", "sentence2", "label")},
    "STS": {"test.jsonl": ("sentence1", "sentence2", "score")},
}


def check_rows(folder: Path, kind: str) -> None:
    """Every line of every file holds its type's keys, and a retrieval task's qrels name queries and
    documents that exist: a brought task fails here, naming file, line and fix, not deep in mteb."""
    ids, rows_of = {}, {}
    for name, keys in ROW_KEYS[kind].items():
        rows = rows_of[name] = read_jsonl(folder / name)
        if not rows:
            raise TaskFolderError(f"{folder / name}: no rows. Fix: a {kind} task's {name} needs at least one line")
        for line, row in enumerate(rows, 1):
            missing = [k for k in keys if k not in row]
            if missing:
                raise TaskFolderError(f"{folder / name}:{line}: missing {', '.join(missing)}. Fix: every line of a "
                                      f"{kind} task's {name} needs {', '.join(keys)}")
        if name in ("queries.jsonl", "corpus.jsonl"):
            ids[name] = {row["id"] for row in rows}
    if kind == "Retrieval":
        for line, row in enumerate(rows_of["qrels.jsonl"], 1):
            for key, name in (("query_id", "queries.jsonl"), ("doc_id", "corpus.jsonl")):
                if row[key] not in ids[name]:
                    raise TaskFolderError(f"{folder / 'qrels.jsonl'}:{line}: {key} {row[key]!r} is not an id in "
                                          f"{name}. Fix: add it there or drop the line")


def load_task(folder: str | Path):
    """An mteb task instance reading ``folder`` (offline: nothing is fetched)."""
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.clustering_legacy import AbsTaskClusteringLegacy
    from mteb.abstasks.pair_classification import AbsTaskPairClassification
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
    from mteb.abstasks.sts import AbsTaskSTS
    from mteb.abstasks.task_metadata import TaskMetadata

    folder = Path(folder)
    spec = read_spec(folder)
    kind = spec["type"]
    check_rows(folder, kind)
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
            "Clustering": AbsTaskClusteringLegacy, "PairClassification": AbsTaskPairClassification,
            "STS": AbsTaskSTS}[kind]
    attributes = {"metadata": metadata, "load_data": load_data}
    if kind == "Classification":
        attributes.update(samples_per_label=spec.get("samples_per_label", 8), n_experiments=spec.get("n_experiments", 10))
    return type(spec["name"], (base,), attributes)()


# --- per-item scores from mteb's predictions --------------------------------------------------


def item_scores(folder: Path, predictions: dict) -> dict:
    """Per-item values whose mean is the task's main score, or, for AP, what it is computed from.

    Returns {"kind": "mean", "values": [...]} (retrieval: nDCG@10 per query; classification: share
    of mteb's experiments that got the item right; clustering: V-measure per set),
    {"kind": "ap", "labels": [...], "scores": [...]} (pair classification) or
    {"kind": "spearman", "labels": [...], "scores": [...]} (STS: human scores, cosine similarities).
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
        classes = {r["label"] for r in read_jsonl(folder / "train.jsonl")} | set(gold.tolist())
        return {"kind": "mean", "values": hits.tolist(), "chance": 1 / len(classes)}
    if spec["type"] == "Clustering":
        from sklearn.metrics import v_measure_score

        sets = read_jsonl(folder / "test.jsonl")
        return {"kind": "mean", "values": [float(v_measure_score(s["labels"], run)) for s, run in zip(sets, test)]}
    if spec["type"] == "STS":
        gold = [float(r["score"]) for r in read_jsonl(folder / "test.jsonl")]
        return {"kind": "spearman", "labels": gold, "scores": test["cosine_scores"]}
    labels = [r["label"] for r in read_jsonl(folder / "test.jsonl")]
    return {"kind": "ap", "labels": labels, "scores": test["similarity_scores"]}


def size(items: dict) -> int:
    return len(items["values"]) if items["kind"] == "mean" else len(items["labels"])


def statistic(items: dict, index: np.ndarray | None = None) -> float:
    """The task's score over all items, or over the resampled ``index``."""
    if items["kind"] == "mean":
        values = np.asarray(items["values"], dtype=float)
        return float(values.mean() if index is None else values[index].mean())
    labels, scores = np.asarray(items["labels"]), np.asarray(items["scores"], dtype=float)
    if index is not None:
        labels, scores = labels[index], scores[index]
    if items["kind"] == "spearman":
        from scipy.stats import spearmanr

        return float(spearmanr(labels, scores)[0]) if np.ptp(labels) > 0 and np.ptp(scores) > 0 else float("nan")
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def chance(items: dict, index: np.ndarray | None = None) -> float | None:
    """What the score is for embeddings that carry nothing: AP = the share of positive pairs,
    accuracy = 1 / classes, Spearman = 0; None where it has no fixed value (nDCG, V-measure)."""
    if items["kind"] == "ap":
        labels = np.asarray(items["labels"])
        return float((labels if index is None else labels[index]).mean())
    if items["kind"] == "spearman":
        return 0.0
    return items.get("chance")


def resample_indices(n: int, resamples: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        yield rng.integers(0, n, n)


def bootstrap_differences(a: dict, b: dict, resamples: int = 2000, seed: int = 0) -> tuple[float, np.ndarray]:
    """(score of a - score of b, the same difference on ``resamples`` paired resamples of the items).
    Resamples where the score is undefined (AP with one class only) come back as NaN."""
    diffs = np.array([statistic(a, index) - statistic(b, index) for index in resample_indices(size(a), resamples, seed)])
    return statistic(a) - statistic(b), diffs


def against_chance(items: dict, resamples: int = 2000, seed: int = 0) -> dict | None:
    """The score minus chance with its 95% bootstrap interval; ``at_chance`` when it includes 0."""
    if chance(items) is None:
        return None
    diffs = np.array([statistic(items, index) - chance(items, index)
                      for index in resample_indices(size(items), resamples, seed)])
    diffs = diffs[~np.isnan(diffs)]
    low, high = np.quantile(diffs, [0.025, 0.975])
    return {"chance": round(float(chance(items)), 5), "above_chance_ci95": [round(float(low), 5), round(float(high), 5)],
            "at_chance": bool(low <= 0 <= high)}


def summarize(observed: float, diffs: np.ndarray, items: int | None = None) -> dict:
    """The difference with its 95% percentile interval, a two-sided bootstrap p-value (how often a
    resampled difference lands on the other side of zero, doubled), and what the test can see: the
    minimum detectable difference (5% two-sided, 80% power, from the bootstrap standard error) and,
    with ``items``, how many items a 2-point (0.02) difference would need at the same spread."""
    diffs = diffs[~np.isnan(diffs)]
    if not len(diffs):
        return {"difference": round(observed, 5), "ci95": None, "p_value": None, "items": items}
    p = min(1.0, 2 * min(float((diffs <= 0).mean()), float((diffs >= 0).mean())))
    low, high = np.quantile(diffs, [0.025, 0.975])
    mde = Z_TEST * float(diffs.std(ddof=1)) if len(diffs) > 1 else float("nan")
    needed = math.ceil(items * (mde / 0.02) ** 2) if items and mde > 0 else None
    return {"difference": round(observed, 5), "ci95": [round(float(low), 5), round(float(high), 5)],
            "p_value": round(p, 5), "items": items, "minimum_detectable_difference": round(mde, 5),
            "items_for_2_points": needed}


def paired_comparison(a: dict, b: dict, resamples: int = 2000, seed: int = 0) -> dict:
    """Score of a minus score of b with a paired bootstrap interval and p-value."""
    observed, diffs = bootstrap_differences(a, b, resamples, seed)
    return summarize(observed, diffs, size(a))


@dataclass
class EmbedderEvaluateParams:
    """The ``embedder_evaluate:`` section."""
    batch_size: int = 64
    bootstrap_resamples: int = 2000
    hub_tasks: list[str] = field(default_factory=list)   # extra mteb task names (need the hub or its cache)


def instruction_prompts(task_dirs: list[Path]) -> dict[str, str]:
    """mteb prompt keys -> text for an instruction-trained model: "<task>-query" for a retrieval
    task (its passages are read bare, as in training), "<task>" for the symmetric types (every
    text). A task folder without an instruction gets none."""
    from synthcraft.methods.embedder.training import instruction_prefix

    prompts = {}
    for folder in task_dirs:
        spec = read_spec(folder)
        if spec.get("instruction"):
            key = f"{spec['name']}-query" if spec["type"] == "Retrieval" else spec["name"]
            prompts[key] = instruction_prefix(spec["instruction"])
    return prompts


def encoder_for_mteb(model, prompts: dict[str, str] | None):
    """mteb's wrapper for a sentence-transformers model, reading ``prompts`` (none: the model's own,
    as mteb would wrap it). They are set after construction: mteb checks prompt keys against its
    registry of hub tasks and would drop every key naming a local task folder."""
    from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper

    encoder = SentenceTransformerEncoderWrapper(model)
    if prompts:
        encoder.model_prompts = dict(prompts)
    return encoder


def evaluate_models(models: dict[str, str], task_dirs: list[Path], predictions_dir: Path, results_dir: Path,
                    p: EmbedderEvaluateParams, instructed: frozenset[str] = frozenset()) -> dict:
    """Run mteb for every model on every task folder; mteb's result JSON goes to
    ``results_dir/<model>/<task>.json``, its predictions to ``predictions_dir/<model>/``. The models
    named in ``instructed`` read each task's instruction (``instruction_prompts``), the others the
    bare texts. Returns {"scores": {model: {task: main score}}, "items": {model: {task: item_scores(...)}}}."""
    import mteb

    from synthcraft.embedders import load_sentence_model

    unknown = sorted(set(instructed) - set(models))
    if unknown:
        raise ValueError(f"instructed models {unknown} are not among the models {sorted(models)}")
    tasks = [load_task(d) for d in task_dirs] + (list(mteb.get_tasks(tasks=p.hub_tasks)) if p.hub_tasks else [])
    prompts = instruction_prompts(task_dirs)
    results, items = {}, {}
    for name, spec in models.items():
        model = encoder_for_mteb(load_sentence_model(spec), prompts if name in instructed else None)
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
