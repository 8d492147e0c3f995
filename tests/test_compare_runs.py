"""Paired comparison of two runs' per-item predictions (src/synthcraft/compare_runs.py)."""
import csv
import io
import json
import subprocess

import numpy as np
import pytest

from conftest import git_repo
from synthcraft.compare_runs import compare_runs, long_rows, main
from synthcraft.evaluation.stats import paired_bootstrap


def rows(answers, predictions, keys=None, set_name="bio"):
    """The per-item table the evaluate stage writes: one row per set x item x model."""
    keys = keys or [f"k{i}" for i in range(len(answers))]
    out = []
    for i, (k, a, p) in enumerate(zip(keys, answers, predictions)):
        for model, letter in (("tuned", p), ("base", "A")):
            out.append({"set": set_name, "item": str(i), "item_key": k, "subject": "s", "answer": a, "model": model,
                        "letter": letter, "cloze_norm": a if model == "tuned" else "B"})
    return out


def test_counts_and_test_on_known_pairs():
    answers = list("ABCDABCDAB")
    first = rows(answers, list("ABCDABCDCC"))   # 8 right
    second = rows(answers, list("ABCAAAAAAB"))  # 6 right: items 0, 1, 2, 4, 8, 9
    result = compare_runs(first, second, ["tuned"], form="letter")["bio/tuned"]
    assert (result["accuracy_first"], result["accuracy_second"]) == (0.8, 0.6)
    assert (result["only_first_right"], result["only_second_right"]) == (4, 2)  # items 3,5,6,7 / items 8,9
    assert result["mcnemar_p"] == pytest.approx(44 / 64)  # exact two-sided binomial: 2 * P(X <= 2), X ~ B(6, 1/2)
    low, high = result["difference_ci95"]
    assert low <= 0.2 <= high


def test_items_are_matched_by_key_not_position():
    answers = list("ABCD")
    first = rows(answers, list("ABCD"))
    second = rows(answers, list("ABCD"))[::-1]  # same items, other order
    second = [dict(r, item=str(i)) for i, r in enumerate(second)]
    result = compare_runs(first, second)
    assert result["bio/tuned"]["difference"] == 0 and result["bio/tuned"]["only_first_right"] == 0
    assert set(result) == {"bio/tuned", "bio/base"}
    with pytest.raises(SystemExit, match="share no evaluation items"):
        compare_runs(first, rows(answers, list("ABCD"), keys=["x1", "x2", "x3", "x4"]))


def test_bootstrap_interval_is_seeded_and_brackets_the_difference():
    rng = np.random.default_rng(1)
    a, b = rng.random(300) < 0.6, rng.random(300) < 0.4
    assert paired_bootstrap(a, b) == paired_bootstrap(a, b)
    low, high = paired_bootstrap(a, b)
    assert low < a.mean() - b.mean() < high and high - low < 0.2


def write_items(path, table):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    path.write_text(out.getvalue())


def test_reads_two_git_revisions(tmp_path, monkeypatch, capsys):
    repo = git_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    (repo / "metrics").mkdir()
    answers = list("ABCDABCD")
    write_items(repo / "metrics/eval_items.csv", rows(answers, list("ABCDABCD")))
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", "first"], check=True)
    write_items(repo / "metrics/eval_items.csv", rows(answers, list("AAAAAAAA")))
    assert main(["HEAD", "workspace", "--json", "--form", "letter"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["bio/tuned"]["accuracy_first"] == 1.0 and result["bio/tuned"]["accuracy_second"] == 0.25
    assert main(["HEAD", "workspace", "--model", "tuned", "--form", "letter"]) == 0
    assert "| bio/tuned | 8 | 100.0% | 25.0% | +75.0 pts" in capsys.readouterr().out
    assert main(["HEAD", "workspace", "--model", "tuned", "--json"]) == 0  # default: the primary form
    result = json.loads(capsys.readouterr().out)["bio/tuned"]
    assert result["form"] == "cloze_norm" and result["difference"] == 0  # cloze_norm column: all right
    with pytest.raises(SystemExit, match="neither a git revision nor one DVC experiment"):
        main(["no-such-run", "HEAD"])


def test_tables_written_before_sets_and_cloze_still_compare():
    """Older runs wrote one letter column per model; they compare in letter form with a new run."""
    old = [{"item": "0", "item_key": "k0", "subject": "s", "answer": "A", "tuned": "A", "base": "B"},
           {"item": "1", "item_key": "k1", "subject": "s", "answer": "C", "tuned": "D", "base": "C"}]
    new = rows(list("AC"), list("AC"))
    result = compare_runs(long_rows(old), new, ["tuned"], form="letter")
    assert list(result) == ["default/tuned"]  # the single sets are matched although named differently
    assert (result["default/tuned"]["accuracy_first"], result["default/tuned"]["accuracy_second"]) == (0.5, 1.0)
    with pytest.raises(SystemExit, match="form 'cloze' is not in both runs"):
        compare_runs(long_rows(old), new, ["tuned"], form="cloze")
