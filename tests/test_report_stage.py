"""The report stage on the repository's own tracked metrics (those of the last default run), and
the page opened in a real headless Chromium (Debian's `chromium`; skipped when absent)."""
import re
import shutil
import subprocess

import pytest

from conftest import REPO, load_stage

stage = load_stage("report")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


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


def browser() -> str:
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless Chromium (Debian: apt-get install chromium)")


def render(html_path) -> str:
    """The DOM after the page's load event, as a headless Chromium sees it."""
    out = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                          "--dump-dom", html_path.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return re.search(r"<body[^>]*>", out.stdout).group(0)


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
