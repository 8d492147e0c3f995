"""The EmbGen report stage on the repository's tracked EmbGen metrics (the last full run), with a
small training folder and card standing in for the DVC-tracked data."""
import json
import re

from conftest import REPO, assert_renders, load_stage, write_jsonl
from synthcraft.cards import CardParams, write_card
from synthcraft.methods.embgen.evaluation import MODELS

stage = load_stage("embgen/report")


def chat(q: str, a: str) -> dict:
    return {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}], "doc_ids": ["d"]}


def build(tmp_path, metrics: str = "metrics/embgen"):
    """The page from the tracked metrics and a five-row stand-in for each arm; its path."""
    train = tmp_path / "train"
    configs = {}
    for arm in ("embgen", "one_doc", "human"):
        write_jsonl(train / f"{arm}.jsonl", [chat(f"{arm} question {i} <b>", f"answer {i}") for i in range(5)])
        configs[arm] = {"path": f"{arm}.jsonl", "rows": 5, "kept_tokens_out": 100}
    write_card(train, title="t", summary="s", configs=configs, source=CardParams().corpus,
               meta={"teacher": "teacher", "student": "student", "params": {"embgen_generate": {"budget_tokens": 100}}})
    stage.run(None, stage.Paths(metrics=REPO / metrics, train=train, html=tmp_path / "embgen.html"))
    return tmp_path / "embgen.html"


def test_the_report_tabulates_the_tracked_run(tmp_path):
    page = build(tmp_path).read_text()
    evaluation = json.loads((REPO / "metrics/embgen/evaluate.json").read_text())
    seen = evaluation["closed_book"]["comparisons"]["embgen_vs_one_doc"]["seen"]
    assert f"embgen − one_doc {100 * seen['accuracy_difference']:+.1f} points" in page   # the verdict, from the metrics
    for heading in ("Run", "Funnel", "Closed-book accuracy", "Paired differences: seen", "Paired differences: heldout"):
        assert f"<h2>{heading}" in page, heading
    for model in MODELS:
        assert f"<td>{model}</td>" in page
    assert len(re.findall(r'<p class="sample">', page)) == 9          # three rows per arm
    assert "question 0 &lt;b&gt;" in page and "question 3" not in page   # escaped, and only the first three
    assert "http://" not in page and "https://" not in page


def test_repeated_seeds_get_their_table(tmp_path):
    """The SciQ run trained every model with three seeds: the page tabulates each seed and the tests
    across seeds, from the metrics' across_seeds."""
    page = build(tmp_path, "metrics/embgen_sciq").read_text()
    across = json.loads((REPO / "metrics/embgen_sciq/evaluate.json").read_text())["closed_book"]["across_seeds"]
    assert "<h3>Across training seeds</h3>" in page
    seen = across["embgen"]["seen"]
    assert ", ".join(f"{100 * v:.1f}" for v in seen["values"]) in page
    assert f"{100 * seen['vs_one_doc']['difference_mean']:+.1f} ± {100 * seen['vs_one_doc']['difference_sd']:.1f}" in page
    assert "Across training seeds" not in build(tmp_path / "wiki").read_text()   # one seed: no table


def test_the_page_renders_in_a_headless_browser(tmp_path):
    assert_renders(build(tmp_path))
