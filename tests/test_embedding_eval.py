"""Local mteb tasks: building them, loading them offline, scoring, per-item scores, paired bootstrap."""
import json
import random

import numpy as np
import pytest

from synthcraft import assets
from synthcraft.embedding_eval import (E5EvaluateParams, TaskFolderError, TasksParams, build_tasks, evaluate_models,
                                       load_task, paired_comparison, sentences)
from synthcraft.files import read_jsonl
from synthcraft.splits import is_heldout

SMALL = TasksParams(heldout_share=0.5, retrieval_queries=6, classification_train_per_topic=8,
                    classification_test_per_topic=4, samples_per_label=4, n_experiments=2, clustering_sets=2,
                    clustering_topics_per_set=3, clustering_per_topic=5, pairs_per_topic=2, min_topic_questions=10)
SUBJECTS = {"astronomy": "planets stars orbit telescope galaxy", "cooking": "bread oven flour butter sauce",
            "law": "court judge contract statute appeal", "music": "melody chord violin rhythm choir"}


def corpus(n=40):
    rng = random.Random(1)
    rows = []
    for i in range(n):
        topic = list(SUBJECTS)[i % 4]
        words = SUBJECTS[topic].split()
        text = " ".join(f"Sentence {j} about {topic} mentions {rng.choice(words)} and {rng.choice(words)}."
                        for j in range(4))
        rows.append({"doc_id": f"{rng.getrandbits(96):024x}", "text": text})
    return rows


def mmlu(per_topic=30):
    rows = []
    for topic, vocabulary in SUBJECTS.items():
        words = vocabulary.split()
        for i in range(per_topic):
            rows.append({"topic": topic, "question": f"Question {i} on {topic}: what about the {words[i % 5]}?",
                         "answer_a": f"the {words[0]} is used often", "answer_b": f"the {words[1]} is rare here",
                         "answer_c": f"no {words[2]} at all today", "answer_d": "x", "correct_answer": "ABC"[i % 3]})
    return rows


@pytest.fixture(scope="module")
def task_dirs(tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks")
    rows = corpus()
    sizes = build_tasks(out, rows, mmlu(), SMALL)
    assert set(sizes) == {"WikiSentenceRetrieval", "MMLUTopicClassification", "MMLUTopicClustering", "MMLUAnswerPairs"}
    return out, rows


def test_built_tasks_keep_their_parts_apart(task_dirs):
    out, rows = task_dirs
    retrieval = out / "WikiSentenceRetrieval"
    heldout = {r["doc_id"]: r["text"] for r in rows if is_heldout(r["doc_id"], SMALL.heldout_share)}
    docs = {r["id"]: r["text"] for r in read_jsonl(retrieval / "corpus.jsonl")}
    assert set(docs) == set(heldout)                           # only held-out documents
    for query, qrel in zip(read_jsonl(retrieval / "queries.jsonl"), read_jsonl(retrieval / "qrels.jsonl")):
        assert query["text"] in sentences(heldout[qrel["doc_id"]])   # a sentence of its document...
        assert query["text"] not in docs[qrel["doc_id"]]              # ...taken out of it
    train = {r["text"] for r in read_jsonl(out / "MMLUTopicClassification/train.jsonl")}
    test = {r["text"] for r in read_jsonl(out / "MMLUTopicClassification/test.jsonl")}
    clustered = {s for row in read_jsonl(out / "MMLUTopicClustering/test.jsonl") for s in row["sentences"]}
    paired = {r["sentence1"] for r in read_jsonl(out / "MMLUAnswerPairs/test.jsonl")}
    assert not (train & test) and not (clustered & (train | test)) and not (paired & (train | test | clustered))
    labels = [r["label"] for r in read_jsonl(out / "MMLUAnswerPairs/test.jsonl")]
    assert labels.count(1) == labels.count(0) > 0


def test_missing_files_name_the_fix(tmp_path, task_dirs):
    with pytest.raises(TaskFolderError, match="task.json: missing"):
        load_task(tmp_path)
    (tmp_path / "task.json").write_text(json.dumps({"name": "X", "type": "Retrieval"}))
    (tmp_path / "queries.jsonl").write_text("")
    with pytest.raises(TaskFolderError, match="missing corpus.jsonl, qrels.jsonl.*e5_tasks"):
        load_task(tmp_path)
    (tmp_path / "task.json").write_text(json.dumps({"name": "X", "type": "Reranking"}))
    with pytest.raises(TaskFolderError, match="'Reranking' is not one of"):
        load_task(tmp_path)


@pytest.mark.slow
def test_offline_scores_are_deterministic_and_items_reproduce_them(task_dirs, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out, _ = task_dirs
    dirs = sorted(p for p in out.iterdir() if p.is_dir())
    params = E5EvaluateParams(bootstrap_resamples=100)
    first = evaluate_models({"base": assets.MINILM}, dirs, tmp_path / "p1", tmp_path / "r1", params)
    again = evaluate_models({"base": assets.MINILM}, dirs, tmp_path / "p2", tmp_path / "r2", params)
    assert first["scores"] == again["scores"]
    from synthcraft.embedding_eval import statistic

    for task, score in first["scores"]["base"].items():
        assert statistic(first["items"]["base"][task]) == pytest.approx(score, abs=1e-5), task   # mteb's own number
        assert json.loads((tmp_path / "r1/base" / f"{task}.json").read_text())["task_name"] == task


def test_paired_comparison():
    rng = np.random.default_rng(0)
    base = rng.random(300)
    better = {"kind": "mean", "values": (base + 0.05).tolist()}
    same = {"kind": "mean", "values": base.tolist()}
    result = paired_comparison(better, same, resamples=500)
    assert result["difference"] == pytest.approx(0.05) and result["p_value"] == 0.0
    assert result["ci95"][0] == pytest.approx(0.05) and result["items"] == 300
    noisy = {"kind": "mean", "values": (base + rng.normal(0, 0.3, 300)).tolist()}
    result = paired_comparison(noisy, same, resamples=500)
    assert result["ci95"][0] < result["difference"] < result["ci95"][1]
    labels = [1, 0] * 50
    ap_a = {"kind": "ap", "labels": labels, "scores": [0.9 if y else 0.1 for y in labels]}   # perfect ranking
    ap_b = {"kind": "ap", "labels": labels, "scores": rng.random(100).tolist()}
    result = paired_comparison(ap_a, ap_b, resamples=300)
    assert result["difference"] > 0.3 and result["ci95"][0] > 0 and result["p_value"] == 0.0
