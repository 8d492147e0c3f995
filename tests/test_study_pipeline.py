"""The head-to-head study end to end under DVC, in a temporary git repo, on the tiny profile
(profiles/study-tiny.yaml: 600 Wikipedia summaries, 3 SciQ few-shots, 600 teacher tokens per
generative arm, EmbGen's pairs from 12 documents, EmbedSDG's seed pairs from 24, two training seeds
per arm, 24 evaluation items).

The teacher's replies are SmolLM2's, recorded (tests/data/recorded/study-tiny.jsonl) and played
back through the real ``openai`` backend (tests/replay_teacher.py), so the test does not depend on
the CPU's llama.cpp kernels."""
import json

import pytest
import yaml

from conftest import REPO, git_repo, method_repo, ran_stages, recorded_teacher, run, teach_from
from synthcraft.study import ARMS, BASE, CRAFT, EMBEDSDG, EMBGEN, GENERATIVE, HUMAN, RANDOM, REWRITING, TRAINED

pytestmark = pytest.mark.slow
PIPELINE = "pipelines/study/dvc.yaml"


@pytest.fixture(scope="module")
def teacher():
    with recorded_teacher("study-tiny") as replay:
        yield replay


@pytest.fixture(scope="module")
def repo(tmp_path_factory, teacher):
    return teach_from(method_repo(git_repo(tmp_path_factory.mktemp("study")), "study-tiny"), teacher)


def metrics(repo, name: str) -> dict:
    return json.loads((repo / "metrics/study" / name).read_text())


def test_study_arm_lists_match_the_package():
    spec = yaml.safe_load((REPO / PIPELINE).read_text())
    lists = {key: value for entry in spec["vars"] if isinstance(entry, dict) for key, value in entry.items()}
    assert tuple(lists["rewriting"]) == REWRITING and tuple(lists["trained"]) == TRAINED
    assert {name: stage["foreach"] for name, stage in spec["stages"].items() if "foreach" in stage} == {
        "study_generate": "${rewriting}", "study_train": "${trained}"}


def test_study_runs_end_to_end(repo, teacher):
    result = run(repo, "dvc", "repro", PIPELINE)
    assert teacher.missed == 0 and teacher.answered >= 2
    ran = {name.split(":")[-1] for name in ran_stages(result.stdout)}
    embgen_stages = {f"study_embgen_{step}" for step in ("corpus", "extract", "embed", "structure", "generate")}
    embgen_stages |= {"study_embedsdg_pairs", "study_embedsdg_generate"}
    assert ran == {"prepare", "embed", "base", "study_fewshots", "study_human", "study_evaluate", "study_report"} | {
        f"study_generate@{arm}" for arm in REWRITING} | {f"study_train@{arm}" for arm in TRAINED} | embgen_stages

    shots = metrics(repo, "fewshots.json")
    assert shots["fewshots"] == 3 and all(i.startswith("sciq-validation") for i in shots["ids"])
    for arm in GENERATIVE:   # one budget, spent by each arm's own stream
        spend = metrics(repo, f"generate/{arm}.json")
        assert spend["budget_tokens"] == 600 and spend["kept_tokens_out"] <= 600 and spend["reached_budget"]
        assert spend["selection"]["method"] == arm and spend["samples_per_s"] > 0 and spend["rows"] >= 1
        assert spend["rows"] + sum(v for k, v in spend["funnel"].items() if isinstance(v, int) and k not in
                                   ("retrieved", "available")) == spend["kept_requests"]
    material = metrics(repo, "embgen/corpus.json")   # EmbGen's documents: the craft arm's first 12
    craft_stream = [json.loads(r)["doc_id"] for r in (repo / "data/study/generated/craft.jsonl").read_text().splitlines()]
    assert material["source"] == CRAFT and material["documents"] == 12
    embgen = metrics(repo, f"generate/{EMBGEN}.json")
    assert embgen["selection"]["pairs"] >= 3 and sum(embgen["sampler_mix"].values()) == embgen["kept_requests"]
    assert set(craft_stream[:3]) <= {json.loads(r)["doc_id"] for r in
                                     (repo / "data/study/embgen/corpus.jsonl").read_text().splitlines()}
    pairs = metrics(repo, "embedsdg/pairs.json")   # EmbedSDG's D: the craft arm's stream; pairs from sparse cells
    assert pairs["source"] == CRAFT and pairs["documents"] == 24 and 1 <= pairs["pairs"] <= 24
    assert pairs["usable_drafts"] + sum(pairs["degenerate"].values()) == pairs["pairs"]
    assert pairs["material"]["decode_tokens_out"] > 0
    seeds = [json.loads(r) for r in (repo / "data/study/embedsdg/pairs.jsonl").read_text().splitlines()]
    assert all(0 < r["cell_count"] < pairs["grid"]["threshold"] and len(set(r["doc_ids"])) == 2 for r in seeds)
    embedsdg = metrics(repo, f"generate/{EMBEDSDG}.json")   # the same budget and filters as every arm
    assert embedsdg["budget_tokens"] == 600 and embedsdg["kept_tokens_out"] <= 600 and embedsdg["rows"] >= 1
    assert embedsdg["selection"]["pairs"] == pairs["pairs"] and embedsdg["material"] == pairs["material"]
    assert embedsdg["rows"] + sum(v for k, v in embedsdg["funnel"].items() if isinstance(v, int) and k not in
                                  ("retrieved", "available")) == embedsdg["kept_requests"]
    kept = [json.loads(r) for r in (repo / "data/study/generated/embedsdg.jsonl").read_text().splitlines()]
    assert [r["pair"] for r in kept] == [k % pairs["pairs"] for k in range(len(kept))]   # the stream's prefix
    assert embedsdg["passes"] == 1 + (len(kept) - 1) // pairs["pairs"]
    assert embedsdg["with_draft"] == sum(r["draft"] for r in kept)
    craft_rows = (repo / "data/study/train/craft.jsonl").read_text().splitlines()
    assert metrics(repo, "human.json")["n"] == len(craft_rows) >= 1   # the control matches the craft arm's size
    for arm in TRAINED:                  # one recipe, two seeds each
        train = metrics(repo, f"train/{arm}.json")
        assert set(train["repeat_seeds"]) == {"1"}
        assert (repo / f"models/study/{arm}/seeds/seed-1/adapter_config.json").exists()

    study = metrics(repo, "study.json")
    assert set(study["sets"]) == {"sciq", "mmlu_bio", "mmlu_control"}
    sciq = study["sets"]["sciq"][study["primary"]]
    assert sciq["items"] == 12 and set(sciq["accuracy"]) == set(ARMS)
    assert all(len(sciq["accuracy"][arm]["per_seed"]) == (1 if arm == BASE else 2) for arm in ARMS)
    bio = study["sets"]["mmlu_bio"][study["primary"]]      # study_evaluate.seed_sets: repeated seeds on sciq only
    assert all(len(bio["accuracy"][arm]["per_seed"]) == 1 for arm in ARMS)
    for other in (BASE, RANDOM, HUMAN):
        assert set(sciq[f"vs_{other}"]) == set(ARMS) - {other}
    assert set(study["control_separates"]) == set(study["sets"])
    for r in sciq[f"vs_{RANDOM}"].values():
        assert r["ci95"][0] <= r["difference"] <= r["ci95"][1] and 0 <= r["mcnemar_p"] <= 1
    assert set(sciq["gap_recovered"]) == {"fewshot", *GENERATIVE}
    forest = (repo / "metrics/study/forest.csv").read_text().splitlines()
    assert forest[0] == "set,form,arm,difference,ci_low,ci_high,mcnemar_p" and len(forest) == 1 + 3 * (len(ARMS) - 1)
    assert study["spend"][EMBGEN]["material"]["documents"] == 12   # extraction's spend, beside the budget
    assert study["spend"][EMBEDSDG]["material"] == {"by": "student", "documents": 24, "pairs": pairs["pairs"],
                                                    "usable_drafts": pairs["usable_drafts"],
                                                    "tokens_out": pairs["material"]["decode_tokens_out"],
                                                    "tokens_in": pairs["material"]["decode_tokens_in"]}
    assert (repo / "reports/study_forest.png").read_bytes().startswith(b"\x89PNG")
    assert "<h1>Head-to-head study</h1>" in (repo / "reports/study.html").read_text()

    again = run(repo, "dvc", "repro", PIPELINE)    # nothing changed: nothing runs
    assert ran_stages(again.stdout) == []
