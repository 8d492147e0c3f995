"""Open-ended answers, from per-item scores to what eval.json reports for one set: lexical overlap
with the reference, the judge's ratings, answer length, and paired comparisons between models;
the judge run over every answer, and the per-answer table."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from synthcraft.evaluation.items import open_item_key
from synthcraft.evaluation.judge import JudgeParams, binary_accuracy, binary_vector, judge_summary, run_judge
from synthcraft.evaluation.lexical import METRICS, corpus_bleu
from synthcraft.evaluation.stats import mcnemar_exact, paired_bootstrap


@dataclass
class Answered:
    """One model's answers to one open-ended set, with their scores."""
    items: list[dict]
    answers: list[dict]                       # {answer, tokens, finish_reason} per item
    lexical: dict[str, np.ndarray]            # metric -> per-item score (lexical.METRICS)
    verdicts: Optional[list[Optional[dict]]] = None   # judge ratings per item (None: judge off / invalid)

    def words(self) -> np.ndarray:
        return np.array([len(a["answer"].split()) for a in self.answers], dtype=float)


def mean_ci(values: np.ndarray, resamples: int, digits: int = 4) -> dict:
    """Mean with a 95% bootstrap interval (resampling items)."""
    values = np.asarray(values, dtype=float)
    low, high = paired_bootstrap(values, np.zeros_like(values), resamples)
    return {"mean": round(float(values.mean()), digits) if len(values) else None,
            "ci95": [round(low, digits), round(high, digits)]}


def model_report(answered: Answered, resamples: int) -> dict:
    report = {metric: mean_ci(answered.lexical[metric], resamples) for metric in METRICS}
    report["corpus_bleu"] = round(corpus_bleu([a["answer"] for a in answered.answers],
                                              [i["reference"] for i in answered.items]), 4)
    report["answer_words"] = mean_ci(answered.words(), resamples, digits=2)
    report["reference_words"] = round(float(np.mean([len(i["reference"].split()) for i in answered.items])), 2)
    report["empty_answers"] = sum(not a["answer"] for a in answered.answers)
    report["hit_max_new_tokens"] = sum(a["finish_reason"] == "length" for a in answered.answers)
    if answered.verdicts is not None:
        report["judge"] = judge_summary(answered.verdicts)
    return report


def compare_answers(a: Answered, b: Answered, resamples: int) -> dict:
    """Paired differences a - b on the same items: each lexical metric and answer length with a
    bootstrap interval; binary accuracy (items both have valid verdicts for) with McNemar."""
    out = {}
    for metric in METRICS:
        low, high = paired_bootstrap(a.lexical[metric], b.lexical[metric], resamples)
        out[metric] = {"difference": round(float(a.lexical[metric].mean() - b.lexical[metric].mean()), 4),
                       "ci95": [round(low, 4), round(high, 4)]}
    low, high = paired_bootstrap(a.words(), b.words(), resamples)
    out["answer_words"] = {"difference": round(float(a.words().mean() - b.words().mean()), 2),
                           "ci95": [round(low, 2), round(high, 2)]}
    if a.verdicts is not None and b.verdicts is not None:
        right_a, right_b = binary_vector(a.verdicts), binary_vector(b.verdicts)
        both = ~np.isnan(right_a) & ~np.isnan(right_b)
        right_a, right_b = right_a[both].astype(bool), right_b[both].astype(bool)
        only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
        low, high = paired_bootstrap(right_a, right_b, resamples)
        out["binary_accuracy"] = {
            "difference": round(float(right_a.mean() - right_b.mean()), 4) if both.any() else None,
            "ci95": [round(low, 4), round(high, 4)], "n": int(both.sum()),
            "only_first_right": only_a, "only_second_right": only_b,
            "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6)}
    return out


def open_set_report(results: dict[str, Answered], comparisons: list[tuple[str, str]], resamples: int,
                    skipped: dict[str, int], max_new_tokens: int) -> dict:
    """Everything eval.json says about one open-ended set."""
    items = next(iter(results.values())).items
    return {
        "items": len(items), "skipped": skipped, "max_new_tokens": max_new_tokens,
        "models": {name: model_report(answered, resamples) for name, answered in results.items()},
        "comparisons": {f"{a}_vs_{b}": compare_answers(results[a], results[b], resamples) for a, b in comparisons},
    }


def judge_answers(answered: dict[str, dict[str, Answered]], judge: JudgeParams, cache: Path) -> dict:
    """Every answer of every model on every open set through the judge (one resumable batch);
    verdicts are attached to each ``Answered``. Returns the judge's request stats."""
    rows = [{"key": (set_name, model_name, index), "question": item["prompt"], "reference": item["reference"],
             "answer": a.answers[index]["answer"]}
            for set_name, by_model in answered.items() for model_name, a in by_model.items()
            for index, item in enumerate(a.items)]
    verdicts, stats = run_judge(rows, judge, cache, cache / "verdicts.jsonl")
    for set_name, by_model in answered.items():
        for model_name, a in by_model.items():
            a.verdicts = [verdicts[(set_name, model_name, index)] for index in range(len(a.items))]
    logging.info("judge: %d answers, %d without a valid verdict", len(rows), stats["invalid_verdicts"])
    return {"backend": judge.backend, "model": judge.model, **stats}


def answer_rows(answered: dict[str, dict[str, Answered]]) -> list[dict]:
    """One row per open set x item x model: the answer, its lexical scores and the judge's verdict."""
    rows = []
    for set_name, by_model in answered.items():
        for model_name, a in by_model.items():
            for index, item in enumerate(a.items):
                verdict = a.verdicts[index] if a.verdicts else None
                rows.append({"set": set_name, "item": index, "item_key": open_item_key(item), "subject": item["subject"],
                             "model": model_name, "prompt": item["prompt"], "reference": item["reference"],
                             **a.answers[index],
                             **{metric: round(float(a.lexical[metric][index]), 4) for metric in METRICS},
                             "judge": verdict, "binary_accuracy": binary_accuracy(verdict) if verdict else None})
    return rows
