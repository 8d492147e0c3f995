"""From option scores to the numbers a reader needs: accuracy with intervals, the correct option's
rank and log-probability, the letters each model prefers, and paired comparisons."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from synthcraft.evaluation.items import LETTERS
from synthcraft.evaluation.scoring import FORMS, OptionScores
from synthcraft.evaluation.stats import (items_for_difference, mcnemar_exact, minimum_detectable_difference,
                                        paired_bootstrap, wilson_interval)


@dataclass
class Scored:
    """One model's scores on one evaluation set, with everything derived from them per form."""
    items: list[dict]
    scores: list[OptionScores]

    def matrix(self, form: str) -> np.ndarray:
        """Items x options; an item with fewer options than the widest is padded with -inf, which
        never wins, never outranks the correct option and adds nothing to a normalisation."""
        width = max((len(s.cloze) for s in self.scores), default=4)
        out = np.full((len(self.scores), width), -np.inf)
        for row, s in enumerate(self.scores):
            values = s.form(form)
            out[row, :len(values)] = values
        return out

    def chance(self) -> float:
        """Expected accuracy of a uniform guess: the mean of 1 / options over the items."""
        return float(np.mean([1 / len(s.cloze) for s in self.scores])) if self.scores else 0.0

    def where(self, mask) -> "Scored":
        """The items where ``mask`` is true (a subset to compare on: a region, an item kind)."""
        return Scored([i for i, m in zip(self.items, mask) if m], [s for s, m in zip(self.scores, mask) if m])

    def answers(self) -> np.ndarray:
        return np.array([LETTERS.index(item["answer"]) for item in self.items], dtype=int)

    def predictions(self, form: str) -> list[str]:
        """The top-scoring option's letter (ties go to the earlier letter)."""
        return [LETTERS[i] for i in self.matrix(form).argmax(axis=1)]

    def correct(self, form: str) -> np.ndarray:
        return self.matrix(form).argmax(axis=1) == self.answers()

    def correct_rank(self, form: str) -> np.ndarray:
        """1 when the correct option scores highest, the item's option count when it scores lowest."""
        m = self.matrix(form)
        return 1 + (m > m[np.arange(len(m)), self.answers()][:, None]).sum(axis=1)

    def correct_logprob(self, form: str) -> np.ndarray:
        """log P(correct option), the scores turned into a distribution over the item's options: a
        continuous measure of how much a model prefers the right answer, which moves before accuracy does."""
        m = self.matrix(form)
        m = np.where(np.isfinite(m), m, -1e9)
        top = m.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(m - top).sum(axis=1))
        return m[np.arange(len(m)), self.answers()] - log_norm


def accuracy(correct: np.ndarray) -> dict:
    right, n = int(correct.sum()), len(correct)
    low, high = wilson_interval(right, n)
    return {"accuracy": round(right / n, 4) if n else None, "correct": right, "n": n,
            "ci95": [round(low, 4), round(high, 4)]}


def accuracy_by_subject(scored: Scored, form: str) -> dict[str, dict]:
    correct = scored.correct(form)
    subjects = np.array([item["subject"] for item in scored.items])
    return {s: accuracy(correct[subjects == s]) for s in sorted(set(subjects))}


def letter_shares(letters: list[str], width: int) -> dict[str, float]:
    counts = Counter(letters)
    return {letter: round(counts[letter] / len(letters), 4) if letters else 0.0 for letter in LETTERS[:width]}


def position_bias(items: list[dict], predictions: dict[str, list[str]]) -> dict:
    """The answer key's letter shares, each model's predicted-letter shares, and what always
    answering the key's most common letter would score: a model stuck on one letter scores
    exactly that share, which is easy to mistake for learning."""
    key = [item["answer"] for item in items]
    width = max((len(item["choices"]) for item in items), default=4)
    majority, count = Counter(key).most_common(1)[0] if key else ("A", 0)
    return {"answer_key": letter_shares(key, width), "majority_letter": majority,
            "majority_accuracy": round(count / len(key), 4) if key else None,
            "predicted": {name: letter_shares(letters, width) for name, letters in predictions.items()}}


def compare(a: Scored, b: Scored, form: str, resamples: int = 10000) -> dict:
    """Paired comparison on the same items: accuracy difference and mean correct-option log-prob
    difference, each with a paired bootstrap 95% interval; exact McNemar on the discordant items;
    the minimum difference this many items could detect (80% power) at the observed spread."""
    right_a, right_b = a.correct(form), b.correct(form)
    logp_a, logp_b = a.correct_logprob(form), b.correct_logprob(form)
    only_a, only_b = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum())
    low, high = paired_bootstrap(right_a, right_b, resamples)
    logp_low, logp_high = paired_bootstrap(logp_a, logp_b, resamples)
    return {
        "accuracy_difference": round(float(right_a.mean() - right_b.mean()), 4),
        "accuracy_difference_ci95": [round(low, 4), round(high, 4)],
        "only_first_right": only_a, "only_second_right": only_b,
        "mcnemar_p": round(mcnemar_exact(only_a, only_b), 6),
        "minimum_detectable_difference": round(minimum_detectable_difference(right_a, right_b), 4),
        "items_for_2_points": items_for_difference(right_a, right_b, 0.02),
        "logprob_difference": round(float(logp_a.mean() - logp_b.mean()), 4),
        "logprob_difference_ci95": [round(logp_low, 4), round(logp_high, 4)],
    }


def set_report(results: dict[str, Scored], comparisons: list[tuple[str, str]], primary: str,
               resamples: int = 10000, forms: tuple[str, ...] = FORMS) -> dict:
    """Everything eval.json says about one evaluation set, in each of ``forms``."""
    items = next(iter(results.values())).items
    return {
        "items": len(items),
        "chance": round(next(iter(results.values())).chance(), 4),
        "models": {name: {form: accuracy(s.correct(form)) for form in forms} for name, s in results.items()},
        "position_bias": {form: position_bias(items, {name: s.predictions(form) for name, s in results.items()})
                          for form in forms},
        "comparisons": {f"{a}_vs_{b}": {form: compare(results[a], results[b], form, resamples) for form in forms}
                        for a, b in comparisons},
        "primary": primary,
    }
