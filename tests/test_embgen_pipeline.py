"""The EmbGen pipelines end to end under DVC, in a temporary git repo, on the tiny profile
(profiles/embgen-tiny.yaml: 18 Wikipedia summaries from 3 topics, or 18 SciQ passages for the SciQ
corpus, SmolLM2 as extractor, teacher and student, 1,000 generated tokens per arm).

The extractor's and teacher's replies are SmolLM2's, recorded (tests/data/recorded/embgen-tiny.jsonl)
and played back through the real ``openai`` backend (tests/replay_teacher.py): live, they took 6 of
this test's 13 minutes and depend on the CPU's kernels."""
import json

import pytest
import yaml

from conftest import git_repo, method_repo, ran_stages, recorded_teacher, run, teach_from
from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.human import CONTROL

pytestmark = pytest.mark.slow
PIPELINE = "pipelines/embgen/dvc.yaml"
SCIQ_PIPELINE = "pipelines/embgen/sciq/dvc.yaml"


def stages(output: str) -> list[str]:
    return [name.split(":")[-1] for name in ran_stages(output)]


@pytest.fixture(scope="module")
def teacher():
    with recorded_teacher("embgen-tiny") as replay:
        yield replay


@pytest.fixture(scope="module")
def repo(tmp_path_factory, teacher):
    return teach_from(method_repo(git_repo(tmp_path_factory.mktemp("embgen")), "embgen-tiny"), teacher)


def metrics(repo, name: str, folder: str = "metrics/embgen") -> dict:
    return json.loads((repo / folder / name).read_text())


def test_embgen_pipeline_runs_end_to_end(repo, teacher):
    result = run(repo, "dvc", "repro", PIPELINE)
    assert teacher.missed == 0 and teacher.answered >= 18 + 2   # extraction + >= 1 request per arm
    assert set(stages(result.stdout)) == {"prepare", "embed", "base", "embgen_corpus", "embgen_extract", "embgen_embed",
                                          "embgen_structure", "embgen_human", "embgen_items", "embgen_evaluate",
                                          "embgen_card", "embgen_report", f"embgen_train@{CONTROL}"} | {
        f"embgen_{stage}@{arm}" for stage in ("generate", "train") for arm in ARMS}
    corpus = metrics(repo, "corpus.json")
    assert corpus["documents"] == 18 and 0 < corpus["heterogeneity"]["mean_pairwise_cosine_distance"] < 1
    extract = metrics(repo, "extract.json")
    assert extract["pairs"] >= 10 and extract["documents"] == 18
    assert 0 < extract["grounding_rate"] <= 1
    structure = metrics(repo, "structure.json")
    assert structure["clusters"] == 3 and sum(structure["sizes"].values()) == extract["pairs"]
    assert (repo / "metrics/embgen/map.csv").read_text().startswith("x,y,cluster,topic\n")
    for arm in ARMS:
        spend = metrics(repo, f"generate/{arm}.json")
        assert spend["reached_budget"] and spend["kept_tokens_out"] <= 1000 == spend["budget_tokens"]
        assert spend["qa_pairs"] >= 1
    embgen = metrics(repo, "generate/embgen.json")
    assert set(embgen["sampler_mix"]) <= {"proximity", "intra", "inter"}
    assert 0 <= embgen["multi_document_share"] <= 1
    assert metrics(repo, "generate/one_doc.json")["multi_document_share"] == 0
    human = metrics(repo, "human.json")     # the positive control: the documents' own text, cut at the budget
    assert human["documents"] >= 1 and human["documents"] + human["documents_left_out"] == 18
    assert human["kept_tokens_out"] <= 1000
    report = metrics(repo, "evaluate.json")
    closed = report["closed_book"]
    assert closed["items"] >= 1 and set(closed["models"]) == {"no_aug", *ARMS, CONTROL}
    assert closed["test"] == "seen" and closed["no_leak_control"] == "heldout"
    for group in ("all", "seen", "heldout"):
        for pair in ("embgen_vs_one_doc", f"{CONTROL}_vs_no_aug", f"embgen_vs_{CONTROL}"):
            assert "mcnemar_p" in closed["comparisons"][pair][group]
    assert closed["by_kind"]["seen/subject"] >= 15 and closed["by_kind"]["heldout/subject"] >= 15
    assert closed["by_kind"]["seen"] == closed["by_kind"]["seen/subject"] + closed["by_kind"]["seen/masked_entity"]
    for model in report["open"]["models"].values():
        assert {"rouge1", "rougeL", "bleu1", "bleu4", "meteor", "answer_words"} <= set(model)
    assert report["tokens_spent"]["embgen"] <= 1000 and report["tokens_spent"]["no_aug"] == 0
    card = json.loads((repo / "data/embgen/train/metadata.json").read_text())   # the dataset card
    assert set(card["configs"]) == {*ARMS, CONTROL} and card["configs"][CONTROL]["rows"] == human["documents"]
    assert "<h2>Paired differences: seen" in (repo / "reports/embgen.html").read_text()
    assert "metrics/embgen/evaluate.json" in run(repo, "dvc", "metrics", "show").stdout


def test_only_what_changed_reruns(repo):
    run(repo, "dvc", "repro", PIPELINE)  # no-op after the end-to-end test; the whole run when alone
    assert stages(run(repo, "dvc", "repro", PIPELINE).stdout) == []
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["embgen_evaluate"]["max_new_tokens"] = 16
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    # --dry: DVC decides what to re-run exactly as in a real repro; re-scoring three models would
    # only repeat what the end-to-end test ran (about 2 min of CI).
    assert stages(run(repo, "dvc", "repro", "--dry", PIPELINE).stdout) == ["embgen_evaluate"]


def test_embgen_sciq_pipeline_runs_end_to_end(repo, teacher):
    """The second corpus: SciQ passages as documents, SciQ's questions as the test. Its stages run
    EmbGen's scripts with this pipeline's paths; the base model comes from the run-cache."""
    result = run(repo, "dvc", "repro", SCIQ_PIPELINE)
    assert teacher.missed == 0
    assert {"embgen_sciq_corpus", "embgen_sciq_extract", "embgen_sciq_human", "embgen_sciq_evaluate",
            *(f"embgen_sciq_{stage}@{arm}" for stage in ("generate", "train") for arm in ARMS)} <= set(stages(result.stdout))
    corpus = metrics(repo, "corpus.json", "metrics/embgen_sciq")
    assert corpus["documents"] == 18 and corpus["heldout_items"] == 18 and corpus["open"] == 18
    docs = [json.loads(line) for line in (repo / "data/embgen_sciq/corpus.jsonl").read_text().splitlines()]
    closed = [json.loads(line) for line in (repo / "data/embgen_sciq/eval/closed_book.jsonl").read_text().splitlines()]
    assert {item["doc_id"] for item in closed if item["source"] == "seen"} == {d["doc_id"] for d in docs}
    assert not {item["doc_id"] for item in closed if item["source"] == "heldout"} & {d["doc_id"] for d in docs}
    human = [json.loads(line) for line in (repo / "data/embgen_sciq/train/human.jsonl").read_text().splitlines()]
    assert human and all(row["messages"][1]["content"] in {d["text"] for d in docs} for row in human)
    report = metrics(repo, "evaluate.json", "metrics/embgen_sciq")
    assert report["closed_book"]["items"] == 36 and set(report["closed_book"]["models"]) == {"no_aug", *ARMS, CONTROL}
    assert report["closed_book"]["by_kind"] == {"seen": 18, "seen/sciq_question": 18,
                                                "heldout": 18, "heldout/sciq_question": 18}
    for pair in ("embgen_vs_one_doc", f"{CONTROL}_vs_no_aug"):
        assert "mcnemar_p" in report["closed_book"]["comparisons"][pair]["seen"]
    assert report["open"]["items"] == 18
    assert all(0 < report["tokens_spent"][arm] <= 1000 for arm in ARMS)
    # The profile's repeat_seeds [1]: each trained model's second seed, scored on the closed-book test.
    seeds = report["closed_book"]["across_seeds"]
    assert set(seeds) == {*ARMS, CONTROL}
    assert all(len(seeds[name][group]["values"]) == 2 for name in seeds for group in ("all", "seen", "heldout"))
    assert seeds["embgen"]["seen"]["vs_one_doc"]["test"] == "paired t over seeds"
