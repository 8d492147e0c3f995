"""Contrastive training of the embedder: the loss falls, and the saved folder reloads exactly."""
import numpy as np
import pytest

from conftest import TOPICS
from synthcraft import assets
from synthcraft.methods.embedder.training import EmbedderTrainParams, query_text, train_embedder
from synthcraft.embedders import load_sentence_model

pytestmark = pytest.mark.slow


def rows():
    """Query: a topic's first sentence; positive: another sentence of it; negative: the next topic's;
    one task instruction for all."""
    names = list(TOPICS)
    out = []
    for i, topic in enumerate(names):
        other = TOPICS[names[(i + 1) % len(names)]]
        for j in range(2):
            out.append({"task": "Given a sentence, find another sentence on its topic", "query": TOPICS[topic][j],
                        "positive": TOPICS[topic][j + 2], "negative": other[j + 2]})
    return out


def contrastive_loss(model, data, scale=20.0):
    """Eq. 1 with in-batch negatives, computed from the model's embeddings (independent of the trainer)."""
    q = model.encode([query_text(r["query"], r["task"]) for r in data], normalize_embeddings=True)   # as trained
    docs = model.encode([r["positive"] for r in data] + [r["negative"] for r in data], normalize_embeddings=True)
    logits = scale * q @ docs.T
    logits -= logits.max(axis=1, keepdims=True)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(data)), np.arange(len(data))]))


@pytest.mark.parametrize("method", ["full", "lora"])
def test_training_lowers_the_loss_and_the_model_reloads(tmp_path, method):
    data = rows()
    params = EmbedderTrainParams(method=method, batch_size=8, epochs=3, learning_rate=1e-4 if method == "full" else 1e-3,
                                 warmup_ratio=0.0)
    stats = train_embedder(data, params, tmp_path / "model", tmp_path / "work")
    assert stats["steps"] == 3 * -(-len(data) // 8) and len(stats["loss_curve"]) == stats["steps"]
    before = contrastive_loss(load_sentence_model(assets.MINILM), data)
    trained = load_sentence_model(str(tmp_path / "model"))
    after = contrastive_loss(trained, data)
    assert after < before - 0.01, (before, after)
    texts = [r["query"] for r in data]
    reloaded = load_sentence_model(str(tmp_path / "model"))
    assert np.array_equal(trained.encode(texts), reloaded.encode(texts))
    assert not (tmp_path / "model" / "adapter_config.json").exists()   # LoRA is merged: a plain model folder


def test_too_few_rows_for_a_batch(tmp_path):
    with pytest.raises(ValueError, match="lower embedder_train.batch_size"):
        train_embedder(rows()[:3], EmbedderTrainParams(batch_size=8), tmp_path / "m", tmp_path / "w")


def test_saved_model_keeps_the_base_models_text_length(tmp_path):
    base = load_sentence_model(assets.MINILM)
    train_embedder(rows(), EmbedderTrainParams(batch_size=8, max_seq_length=32), tmp_path / "m", tmp_path / "w")
    assert load_sentence_model(str(tmp_path / "m")).max_seq_length == base.max_seq_length   # trained at 32


def test_queries_are_trained_behind_their_task_instruction():
    from synthcraft.methods.embedder.training import to_dataset

    data = [{**r, "task": "Find the paragraph about this topic"} for r in rows()]
    bare = [{k: v for k, v in r.items() if k != "task"} for r in rows()]
    anchors = to_dataset(data)["anchor"]
    assert anchors[0] == f"Instruct: Find the paragraph about this topic\nQuery: {data[0]['query']}"
    assert to_dataset(data)["positive"] == [r["positive"] for r in data]          # passages stay bare
    assert to_dataset(data, instruction=False)["anchor"] == [r["query"] for r in data]
    with pytest.raises(ValueError, match=r"data/x.jsonl: row 1 .* no task .* embedder_train.instruction=false"):
        to_dataset(bare, source="data/x.jsonl")
