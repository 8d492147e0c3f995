"""The report stage on the repository's own tracked metrics (those of the last default run), and
the page opened in a real headless Chromium (Debian's `chromium`; skipped when absent)."""
import re
import shutil

import pytest

from conftest import REPO, load_stage, render

stage = load_stage("report")


def build(tmp_path, metrics=REPO / "metrics"):
    paths = stage.Paths(metrics=metrics, html=tmp_path / "report.html", figures=tmp_path / "figures")
    return stage.run(None, paths), paths


def test_report_holds_every_section_and_figure(tmp_path):
    result, paths = build(tmp_path)
    page = paths.html.read_text()
    for heading in ("Work per stage", "Filter funnel", "Training", "Evaluation: mmlu_bio", "Embedding-space coverage"):
        assert f"<h2>{heading}" in page, heading
    images = re.findall(r'<img alt="[^"]+" src="data:image/png;base64,', page)
    assert len(images) == len(result["figures"]) >= 9  # self-contained: every figure inlined
    for name in result["figures"]:
        assert (paths.figures / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in page and "https://" not in page  # nothing fetched from anywhere


def test_missing_metrics_leave_their_sections_out(tmp_path):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    shutil.copy(REPO / "metrics/filter.json", metrics)
    shutil.copy(REPO / "metrics/filter_funnel.csv", metrics)
    result, paths = build(tmp_path / "out", metrics)
    page = paths.html.read_text()
    assert result["figures"] == ["filter_funnel.png"] and "<h2>Evaluation" not in page


def test_report_renders_in_a_headless_browser(tmp_path):
    result, paths = build(tmp_path)
    body = render(paths.html)
    assert 'data-rendered="ok"' in body and 'data-errors="0"' in body
    assert f'data-images="{len(result["figures"])}"' in body
    # the check can fail: a corrupted figure and a script error are both seen
    page = paths.html.read_text().replace("base64,iVBOR", "base64,XXXX", 1).replace("</body>", "<script>nope(</script></body>")
    broken = tmp_path / "broken.html"
    broken.write_text(page)
    body = render(broken)
    assert 'data-rendered="broken"' in body and 'data-errors="1"' in body


@pytest.mark.parametrize("letter", [True, False])
def test_the_report_shows_the_forms_evaluate_scored(tmp_path, letter):
    """evaluate.forms decides the forms: with or without letter, each set's figures and tables follow."""
    import json

    metrics = tmp_path / "metrics"
    shutil.copytree(REPO / "metrics", metrics)
    evaluation = json.loads((metrics / "eval.json").read_text())
    for report in evaluation["sets"].values():
        for part in ("models", "comparisons"):
            for name, by_form in report[part].items():
                rest = {form: value for form, value in by_form.items() if form != "letter"}
                report[part][name] = {"letter": by_form.get("letter", by_form["cloze"]), **rest} if letter else rest
        bias = {form: value for form, value in report["position_bias"].items() if form != "letter"}
        report["position_bias"] = {"letter": report["position_bias"].get("letter", bias["cloze"]), **bias} \
            if letter else bias
    (metrics / "eval.json").write_text(json.dumps(evaluation))
    _, paths = build(tmp_path / "out", metrics)
    page = paths.html.read_text()
    assert ("<td>letter</td>" in page) is letter and "<td>cloze_norm</td>" in page
    assert f"× {3 if letter else 2} forms" in page


def test_open_sets_get_their_tables(tmp_path):
    import json

    import numpy as np

    from synthcraft.evaluation.judge import CRITERIA
    from synthcraft.evaluation.lexical import METRICS
    from synthcraft.evaluation.openended import Answered, open_set_report

    def answered(rouge, verdicts):
        items = [{"prompt": f"q{i}", "reference": "r", "subject": "all"} for i in range(3)]
        answers = [{"answer": "an answer", "tokens": 2, "finish_reason": "stop"}] * 3
        return Answered(items, answers, {m: np.array(rouge) for m in METRICS}, verdicts)

    strong = {c: "Strong" for c in CRITERIA}
    report = open_set_report({"base": answered([0.1, 0.2, 0.3], [strong, None, None]),
                              "tuned": answered([0.2, 0.3, 0.4], [strong, strong, None])},
                             [("tuned", "base")], 200, {"needs_options": 2}, 48)
    metrics = tmp_path / "metrics"
    shutil.copytree(REPO / "metrics", metrics)
    evaluation = json.loads((metrics / "eval.json").read_text())
    from synthcraft.evaluation.stats import across_seeds

    report["across_seeds"] = {"tuned": {"rougeL": {"values": [0.3, 0.34], "vs_base": across_seeds([0.3, 0.34], 0.2)}}}
    (metrics / "eval.json").write_text(json.dumps({**evaluation, "open_sets": {"bio_open": report}}))
    _, paths = build(tmp_path / "out", metrics)
    page = paths.html.read_text()
    assert "<h2>Open-ended answers: bio_open" in page and "needs_options" in page
    assert "tuned vs base" in page and "+10.00 (+10.00 to +10.00)" in page   # ROUGE-L difference x100
    assert "100.0% (" in page                                                  # tuned: 2 of 2 judged
    assert "<h3>Across training seeds" in page and "30.0, 34.0" in page and "+12.0 ± 2.8" in page
