"""Influence arithmetic, the t-test and Holm's correction against scipy / statsmodels-free references."""
import numpy as np
import pytest
from scipy import stats

from synthcraft.methods.embedder.categories import CATEGORIES
from synthcraft.methods.embedder.influence import holm, influence_table, subset_name, subsets


def test_subsets():
    all_subsets = subsets()
    assert len(all_subsets) == 16 and len(set(all_subsets)) == 16 and all_subsets[0] == ()
    assert subset_name(()) == "base" and subset_name(("short-long", "long-long")) == "sl-ll"
    for category in CATEGORIES:
        assert sum(category in s for s in all_subsets) == 8


def test_influence_on_a_hand_made_table():
    rng = np.random.default_rng(0)
    scores = {}
    for subset in subsets():
        # long-short adds 6 points to classification; short-long takes 1 from STS; noise elsewhere
        scores[subset_name(subset)] = {
            "Classification": 50 + 6 * ("long-short" in subset) + rng.normal(0, 0.5),
            "STS": 80 - 1 * ("short-long" in subset) + rng.normal(0, 0.5)}
    table = influence_table(scores)
    with_ls = [scores[subset_name(s)]["Classification"] for s in subsets() if "long-short" in s]
    without_ls = [scores[subset_name(s)]["Classification"] for s in subsets() if "long-short" not in s]
    cell = table["long-short"]["Classification"]
    assert cell["influence"] == pytest.approx(np.mean(with_ls) - np.mean(without_ls))
    assert cell["p"] == pytest.approx(stats.ttest_ind(with_ls, without_ls).pvalue) and cell["n"] == [8, 8]
    assert cell["influence"] == pytest.approx(6, abs=0.6) and cell["p_holm"] < 0.001
    assert table["short-long"]["STS"]["influence"] == pytest.approx(-1, abs=0.6)
    assert table["short-short"]["Classification"]["p_holm"] > 0.05   # pure noise


def test_holm():
    p = [0.01, 0.04, 0.03, 0.5]
    # sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> monotone 0.09, 0.5*1 -> 0.5
    assert holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])


def test_parse_cell():
    from synthcraft.methods.embedder.influence import parse_cell

    assert parse_cell("base") == ((), 0)
    assert parse_cell("sl-ll") == (("short-long", "long-long"), 0)
    assert parse_cell("ss-sl-ls-ll-seed2") == (tuple(CATEGORIES), 2)
    with pytest.raises(ValueError, match="unknown category code"):
        parse_cell("ss-xx")


def test_influence_stage_on_hand_made_cells(tmp_path):
    import json

    from conftest import load_stage

    stage = load_stage("embedder/influence")
    cells = tmp_path / "cells"
    cells.mkdir()
    rng = np.random.default_rng(1)
    types = {"R": "Retrieval", "C": "Classification"}
    for subset in subsets():
        scores = {"R": 0.8 + rng.normal(0, 0.001), "C": 0.5 + 0.04 * ("long-short" in subset) + rng.normal(0, 0.001)}
        (cells / f"{subset_name(subset)}.json").write_text(json.dumps({"rows": 10, "scores": scores, "task_types": types}))
    for seed in (1, 2):
        scores = {"R": 0.8 + rng.normal(0, 0.001), "C": 0.54 + rng.normal(0, 0.001)}
        (cells / f"ss-sl-ls-ll-seed{seed}.json").write_text(json.dumps({"rows": 10, "scores": scores, "task_types": types}))
    paths = stage.Paths(cells=cells, metrics=tmp_path / "influence.json", table_csv=tmp_path / "t.csv",
                        heatmap=tmp_path / "h.png")
    report = stage.run(None, paths)
    assert report["influence"]["long-short"]["Classification"]["influence"] == pytest.approx(0.04, abs=0.002)
    assert report["influence"]["long-short"]["Classification"]["p_holm"] < 0.001
    assert report["influence"]["short-short"]["Retrieval"]["p_holm"] > 0.05
    assert report["noise_runs"] == 3 and report["seed_noise_sd"]["Classification"] < 0.01
    assert (tmp_path / "h.png").stat().st_size > 1000 and len((tmp_path / "t.csv").read_text().splitlines()) == 9


def test_a_subset_without_rows_is_refused(tmp_path):
    import json

    from conftest import load_stage

    stage = load_stage("embedder/subset")
    (tmp_path / "train.jsonl").write_text(json.dumps({"category": "short-long", "query": "q", "positive": "p",
                                                      "negative": "n"}) + "\n")
    paths = stage.Paths(cell=tmp_path / "ss-sl", out=tmp_path / "out.json", base=tmp_path / "base.jsonl",
                        data=tmp_path / "train.jsonl")
    with pytest.raises(SystemExit, match="has no short-short rows.*embedder_instances.per_category"):
        stage.run(None, paths)


@pytest.mark.slow
def test_one_cell_trains_on_base_plus_its_categories_and_scores(tmp_path, monkeypatch):
    import json
    from types import SimpleNamespace

    from conftest import TOPICS, load_stage
    from synthcraft.methods.embedder.training import EmbedderTrainParams
    from synthcraft.methods.embedder.evaluation import EmbedderEvaluateParams
    from synthcraft.methods.embedder.influence import InfluenceParams
    from synthcraft.methods.embedder.tasks import BenchmarksParams, build_benchmarks, build_tasks
    from conftest import REPO, SMALL, SMALL_HELDOUT, eval_corpus as corpus, eval_mmlu as mmlu

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    build_tasks(tmp_path / "tasks", corpus(), mmlu(), SMALL, SMALL_HELDOUT)
    build_benchmarks(tmp_path / "benchmarks", REPO / "data/eval", BenchmarksParams(tasks=["STSBenchmark"], max_items=40))
    names = list(TOPICS)
    row = lambda i, category: {"category": category, "task": f"Find more about {names[i]}",
                               "query": TOPICS[names[i]][0], "positive": TOPICS[names[i]][1],
                               "negative": TOPICS[names[(i + 1) % 10]][1]}
    (tmp_path / "base.jsonl").write_text("".join(json.dumps(row(i, "short-long")) + "\n" for i in range(4)))
    synthetic = [row(i, c) for i in range(10) for c in ("long-short", "long-long")]
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in synthetic))
    stage = load_stage("embedder/subset")
    paths = stage.Paths(cell=tmp_path / "ls", out=tmp_path / "ls.json", base=tmp_path / "base.jsonl",
                        data=tmp_path / "train.jsonl", tasks=tmp_path / "tasks", benchmarks=tmp_path / "benchmarks",
                        work=tmp_path / "work")
    params = SimpleNamespace(embedder_train=EmbedderTrainParams(batch_size=4), embedder_evaluate=EmbedderEvaluateParams(),
                             embedder_influence=InfluenceParams())
    result = stage.run(params, paths)
    assert result["rows"] == 4 + 10 and result["categories"] == ["long-short"] and result["seed"] == 0
    # the four local tasks and STS-B, the task type the paper's short-long effect is about
    assert set(result["scores"]) == set(result["task_types"]) and len(result["scores"]) == 5
    assert result["task_types"]["STSBenchmark"] == "STS" and -1 <= result["scores"]["STSBenchmark"] <= 1
    assert json.loads((tmp_path / "ls.json").read_text()) == result


def test_the_pipeline_has_one_cell_per_subset():
    import yaml

    from conftest import REPO
    from synthcraft.methods.embedder.influence import FULL, parse_cell

    spec = yaml.safe_load((REPO / "pipelines/embedder/influence/dvc.yaml").read_text())
    cells = spec["stages"]["embedder_subset"]["foreach"]
    assert [c for c in cells if "-seed" not in c] == [subset_name(s) for s in subsets()]
    assert [parse_cell(c) for c in cells if "-seed" in c] == [(parse_cell(FULL)[0], 1), (parse_cell(FULL)[0], 2)]


def test_cells_score_the_local_tasks_then_the_named_benchmarks(tmp_path):
    from synthcraft.methods.embedder.influence import InfluenceParams, task_folders

    local, benchmarks = tmp_path / "mteb_tasks", tmp_path / "benchmarks"
    for folder in (local / "LocalRetrieval", local / "LocalClustering", benchmarks / "STSBenchmark",
                   benchmarks / "SciQRetrieval"):
        folder.mkdir(parents=True)
    assert InfluenceParams().benchmarks == ["STSBenchmark"]
    assert task_folders(local, benchmarks, ["STSBenchmark"]) == [
        local / "LocalClustering", local / "LocalRetrieval", benchmarks / "STSBenchmark"]
    assert task_folders(local, benchmarks, []) == [local / "LocalClustering", local / "LocalRetrieval"]
    with pytest.raises(FileNotFoundError, match=r"no task folder \['Banking77Clustering'\] .* Fix: add them to "
                                                r"embedder_benchmarks.tasks"):
        task_folders(local, benchmarks, ["Banking77Clustering"])
