"""Lexical metrics come from rouge-score and sacrebleu; these pin what they mean on known cases."""
import numpy as np
import pytest

from synthcraft.evaluation.lexical import METRICS, corpus_bleu, lexical_scores


def test_identical_answer_scores_one_and_unrelated_zero():
    scores = lexical_scores(["Mitochondria make ATP for the cell.", "Bananas are yellow"],
                            ["Mitochondria make ATP for the cell.", "The heart pumps blood"])
    assert set(scores) == set(METRICS)
    for metric in METRICS:
        assert scores[metric][0] == pytest.approx(1.0)
        assert scores[metric][1] == pytest.approx(0.0)


def test_rouge1_is_the_unigram_f_measure():
    # 3 of the reference's 6 words, all 3 of the answer's: precision 1, recall 1/2, F = 2/3
    scores = lexical_scores(["the cat sat"], ["the cat sat on a mat"])
    assert scores["rouge1"][0] == pytest.approx(2 / 3)
    assert scores["rouge2"][0] == pytest.approx(2 * 1 * 0.4 / 1.4)   # bigrams: 2 of 2, 2 of 5


def test_a_closer_answer_scores_higher_on_every_metric():
    reference = "Insulin lowers blood glucose by helping cells take up sugar."
    close, far = "Insulin lowers blood glucose by helping cells absorb sugar.", "Insulin is a hormone."
    scores = lexical_scores([close, far], [reference, reference])
    assert all(scores[m][0] > scores[m][1] for m in METRICS)
    assert np.all(scores["bleu1"] >= scores["bleu4"])   # longer n-grams match less


def test_corpus_bleu():
    assert corpus_bleu(["a b c d e"], ["a b c d e"]) == pytest.approx(1.0)
    assert 0 < corpus_bleu(["a b c d x", "q r s t u"], ["a b c d e", "q r s t u"]) < 1
