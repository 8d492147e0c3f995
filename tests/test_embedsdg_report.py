"""The EmbedSDG report stage on the repository's tracked EmbedSDG metrics (the last full run), with
a small arms folder and card standing in for the DVC-tracked data."""
import json
import re

from conftest import REPO, assert_renders, load_stage, write_jsonl
from synthcraft.cards import CardParams, write_card

stage = load_stage("embedsdg/report")


def build(tmp_path):
    """The page from the tracked metrics and a five-row stand-in for three arms; its path."""
    arms = tmp_path / "arms"
    configs = {}
    for arm in ("embedsdg", "random_seeds", "human"):
        write_jsonl(arms / f"{arm}.jsonl", [{"prompt": f"{arm} question {i} <b>", "completion": f" answer {i}"}
                                            for i in range(5)])
        configs[arm] = {"path": f"{arm}.jsonl", "rows": 5}
        if arm != "human":
            configs[arm]["funnel"] = {"retrieved": 9, "available": 5, "format_errors": 4}
    write_jsonl(arms / "rejected.jsonl", [{"prompt": "bad", "reason": "format_errors"}])
    configs["rejected"] = {"path": "rejected.jsonl", "rows": 1}   # not an arm: named, not tabulated
    write_card(arms, title="t", summary="s", configs=configs, source=CardParams().corpus,
               meta={"teacher": "teacher", "student": "student",
                     "accounting": {"examples_per_arm": 5, "tokens_spent": {"embedsdg": 1234, "random_seeds": 99}}})
    stage.run(None, stage.Paths(metrics=REPO / "metrics/embedsdg", arms=arms, html=tmp_path / "embedsdg.html"))
    return tmp_path / "embedsdg.html"


def test_the_report_tabulates_the_tracked_run(tmp_path):
    evaluation = json.loads((REPO / "metrics/embedsdg/evaluate.json").read_text())
    page = build(tmp_path).read_text()
    r = evaluation["comparisons"]["embedsdg_vs_random_seeds"]["all"]
    assert f"embedsdg − random_seeds {100 * r['accuracy_difference']:+.1f} points" in page   # the verdict, from the metrics
    for heading in ("Run", "Funnel", "Accuracy", "Paired differences: all", "Paired differences: sparse",
                    "Density and accuracy"):
        assert f"<h2>{heading}" in page, heading
    for model in evaluation["models"]:
        assert f"<td>{model}</td>" in page
    assert "<td>1,234</td>" in page and "format_errors 4" in page and "no filter (real items)" in page
    assert "rejected: 1 rows" in page and "<td>rejected</td>" not in page
    assert len(re.findall(r'<p class="sample">', page)) == 9          # three rows per arm
    assert "question 0 &lt;b&gt;" in page and "question 3" not in page   # escaped, and only the first three
    assert "http://" not in page and "https://" not in page


def test_the_page_renders_in_a_headless_browser(tmp_path):
    assert_renders(build(tmp_path))
