"""Local mteb tasks: building them, loading them offline, scoring, per-item scores, paired bootstrap."""
import json

import numpy as np
import pytest

from conftest import SMALL, SMALL_HELDOUT, eval_corpus as corpus, eval_mmlu as mmlu
from synthcraft import assets
from synthcraft.files import read_jsonl
from synthcraft.methods.embedder.evaluation import (EmbedderEvaluateParams, TaskFolderError, evaluate_models, load_task,
                                                    paired_comparison)
from synthcraft.methods.embedder.splits import is_heldout
from synthcraft.methods.embedder.tasks import build_tasks, sentences



@pytest.fixture(scope="module")
def task_dirs(tmp_path_factory):
    out = tmp_path_factory.mktemp("tasks")
    rows = corpus()
    sizes = build_tasks(out, rows, mmlu(), SMALL, SMALL_HELDOUT)
    assert set(sizes) == {"WikiSentenceRetrieval", "MMLUTopicClassification", "MMLUTopicClustering", "MMLUAnswerPairs"}
    return out, rows


def test_built_tasks_keep_their_parts_apart(task_dirs):
    out, rows = task_dirs
    retrieval = out / "WikiSentenceRetrieval"
    heldout = {r["doc_id"]: r["text"] for r in rows if is_heldout(r["doc_id"], SMALL_HELDOUT)}
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
    with pytest.raises(TaskFolderError, match="missing corpus.jsonl, qrels.jsonl.*dvc repro"):
        load_task(tmp_path)
    (tmp_path / "queries.jsonl").write_text('{"id": "q1", "text": "what is a cell?"}\n')
    (tmp_path / "corpus.jsonl").write_text('{"id": "d1", "text": "A cell is..."}\n{"text": "no id"}\n')
    (tmp_path / "qrels.jsonl").write_text('{"query_id": "q1", "doc_id": "d2", "score": 1}\n')
    with pytest.raises(TaskFolderError, match=r"corpus.jsonl:2: missing id\. Fix: every line"):
        load_task(tmp_path)
    (tmp_path / "corpus.jsonl").write_text('{"id": "d1", "text": "A cell is..."}\n')
    with pytest.raises(TaskFolderError, match=r"qrels.jsonl:1: doc_id 'd2' is not an id in corpus.jsonl"):
        load_task(tmp_path)
    (tmp_path / "qrels.jsonl").write_text('{"query_id": "q1", "doc_id": "d1", "score": 1}\n')
    assert load_task(tmp_path).metadata.name == "X"
    (tmp_path / "task.json").write_text(json.dumps({"name": "X", "type": "Reranking"}))
    with pytest.raises(TaskFolderError, match="'Reranking' is not one of"):
        load_task(tmp_path)


@pytest.mark.slow
def test_offline_scores_are_deterministic_and_items_reproduce_them(task_dirs, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out, _ = task_dirs
    dirs = sorted(p for p in out.iterdir() if p.is_dir())
    params = EmbedderEvaluateParams(bootstrap_resamples=100)
    first = evaluate_models({"base": assets.MINILM}, dirs, tmp_path / "p1", tmp_path / "r1", params)
    again = evaluate_models({"base": assets.MINILM}, dirs, tmp_path / "p2", tmp_path / "r2", params)
    assert first["scores"] == again["scores"]
    from synthcraft.methods.embedder.evaluation import statistic

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


@pytest.mark.slow
def test_instructed_models_read_the_task_instruction_before_queries_only(task_dirs, tmp_path, monkeypatch):
    """The same MiniLM evaluated bare and instructed: the instructed run's retrieval scores are the
    cosine of "Instruct: ...\\nQuery: <query>" with the bare passage, the bare run's of the bare texts."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from synthcraft.embedders import load_sentence_model
    from synthcraft.methods.embedder.evaluation import instruction_prompts
    from synthcraft.methods.embedder.training import query_text

    out, _ = task_dirs
    folder = out / "WikiSentenceRetrieval"
    spec = json.loads((folder / "task.json").read_text())
    assert spec["instruction"] and instruction_prompts([folder]) == {
        "WikiSentenceRetrieval-query": query_text("", spec["instruction"])}
    assert set(instruction_prompts([out / "MMLUTopicClustering"])) == {"MMLUTopicClustering"}   # every text
    with pytest.raises(ValueError, match="not among the models"):
        evaluate_models({"base": assets.MINILM}, [folder], tmp_path, tmp_path, EmbedderEvaluateParams(), frozenset({"x"}))
    evaluate_models({"bare": assets.MINILM, "instructed": assets.MINILM}, [folder], tmp_path / "p", tmp_path / "r",
                    EmbedderEvaluateParams(), frozenset({"instructed"}))
    model = load_sentence_model(assets.MINILM)
    query = read_jsonl(folder / "queries.jsonl")[0]
    docs = {r["id"]: r["text"] for r in read_jsonl(folder / "corpus.jsonl")}
    for name, text in (("bare", query["text"]), ("instructed", query_text(query["text"], spec["instruction"]))):
        ranked = json.loads((tmp_path / "p" / name / "WikiSentenceRetrieval_predictions.json").read_text())
        scores = ranked["default"]["test"][query["id"]]
        doc_id = max(scores, key=scores.get)
        q, d = model.encode([text, docs[doc_id]], normalize_embeddings=True)
        assert float(q @ d) == pytest.approx(scores[doc_id], abs=1e-4), name
