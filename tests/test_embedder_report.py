"""The embedder report stage on the repository's tracked embedder metrics (the last full run), with a
small training file and card standing in for the DVC-tracked data, and without them."""
import json
import re

from conftest import REPO, assert_renders, load_stage, write_jsonl
from synthcraft.cards import CardParams, write_card

stage = load_stage("embedder/report")


def build(tmp_path):
    """The page from the tracked metrics and a five-row stand-in for the training file; its path."""
    rows = [{"query": f"query {i} <b>", "positive": f"passage {i}", "negative": f"other {i}", "category": "short-long"}
            for i in range(5)]
    train = write_jsonl(tmp_path / "data/train.jsonl", rows)
    write_card(tmp_path / "data", title="t", summary="s", configs={"default": {"path": "train.jsonl", "rows": 5}},
               source=CardParams().corpus, meta={"teacher": "the teacher", "student": "the embedder"})
    paths = stage.Paths(metrics=REPO / "metrics/embedder", train=train, card=tmp_path / "data/metadata.json",
                        html=tmp_path / "embedder.html")
    stage.run(None, paths)
    return paths.html


def test_the_report_tabulates_the_tracked_run(tmp_path):
    page = build(tmp_path).read_text()
    evaluation = json.loads((REPO / "metrics/embedder/evaluate.json").read_text())
    sciq = evaluation["tasks"]["SciQRetrieval"]["comparisons"]
    for name in ("trained - base", "human - base"):                       # the verdict, from the metrics
        assert f"{100 * sciq[name]['difference']:+.2f} ({100 * sciq[name]['ci95'][0]:+.2f}" in page
    for heading in ("Run", "Funnel", "Training", "Scores per task (main score ×100)", "Paired differences per task",
                    "Paired differences: mean over benchmark tasks"):
        assert f"<h2>{heading}" in page, heading
    for task in evaluation["tasks"]:
        assert f"<h3>{task}</h3>" in page
    assert "<td>the teacher</td>" in page
    assert len(re.findall(r'<p class="sample">', page)) == 3 and "query 0 &lt;b&gt;" in page and "query 3" not in page
    assert "http://" not in page and "https://" not in page


def test_without_the_dvc_tracked_data_the_metrics_still_make_a_report(tmp_path):
    """A checkout that holds only git's files (metrics) still gets its page, without samples or card."""
    paths = stage.Paths(metrics=REPO / "metrics/embedder", train=tmp_path / "absent.jsonl",
                        card=tmp_path / "absent.json", html=tmp_path / "embedder.html")
    stage.run(None, paths)
    page = paths.html.read_text()
    assert "<h2>Funnel" in page and 'class="sample"' not in page and "<h2>Training rows" not in page


def test_the_page_renders_in_a_headless_browser(tmp_path):
    assert_renders(build(tmp_path))


def test_a_run_with_the_ablations_shows_them(tmp_path):
    """Metrics as the pipeline writes them now: the filter's ablation in the funnel, every training
    with whether its queries read a task instruction."""
    import shutil

    metrics = tmp_path / "metrics"
    shutil.copytree(REPO / "metrics/embedder", metrics)
    mine = json.loads((metrics / "mine.json").read_text())
    (metrics / "mine.json").write_text(json.dumps({**mine, "rows": 618, "rows_unfiltered": 754}))
    train = json.loads((REPO / "metrics/embedder/train.json").read_text())
    seeds = {"1": {key: train[key] for key in ("steps", "seconds", "loss_first", "loss_last")}}
    for name, instruction in (("train", False), ("train_control", False), ("train_instructed", True),
                              ("train_unfiltered", False)):
        repeats = {"repeat_seeds": seeds} if name in ("train", "train_control") else {}   # ablations train once
        once = {key: value for key, value in train.items() if key != "repeat_seeds"}
        (metrics / f"{name}.json").write_text(json.dumps({**once, **repeats, "instruction": instruction}))
    paths = stage.Paths(metrics=metrics, train=tmp_path / "absent.jsonl", card=tmp_path / "absent.json",
                        html=tmp_path / "embedder.html")
    stage.run(None, paths)
    page = paths.html.read_text()
    assert "the unfiltered ablation keeps them: 754 rows" in page and "<td>618</td>" in page
    assert "<td>instructed (ablation)</td><td>" in page and "<td>unfiltered (ablation)</td>" in page
    assert page.count("<td>yes</td>") == 1 and page.count("<td>no</td>") == 5   # train, control, a seed of each, unfiltered
    assert "<td>human control, seed 1</td>" in page and "<td>instructed (ablation), seed 1</td>" not in page
