"""The EmbedSDG pipeline end to end under DVC, in a temporary git repo, on the tiny profile
(profiles/embedsdg-tiny.yaml: 4 MMLU subjects, SmolLM2 as student and teacher).

The teacher's replies are SmolLM2's, recorded (tests/data/recorded/embedsdg-tiny.jsonl) and played
back through the real ``openai`` backend (tests/replay_teacher.py); the student's decoding runs live
(torch under the portable kernels: the same drafts, so the same prompts, on any x86 CPU)."""
import json

import pytest
import yaml

from conftest import REPO, git_repo, method_repo, ran_stages, recorded_teacher, run, teach_from
from synthcraft.methods.embedsdg.arms import ARMS

pytestmark = pytest.mark.slow
PIPELINE = "pipelines/embedsdg/dvc.yaml"


def stages(output: str) -> list[str]:
    return [name.split(":")[-1] for name in ran_stages(output)]   # "pipelines/embedsdg/dvc.yaml:embedsdg_embed" -> "embedsdg_embed"


@pytest.fixture(scope="module")
def teacher():
    with recorded_teacher("embedsdg-tiny") as replay:
        yield replay


@pytest.fixture(scope="module")
def repo(tmp_path_factory, teacher):
    return teach_from(method_repo(git_repo(tmp_path_factory.mktemp("embedsdg")), "embedsdg-tiny"), teacher)


def metrics(repo, name: str) -> dict:
    return json.loads((repo / "metrics/embedsdg" / name).read_text())


def test_embedsdg_pipeline_runs_end_to_end(repo, teacher):
    result = run(repo, "dvc", "repro", PIPELINE)
    assert teacher.missed == 0 and teacher.answered == 6 + 6 + 9
    steps = ("split", "student", "embed", "regions", "decode", "fidelity", "generate", "filter", "evaluate", "correlation",
             "report", "density_split", "density_student", "density_embed", "density_score", "density_correlation")
    assert set(stages(result.stdout)) == {"base", *(f"embedsdg_{s}" for s in steps)} | {
        f"embedsdg_train@{arm}" for arm in ARMS}
    split = metrics(repo, "split.json")
    assert split["pool"] == 48 and split["eval"] == 24 and split["human"] == 8
    fidelity = metrics(repo, "fidelity.json")   # the identity control: every weighting x prompt x join, 2 seeds each
    assert fidelity["samples"] == 2 and len(fidelity["settings"]) == 8 and fidelity["best"] in fidelity["settings"]
    assert all(0 <= s["exact"] <= 1 and 0 <= s["bleu"] <= 100 and 0 <= s["usable"] <= 1 for s in fidelity["settings"].values())
    assert len((repo / "data/embedsdg/fidelity.jsonl").read_text().splitlines()) == 8 * 2   # every decoding kept
    regions = metrics(repo, "regions.json")
    assert regions["embedsdg_pairs"] == 6 and regions["candidate_cells"] >= 1
    assert (repo / "metrics/embedsdg/grid_density.csv").read_text().startswith("points_in_cell,cells\n")
    decode = metrics(repo, "decode.json")
    for kind in ("embedsdg", "random_pairs"):
        assert decode[kind]["pairs"] == 6 and decode[kind]["usable"] + sum(decode[kind]["degenerate"].values()) == 6
    generate = metrics(repo, "generate.json")
    assert generate["per_kind"]["random_seeds"]["requests"] == 9
    assert generate["requests"] == 6 + 6 + 9            # degenerate decodings go without a draft (no_draft)
    assert generate["per_kind"]["embedsdg"]["with_draft"] == decode["embedsdg"]["usable"]
    spend = metrics(repo, "filter.json")
    n = spend["examples_per_arm"]
    assert n >= 1 and [spend["arm_sizes"][a] for a in ARMS[:3]] == [n, n, n]
    assert spend["tokens_spent"]["random_seeds_tokens"] <= spend["tokens_spent"]["embedsdg"]
    card = json.loads((repo / "data/embedsdg/arms/metadata.json").read_text())   # the dataset card, beside the arms
    assert [card["configs"][a]["rows"] for a in ARMS[:3]] == [n, n, n] and card["license"] == "mit"
    assert spend["arm_sizes"]["human"] == n and spend["arm_sizes"]["human_all"] == 8   # the control: real items
    first = json.loads((repo / "data/embedsdg/arms/embedsdg.jsonl").read_text().splitlines()[0])
    assert first["doc_id"] and {"prompt", "completion"} <= set(first)
    report = metrics(repo, "evaluate.json")
    assert set(report["models"]) == {"base", "student", *ARMS} and report["items"] == 24
    assert sum(report["split_counts"].values()) == 24
    for comparison in ("embedsdg_vs_random_seeds", "embedsdg_vs_student", "random_seeds_tokens_vs_student",
                       "embedsdg_vs_human", "human_vs_student"):
        assert "mcnemar_p" in report["comparisons"][comparison]["all"]
    correlation = metrics(repo, "correlation.json")
    assert correlation["accuracy"]["regions"] == len(correlation["regions"])
    density = metrics(repo, "density/score.json")   # the SciQ density check: its own D, student and items
    assert metrics(repo, "density/split.json")["pool"] == 48 and density["items"] == 24
    assert set(density["models"]) == {"base", "student"} and "mcnemar_p" in density["student_vs_base"]
    points = [json.loads(line) for line in (repo / "data/embedsdg/density/space/points.jsonl").read_text().splitlines()]
    assert [sum(p["split"] == s for p in points) for s in ("pool", "eval")] == [48, 24]
    density_correlation = metrics(repo, "density/correlation.json")
    assert density_correlation["accuracy"]["regions"] == len(density_correlation["regions"])
    assert set(density_correlation["base_contrast"]) == {"accuracy", "mean_logprob"}   # the untuned model beside it
    cells = density_correlation["cells_per_axis"]   # the same check under other region definitions
    run(repo, "python", str(REPO / "scripts/embedsdg_density_variants.py"), "--grids", f"2:{cells},3:2", "--neighbours", "3")
    variants = metrics(repo, "density/variants.json")
    assert variants["grids"][0]["student"] == density_correlation["accuracy"]   # the stage's setting, reproduced
    knn = variants["knn"][0]
    assert knn["items"] == 24 and knn["auc_student_correct"]["right"] + knn["auc_student_correct"]["wrong"] == 24
    assert "metrics/embedsdg/evaluate.json" in run(repo, "dvc", "metrics", "show").stdout
    page = (repo / "reports/embedsdg.html").read_text()   # the run report tabulates these metrics
    r = report["comparisons"]["human_vs_student"]["all"]
    assert f"human − student {100 * r['accuracy_difference']:+.1f} points" in page
    assert "<h2>Paired differences: sparse" in page and "no filter (real items)" in page


def test_only_what_changed_reruns(repo):
    run(repo, "dvc", "repro", PIPELINE)  # no-op after the end-to-end test; the whole run when alone
    assert stages(run(repo, "dvc", "repro", PIPELINE).stdout) == []
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["embedsdg_correlation"]["cells_per_axis"] = 2
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert set(stages(run(repo, "dvc", "repro", PIPELINE).stdout)) == {"embedsdg_correlation", "embedsdg_report",
                                                                       "embedsdg_density_correlation"}
