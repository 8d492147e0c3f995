"""The embedder pipeline end to end under DVC, in a temporary git repo, on the tiny profile
(profiles/embedder-tiny.yaml: 600 Wikipedia summaries, SmolLM2 teacher, MiniLM student).

The teacher's replies are SmolLM2's, recorded (tests/data/recorded/embedder-tiny.jsonl) and played
back through the real ``openai`` backend and request runner (tests/replay_teacher.py): live, its
sampled text depends on the CPU's kernels, and 2 brainstorm requests per category left a category
empty on an AVX2-only machine. The live teacher runs end to end in tests/test_pipeline.py.
"""
import json

import pytest
import yaml

from conftest import git_repo, method_repo, ran_stages, recorded_teacher, run, teach_from

pytestmark = pytest.mark.slow
PIPELINE = "pipelines/embedder/dvc.yaml"


def stages(output: str) -> list[str]:
    return [name.split(":")[-1] for name in ran_stages(output)]   # "pipelines/embedder/dvc.yaml:embedder_mine" -> "embedder_mine"


@pytest.fixture(scope="module")
def teacher():
    with recorded_teacher("embedder-tiny") as replay:
        yield replay


@pytest.fixture(scope="module")
def repo(tmp_path_factory, teacher):
    return teach_from(method_repo(git_repo(tmp_path_factory.mktemp("embedder")), "embedder-tiny"), teacher)


def test_embedder_pipeline_runs_end_to_end(repo, teacher):
    result = run(repo, "dvc", "repro", PIPELINE)
    assert teacher.missed == 0 and teacher.answered == 8 + 32  # brainstorm + instances
    assert set(stages(result.stdout)) == {  # upstream default stages included
        "prepare", "embed", *(f"embedder_{s}" for s in ("tasks", "benchmarks", "brainstorm", "instances", "mine", "train",
                                                        "ablation@instructed", "ablation@unfiltered", "control",
                                                        "train_control", "evaluate", "report"))}
    instances = json.loads((repo / "metrics/embedder/instances.json").read_text())
    assert instances["requests"] == 32 and instances["instances"] + sum(instances["rejected"].values()) == 32
    mine = json.loads((repo / "metrics/embedder/mine.json").read_text())
    assert mine["mined"] + mine["kept_generated"] + mine["no_negative"] == instances["instances"]
    rows = [json.loads(line) for line in (repo / "data/embedder/train.jsonl").read_text().splitlines()]
    assert rows and all(r["negative"] and r["negative"] != r["positive"] and r["task"] for r in rows)
    every = [json.loads(line) for line in (repo / "data/embedder/train_unfiltered.jsonl").read_text().splitlines()]
    assert [r for r in every if r.get("consistent", True)] == rows and mine["rows"] == len(rows)
    assert mine["rows_unfiltered"] == len(every) == mine["mined"] + mine["kept_generated"]
    card = json.loads((repo / "data/embedder/metadata.json").read_text())   # the dataset card, beside the triples
    assert card["configs"]["default"]["rows"] == len(rows) and card["configs"]["default"]["teacher_funnel"]["instances"] \
        == instances["instances"] and card["teacher"] == f"{instances['model']} via {instances['backend']}"
    assert (repo / "models/embedder/config_sentence_transformers.json").exists()
    control = json.loads((repo / "metrics/embedder/control.json").read_text())
    assert control["n"] == len(rows) and control["rows"] + control["no_negative"] == len(rows)   # sized by the synthetic set
    report = json.loads((repo / "metrics/embedder/evaluate.json").read_text())
    # embedder_repeats.seeds [1] (the tiny profile): the main comparison's two models once more each
    assert report["models"] == ["base", "trained", "human", "instructed", "unfiltered", "trained@seed1", "human@seed1"]
    assert (repo / "models/embedder/seeds/seed-1/modules.json").exists()
    assert set(json.loads((repo / "metrics/embedder/train_control.json").read_text())["repeat_seeds"]) == {"1"}
    across = report["across_seeds"]
    assert set(across) == {"trained", "human"} and set(across["trained"]) == {*report["tasks"], *(
        f"mean ({group})" for group in report["mean"])}
    sciq = across["trained"]["SciQRetrieval"]
    assert sciq["values"] == [round(report["tasks"]["SciQRetrieval"][m], 4) for m in ("trained", "trained@seed1")]
    assert sciq["vs_base"]["seeds"] == 2 and sciq["vs_human"]["test"] == "paired t over seeds"
    assert "vs_human" not in across["human"]["SciQRetrieval"]
    assert report["instructed"] == ["instructed"]   # only the ablation trained behind instructions; it reads them
    assert json.loads((repo / "metrics/embedder/train_instructed.json").read_text())["instruction"] is True
    assert json.loads((repo / "metrics/embedder/train.json").read_text())["instruction"] is False
    assert set(report["tasks"]) == {"WikiSentenceRetrieval", "MMLUTopicClassification", "MMLUTopicClustering",
                                    "MMLUAnswerPairs", "STSBenchmark", "Banking77Classification",
                                    "Banking77Clustering", "SciQRetrieval"}
    for task in report["tasks"].values():
        assert -1 <= task["base"] <= 1 and set(task["comparisons"]) == {
            "trained - base", "human - base", "trained - human", "trained - instructed", "trained - unfiltered"}
        for pair, result in task["comparisons"].items():
            a, b = pair.split(" - ")
            assert result["difference"] == pytest.approx(task[a] - task[b], abs=1e-4)
            assert result["minimum_detectable_difference"] >= 0   # 0 where two models score every item alike
    assert report["tasks"]["STSBenchmark"]["group"] == "benchmark" and "against_chance" in report["tasks"]["STSBenchmark"]
    means = report["mean"]["all"]
    assert set(means["tasks"]) == set(report["tasks"]) - set(report["at_chance"])   # a task at chance is left out
    assert (repo / "metrics/embedder/mteb/human/SciQRetrieval.json").exists()
    page = (repo / "reports/embedder.html").read_text()      # the run report, from these metrics and the card
    assert "SciQRetrieval (ndcg_at_10, ×100): synthetic − base" in page and f"<td>{card['teacher']}</td>" in page
    assert "Across training seeds" in page and "human control, seed 1" in page
    diff = run(repo, "dvc", "metrics", "show").stdout
    assert "metrics/embedder/evaluate.json" in diff


def test_only_what_changed_reruns(repo):
    run(repo, "dvc", "repro", PIPELINE)  # no-op after the end-to-end test; the whole run when alone
    assert stages(run(repo, "dvc", "repro", PIPELINE).stdout) == []
    params = yaml.safe_load((repo / "params.yaml").read_text())
    original = params["embedder_train"]["learning_rate"]
    params["embedder_train"]["learning_rate"] = 3.0e-5
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # --dry: DVC's decision without retraining what the end-to-end test trained. A dry run lists the
    # stages whose own deps or params changed; embedder_evaluate follows once their outputs change.
    assert sorted(stages(run(repo, "dvc", "repro", "--dry", PIPELINE).stdout)) == [
        "embedder_ablation@instructed", "embedder_ablation@unfiltered", "embedder_train", "embedder_train_control"]
    params["embedder_train"]["learning_rate"] = original
    params["embedder_repeats"]["seeds"] = [2]   # only the two trainings that repeat
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert sorted(stages(run(repo, "dvc", "repro", "--dry", PIPELINE).stdout)) == ["embedder_train", "embedder_train_control"]
