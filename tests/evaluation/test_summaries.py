"""From option scores to accuracy, ranks, log-probs, position bias and paired comparisons
(src/synthcraft/evaluation/summaries.py), on hand-made scores."""
import math

import numpy as np
import pytest

from synthcraft.evaluation.scoring import OptionScores
from synthcraft.evaluation.summaries import Scored, compare, position_bias, set_report

ITEMS = [{"question": f"q{i}", "choices": list("wxyz"), "answer": a, "subject": s}
         for i, (a, s) in enumerate(zip("ABBBCD", "xxxyyy"))]


def scores(letter_picks, cloze=None, chars=None):
    """OptionScores whose letter form picks ``letter_picks`` (one letter per item)."""
    out = []
    for pick in letter_picks:
        letter = [math.log(0.1)] * 4
        letter["ABCD".index(pick)] = math.log(0.7)
        out.append(OptionScores(letter, cloze or [-4.0, -8.0, -6.0, -9.0], chars or [4, 40, 10, 10]))
    return out


def test_items_with_other_option_counts_are_scored_over_their_own():
    items = [{"question": "two", "choices": ["x", "y"], "answer": "B", "subject": "s"},
             {"question": "five", "choices": list("vwxyz"), "answer": "E", "subject": "s"},
             {"question": "three", "choices": list("xyz"), "answer": "A", "subject": "s"}]
    scored = Scored(items, [OptionScores([-2.0, -1.0], [-3.0, -1.0], [1, 1]),
                            OptionScores([-5.0, -4.0, -3.0, -2.0, -1.0], [-1.0] * 4 + [-0.5], [1] * 5),
                            OptionScores([-1.0, -3.0, -2.0], [-9.0, -3.0, -2.0], [1, 1, 1])])
    assert scored.predictions("letter") == ["B", "E", "A"] and scored.correct("letter").all()
    assert scored.predictions("cloze") == ["B", "E", "C"]
    assert scored.correct_rank("cloze").tolist() == [1, 1, 3]  # last of three, not of five
    # a two-option item's log-prob is normalised over its two options only
    assert scored.correct_logprob("letter")[0] == pytest.approx(-1.0 - np.log(np.exp(-2.0) + np.exp(-1.0)))
    assert scored.chance() == pytest.approx((1 / 2 + 1 / 5 + 1 / 3) / 3)
    bias = position_bias(items, {"m": scored.predictions("letter")})
    assert list(bias["answer_key"]) == list("ABCDE") and bias["predicted"]["m"]["E"] == pytest.approx(1 / 3, abs=1e-4)
    assert set_report({"m": scored}, [], "letter", 100)["chance"] == pytest.approx(0.3444, abs=1e-4)


def test_forms_ranks_and_logprobs():
    scored = Scored(ITEMS, scores("ABBBCA"))
    assert scored.predictions("letter") == list("ABBBCA")
    assert scored.correct("letter").tolist() == [True] * 5 + [False]
    assert scored.correct_rank("letter").tolist() == [1, 1, 1, 1, 1, 2]  # D ties with B, C behind A
    assert scored.correct_logprob("letter")[0] == pytest.approx(math.log(0.7))  # 0.7 of 1.0 over four letters
    # cloze: A has the best raw total; per character, B (-8/40) and then D (-9/10) beat A (-4/4)
    assert scored.predictions("cloze") == ["A"] * 6 and scored.predictions("cloze_norm") == ["B"] * 6
    assert scored.correct("cloze_norm").tolist() == [False, True, True, True, False, False]


def test_a_model_stuck_on_one_letter_scores_that_letters_share():
    bias = position_bias(ITEMS, {"stuck": list("BBBBBB"), "good": list("ABBBCD")})
    assert bias["answer_key"] == {"A": 0.1667, "B": 0.5, "C": 0.1667, "D": 0.1667}
    assert bias["majority_letter"] == "B" and bias["majority_accuracy"] == 0.5
    assert bias["predicted"]["stuck"] == {"A": 0.0, "B": 1.0, "C": 0.0, "D": 0.0}
    assert Scored(ITEMS, scores("BBBBBB")).correct("letter").mean() == bias["majority_accuracy"]


def test_paired_comparison_on_accuracy_and_logprob():
    better, worse = Scored(ITEMS, scores("ABBBCD")), Scored(ITEMS, scores("BBBBBB"))
    result = compare(better, worse, "letter", resamples=2000)
    assert result["accuracy_difference"] == 0.5 and (result["only_first_right"], result["only_second_right"]) == (3, 0)
    assert result["mcnemar_p"] == 0.25
    low, high = result["accuracy_difference_ci95"]
    assert 0 <= low <= 0.5 <= high <= 1
    # on the three items 'worse' gets wrong, log P(correct) is log 0.1 instead of log 0.7
    assert result["logprob_difference"] == pytest.approx(0.5 * (math.log(0.7) - math.log(0.1)), abs=1e-4)
    assert result["minimum_detectable_difference"] > 0.5  # six items can detect nothing smaller


def test_set_report_holds_every_form_and_comparison():
    report = set_report({"base": Scored(ITEMS, scores("BBBBBB")), "tuned": Scored(ITEMS, scores("ABBBCD"))},
                        [("tuned", "base")], primary="letter", resamples=500)
    assert report["items"] == 6 and set(report["models"]["tuned"]) == {"letter", "cloze", "cloze_norm"}
    assert report["models"]["tuned"]["letter"]["accuracy"] == 1.0
    assert set(report["comparisons"]["tuned_vs_base"]) == {"letter", "cloze", "cloze_norm"}
    assert report["position_bias"]["letter"]["predicted"]["base"]["B"] == 1.0
    assert np.isclose(report["comparisons"]["tuned_vs_base"]["cloze"]["accuracy_difference"], 0)
