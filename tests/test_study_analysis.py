"""The study's comparisons: seed averaging, the paired tests and the gap recovered."""
import numpy as np
import pytest

from synthcraft.study import BASE, HUMAN, RANDOM
from synthcraft.study.analysis import compare, gap_recovered, load_correct, runs_of, set_summary


def scores(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """Correctness per item: base right on 30%, human on 60%, random on 35%, craft on 45%, two
    seeds each for the trained arms (the second seed flips a few items)."""
    rng = np.random.default_rng(seed)
    level = rng.random(n)
    out = {BASE: (level < 0.30).astype(float)}
    for arm, p in ((HUMAN, 0.60), (RANDOM, 0.35), ("craft", 0.45)):
        out[arm] = (level < p).astype(float)
        flipped = out[arm].copy()
        picks = rng.choice(n, 10, replace=False)
        flipped[picks] = 1 - flipped[picks]
        out[f"{arm}@seed1"] = flipped
    return out


def test_runs_of_orders_the_seeds_numerically():
    assert runs_of("craft", ["craft@seed10", "base", "craft", "craft@seed2", "craftier@seed1"]) == [
        "craft", "craft@seed2", "craft@seed10"]


def test_compare_sees_a_real_difference_and_not_a_null():
    correct = scores()
    gain = compare(correct, HUMAN, BASE, resamples=2000)
    assert gain["difference"] == pytest.approx(np.mean([correct[HUMAN], correct[f"{HUMAN}@seed1"]], axis=0).mean()
                                               - correct[BASE].mean(), abs=1e-4)
    assert gain["ci95"][0] > 0.2 and gain["mcnemar_p"] < 1e-6
    assert gain["across_seeds"]["test"].startswith("one-sample")   # base has no training seed
    same = compare({"a": correct[BASE], "b": correct[BASE].copy()}, "a", "b", resamples=500)
    assert same["difference"] == 0 and same["ci95"] == [0, 0] and same["mcnemar_p"] == 1
    paired = compare(correct, "craft", RANDOM, resamples=500)
    assert paired["across_seeds"]["test"] == "paired t over seeds" and paired["ci95"][0] > 0


def test_gap_recovered_is_the_share_of_human_gain():
    correct = scores()
    gap = gap_recovered(correct, "craft", resamples=2000)
    mean = lambda arm: np.mean([correct[r] for r in runs_of(arm, correct)], axis=0).mean()  # noqa: E731
    assert gap["value"] == pytest.approx((mean("craft") - correct[BASE].mean()) / (mean(HUMAN) - correct[BASE].mean()),
                                         abs=1e-4)
    assert 0 < gap["ci95"][0] <= gap["value"] <= gap["ci95"][1] < 1


def test_gap_recovered_is_withheld_when_human_does_not_beat_base():
    correct = scores()
    correct[HUMAN], correct[f"{HUMAN}@seed1"] = correct[BASE].copy(), correct[BASE].copy()
    gap = gap_recovered(correct, "craft", resamples=500)
    assert gap["value"] is None and "not clear of zero" in gap["note"]


def test_set_summary_compares_every_arm_with_random_and_human():
    summary = set_summary(scores(), [BASE, HUMAN, RANDOM, "craft"], RANDOM, resamples=300)
    assert summary["items"] == 400
    assert set(summary["vs_random"]) == {BASE, HUMAN, "craft"} and set(summary["vs_human"]) == {BASE, RANDOM, "craft"}
    assert set(summary["vs_base"]) == {HUMAN, RANDOM, "craft"} and summary["vs_base"][HUMAN]["ci95"][0] > 0
    assert set(summary["gap_recovered"]) == {RANDOM, "craft"}
    assert len(summary["accuracy"][BASE]["per_seed"]) == 1 and len(summary["accuracy"]["craft"]["per_seed"]) == 2


def test_load_correct_reads_the_evaluators_item_table(tmp_path):
    path = tmp_path / "eval_items.csv"
    path.write_text("set,item,item_key,subject,answer,model,cloze,cloze_rank,cloze_logprob\n"
                    "sciq,1,k1,,B,base,A,2,-1.0\n"
                    "sciq,0,k0,,A,base,A,1,-0.5\n"
                    "sciq,0,k0,,A,craft,C,3,-2.0\n"
                    "sciq,1,k1,,B,craft,B,1,-0.1\n")
    correct = load_correct(path, ["cloze"])
    assert correct["sciq"]["cloze"][BASE].tolist() == [1.0, 0.0]    # item order, not file order
    assert correct["sciq"]["cloze"]["craft"].tolist() == [0.0, 1.0]
