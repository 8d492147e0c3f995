"""Lexical overlap of an answer with its reference, per item: ROUGE (rouge-score) and BLEU
(sacrebleu), never re-implemented. Per item, so two models compare with paired tests; all on a
0-1 scale.

ROUGE-1/2/L are F-measures with Porter stemming (the ROUGE defaults most papers report). BLEU-n is
sacrebleu's sentence BLEU up to n-grams with effective order (a short answer without any 4-gram
match is not zero by construction); ``corpus_bleu`` is the usual corpus-level BLEU-4.
"""
from __future__ import annotations

import numpy as np

ROUGE = ("rouge1", "rouge2", "rougeL")
BLEU_ORDERS = (1, 2, 4)
METRICS = (*ROUGE, *(f"bleu{n}" for n in BLEU_ORDERS))


def lexical_scores(answers: list[str], references: list[str]) -> dict[str, np.ndarray]:
    """{metric: per-item scores} for every metric in METRICS."""
    from rouge_score import rouge_scorer
    from sacrebleu.metrics import BLEU

    scorer = rouge_scorer.RougeScorer(list(ROUGE), use_stemmer=True)
    rouge = [scorer.score(reference, answer) for answer, reference in zip(answers, references)]
    scores = {name: np.array([r[name].fmeasure for r in rouge], dtype=float) for name in ROUGE}
    for n in BLEU_ORDERS:
        bleu = BLEU(max_ngram_order=n, effective_order=True)
        scores[f"bleu{n}"] = np.array([bleu.sentence_score(answer, [reference]).score / 100
                                       for answer, reference in zip(answers, references)], dtype=float)
    return scores


def corpus_bleu(answers: list[str], references: list[str]) -> float:
    from sacrebleu.metrics import BLEU

    return BLEU().corpus_score(answers, [references]).score / 100 if answers else float("nan")
