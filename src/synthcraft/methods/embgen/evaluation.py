"""What embgen_evaluate adds to the shared evaluation: METEOR, its params, and the comparisons.

METEOR is nltk's. Its synonym stage needs the WordNet data, which nltk downloads at run time and
no PyPI package ships; where ``nltk.data.find("corpora/wordnet")`` finds it, it is used, otherwise
METEOR runs with exact and Porter-stem matches only (the metrics say which). Tokens are
sacrebleu's 13a tokenizer's, lower-cased (nltk's own tokenizer needs downloaded data too).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.seeds import add_seed_summaries
from synthcraft.evaluation.summaries import Scored
from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.human import CONTROL
from synthcraft.params import choice

MODELS = ("no_aug", *ARMS, CONTROL)     # no_aug: the student without any added data
# The method against its baseline and no data; the control against no data (can the test see a
# gain?) and each arm against the control (how much of that gain the arm's data recovers).
COMPARISONS = (("embgen", "one_doc"), ("embgen", "no_aug"), ("one_doc", "no_aug"),
               (CONTROL, "no_aug"), ("embgen", CONTROL), ("one_doc", CONTROL))
SEED_REFERENCE = "one_doc"   # across training seeds, each model against no_aug and against the baseline arm


def across_seeds(scored: dict[str, Scored], groups: dict[str, np.ndarray], form: str) -> dict:
    """Models trained with repeated seeds (embgen_train.repeat_seeds, scored as '<name>@seed<n>'):
    per closed-book group ("all", "seen", ...), the accuracy per seed, mean +- sd, and t-tests
    across seeds against no_aug (one-sample: no_aug has no training seed) and against one_doc
    (paired by seed). Empty when no model has repeated seeds."""
    # The shared summary calls the untrained model "base"; here it is no_aug.
    run_name = {run: "base" if run == "no_aug" else run for run in scored}
    values = {group: {run_name[run]: float(s.correct(form)[mask].mean()) for run, s in scored.items()}
              for group, mask in {"all": np.ones(len(next(iter(scored.values())).items), bool), **groups}.items()}
    report: dict = {}
    trained = [name for name in MODELS if name != "no_aug"]
    add_seed_summaries(report, trained, SEED_REFERENCE, list(run_name.values()), values)
    return {name: {group: {("vs_no_aug" if key == "vs_base" else key): value for key, value in entry.items()}
                   for group, entry in by_group.items()}
            for name, by_group in report.get("across_seeds", {}).items()}


@dataclass
class EmbgenEvaluateParams:
    """The ``embgen_evaluate:`` section."""
    primary: str = "cloze_norm"      # closed-book scoring form reported first (all are reported)
    max_new_tokens: int = 64         # open answers
    batch_size: int = 16
    bootstrap_resamples: int = 10000
    bf16: str = "auto"
    device: str = "auto"

    def __post_init__(self):
        choice(self.primary, FORMS, "primary")


class _NoSynonyms:
    """Stands in for WordNet in nltk's METEOR: no word has synonyms."""

    @staticmethod
    def synsets(*_args, **_kwargs):
        return []


def wordnet_or_none():
    import nltk

    try:
        nltk.data.find("corpora/wordnet")
    except LookupError:
        return None
    from nltk.corpus import wordnet
    return wordnet


def meteor_scores(answers: list[str], references: list[str]) -> tuple[np.ndarray, bool]:
    """Per-item METEOR (0-1) and whether WordNet synonyms were used."""
    from nltk.translate.meteor_score import single_meteor_score
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    tokenize = Tokenizer13a()
    wordnet = wordnet_or_none()
    scores = [single_meteor_score(tokenize(reference.lower()).split(), tokenize(answer.lower()).split(),
                                  wordnet=wordnet or _NoSynonyms())
              if answer.strip() else 0.0
              for answer, reference in zip(answers, references)]
    return np.array(scores, dtype=float), wordnet is not None
