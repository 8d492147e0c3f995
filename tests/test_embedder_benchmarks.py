"""The embedder's shipped benchmarks (STS-B, BANKING77, SciQ retrieval), its checks against chance and
detectable size, and its positive control (human SciQ question -> passage rows)."""
import shutil
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import REPO, load_stage
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embedder.control import EmbedderControlParams, human_pairs, usable_questions
from synthcraft.methods.embedder.evaluation import against_chance, paired_comparison, read_spec, statistic
from synthcraft.methods.embedder.mining import MineParams
from synthcraft.methods.embedder.tasks import BENCHMARKS, BenchmarksParams, build_benchmarks

EVAL = REPO / "data" / "eval"


@pytest.fixture(scope="module")
def benchmarks(tmp_path_factory):
    out = tmp_path_factory.mktemp("benchmarks")
    return out, build_benchmarks(out, EVAL, BenchmarksParams(clustering_sets=3))


def test_every_shipped_benchmark_is_a_task_folder_with_its_counts(benchmarks):
    out, sizes = benchmarks
    assert set(sizes) == set(BENCHMARKS) and all(read_spec(out / name)["name"] == name for name in BENCHMARKS)
    assert sizes["STSBenchmark"] == {"test.jsonl": 1379}
    assert sizes["Banking77Classification"] == {"train.jsonl": 10003, "test.jsonl": 3080}
    labels = {r["label"] for r in read_jsonl(out / "Banking77Classification/test.jsonl")}
    assert labels == set(range(77))
    for cluster_set in read_jsonl(out / "Banking77Clustering/test.jsonl"):
        assert len(set(cluster_set["labels"])) == 20 and len(cluster_set["sentences"]) == len(cluster_set["labels"])
    assert read_spec(out / "STSBenchmark")["main_score"] == "cosine_spearman"


def test_sciq_retrieval_asks_each_question_for_its_own_passage(benchmarks):
    out, sizes = benchmarks
    folder = out / "SciQRetrieval"
    docs = {r["id"]: r["text"] for r in read_jsonl(folder / "corpus.jsonl")}
    questions = {r["id"]: r for r in read_jsonl(EVAL / "sciq/test.jsonl")}
    qrels = read_jsonl(folder / "qrels.jsonl")
    assert len(qrels) == len(read_jsonl(folder / "queries.jsonl")) == 884        # test questions with a passage
    assert len(docs) == len(set(docs.values())) > 1700                          # test + validation, each once
    for qrel in qrels:
        assert docs[qrel["doc_id"]] == questions[qrel["query_id"]]["support"].strip()


def test_max_items_draws_a_seeded_subset(tmp_path):
    small = build_benchmarks(tmp_path / "a", EVAL, BenchmarksParams(tasks=["STSBenchmark"], max_items=50))
    again = build_benchmarks(tmp_path / "b", EVAL, BenchmarksParams(tasks=["STSBenchmark"], max_items=50))
    assert small == {"STSBenchmark": {"test.jsonl": 50}}
    assert (tmp_path / "a/STSBenchmark/test.jsonl").read_bytes() == (tmp_path / "b/STSBenchmark/test.jsonl").read_bytes()
    with pytest.raises(ValueError, match="not shipped benchmarks"):
        BenchmarksParams(tasks=["SciFact"])


def test_a_changed_shipped_file_stops_with_the_fix(tmp_path):
    shutil.copytree(EVAL / "stsb", tmp_path / "stsb")
    text = (tmp_path / "stsb/test.jsonl").read_text()
    (tmp_path / "stsb/test.jsonl").write_text(text.replace('"score": 2.5', '"score": 2.6', 1))
    with pytest.raises(ValueError, match="stsb/test.jsonl: sha256 .* provenance"):
        build_benchmarks(tmp_path / "out", tmp_path, BenchmarksParams(tasks=["STSBenchmark"]))


def test_chance_and_spearman_statistics():
    rng = np.random.default_rng(0)
    labels = [1, 0] * 200
    random_ap = {"kind": "ap", "labels": labels, "scores": rng.random(400).tolist()}
    perfect_ap = {"kind": "ap", "labels": labels, "scores": [float(y) + rng.random() * 0.1 for y in labels]}
    assert against_chance(random_ap, 300)["at_chance"] and against_chance(random_ap, 300)["chance"] == 0.5
    assert not against_chance(perfect_ap, 300)["at_chance"]
    gold = rng.random(300) * 5
    sts = {"kind": "spearman", "labels": gold.tolist(), "scores": (gold + rng.normal(0, 1, 300)).tolist()}
    assert 0.7 < statistic(sts) < 1 and not against_chance(sts, 300)["at_chance"]
    noise = {"kind": "spearman", "labels": gold.tolist(), "scores": rng.random(300).tolist()}
    assert against_chance(noise, 300)["at_chance"]
    assert against_chance({"kind": "mean", "values": [0.5] * 10}, 100) is None   # nDCG: no fixed chance level


def test_detectable_difference_shrinks_with_items_and_sizes_a_2_point_test():
    rng = np.random.default_rng(1)
    results = {}
    for n in (200, 800):
        base = rng.random(n)
        better = base + 0.02 + rng.normal(0, 0.2, n)
        results[n] = paired_comparison({"kind": "mean", "values": better.tolist()},
                                       {"kind": "mean", "values": base.tolist()}, resamples=1000)
    assert results[800]["minimum_detectable_difference"] < results[200]["minimum_detectable_difference"]
    # 2.8 x 0.2 / sqrt(n) -> about 0.04 at 200 items; a 2-point difference needs about 800
    assert results[200]["minimum_detectable_difference"] == pytest.approx(2.8 * 0.2 / np.sqrt(200), rel=0.2)
    assert results[200]["items_for_2_points"] == pytest.approx(785, rel=0.25)


def fake_encode(texts):
    """Bag-of-words vectors: texts that share words are near, as a real embedder would have them."""
    vocab = sorted({w for t in texts for w in t.lower().split()}) if not hasattr(fake_encode, "vocab") else fake_encode.vocab
    index = {w: i for i, w in enumerate(vocab)}
    out = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            if word in index:
                out[row, index[word]] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_control_rows_are_nested_and_never_use_an_evaluation_passage():
    rows = read_jsonl(EVAL / "sciq/train.jsonl")
    held_out = {r["support"].strip() for r in read_jsonl(EVAL / "sciq/test.jsonl") if r["support"].strip()}
    usable, dropped = usable_questions(rows, held_out)
    assert dropped["no_support"] > 100 and len(usable) + sum(dropped.values()) == len(rows)
    fake_encode.vocab = sorted({w for r in usable for t in (r["question"], r["support"]) for w in t.lower().split()})
    mine = MineParams(ranks=[2, 4])
    small, stats = human_pairs(usable, 30, fake_encode, mine, EmbedderControlParams(), "train.jsonl")
    large, _ = human_pairs(usable, 60, fake_encode, mine, EmbedderControlParams(), "train.jsonl")
    assert stats["rows"] == len(small) == 30 and small == large[:30]            # a larger N holds the smaller
    assert all(r["negative"] != r["positive"] and r["positive"] not in held_out for r in large)
    with pytest.raises(ValueError, match="N=5000 pairs wanted .* Fix: lower embedder_control.n"):
        human_pairs(usable, 5000, fake_encode, mine, EmbedderControlParams(), "train.jsonl")


@pytest.mark.slow
def test_control_stage_sizes_itself_by_the_synthetic_set(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from synthcraft.methods.embedder.training import EmbedderTrainParams

    write_jsonl(tmp_path / "train.jsonl", [{"query": "q", "positive": "p", "negative": "n"}] * 12)
    stage = load_stage("embedder/control")
    paths = stage.Paths(size_of=tmp_path / "train.jsonl", train=EVAL / "sciq/train.jsonl", evaluation=EVAL / "sciq",
                        out=tmp_path / "control.jsonl", metrics=tmp_path / "m.json")
    params = SimpleNamespace(embedder_control=EmbedderControlParams(), embedder_mine=MineParams(),
                             embedder_train=EmbedderTrainParams())
    report = stage.run(params, paths)
    rows = read_jsonl(tmp_path / "control.jsonl")
    assert report["n"] == 12 and len(rows) == report["rows"] == 12 - report["no_negative"]
    assert report["left_out"]["passage_in_evaluation"] == 1 and all(r["source"] == "human" for r in rows)


@pytest.mark.slow
def test_benchmark_items_reproduce_mtebs_scores(tmp_path, monkeypatch):
    """Per-item scores (what the paired bootstrap resamples) give back mteb's own number on every
    benchmark type, STS's Spearman included."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from synthcraft import assets
    from synthcraft.methods.embedder.evaluation import EmbedderEvaluateParams, evaluate_models

    build_benchmarks(tmp_path / "tasks", EVAL, BenchmarksParams(max_items=40, clustering_sets=2, clustering_intents_per_set=4,
                                                                samples_per_label=2, n_experiments=2))
    dirs = sorted(d for d in (tmp_path / "tasks").iterdir())
    outcome = evaluate_models({"base": assets.MINILM}, dirs, tmp_path / "predictions", tmp_path / "results",
                              EmbedderEvaluateParams())
    assert set(outcome["scores"]["base"]) == set(BENCHMARKS)
    for task, score in outcome["scores"]["base"].items():
        assert statistic(outcome["items"]["base"][task]) == pytest.approx(score, abs=1e-5), task
    assert outcome["scores"]["base"]["SciQRetrieval"] > 0.5 and outcome["scores"]["base"]["STSBenchmark"] > 0.5
