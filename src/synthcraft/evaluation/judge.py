"""Reference-based pointwise LLM judge, shared by every method (rubric of the EmbGen issue).

Each answer is rated against its reference on four criteria, each Strong / Adequate / Weak, with
schema-constrained output through any generation backend (the same resumable request execution
as ``generate``: finished verdicts are reused by request id). From the ratings:

    binary accuracy = factual_accuracy is Strong AND completeness is Strong or Adequate

A judge is only as good as its model: SmolLM2-135M cannot judge, and the default leaves the judge
off. It is meant for a strong model behind the ``openai`` or ``vllm`` backend; tests exercise the
plumbing with the small model. Judges favour long answers, so the evaluate stage reports answer
length beside every judged figure.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from synthcraft.backends.base import GenerationRequest
from synthcraft.evaluation.stats import wilson_interval
from synthcraft.filters import extract_json
from synthcraft.generation import GenerateParams, neutralize, render, request_id, run_requests, special_tokens_of

CRITERIA = ("factual_accuracy", "completeness", "relevance", "clarity")
RATINGS = ("Strong", "Adequate", "Weak")
PROMPT_VERSION = "judge-v1"

SCHEMA = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string", "maxLength": 400},   # first: the judge states why, then rates
        **{criterion: {"type": "string", "enum": list(RATINGS)} for criterion in CRITERIA},
    },
    "required": ["reasoning", *CRITERIA],
    "additionalProperties": False,
}

# Written for this project: one answer, one reference, four named criteria with what each level
# means, a warning against rewarding length, JSON only.
INSTRUCTIONS = """\
You grade one answer to a question by comparing it with a reference answer that is known to be correct.

Rate the answer on each criterion as Strong, Adequate or Weak:
- factual_accuracy: Strong if every claim agrees with the reference and with well-established facts; \
Adequate if there are minor slips that do not change the conclusion; Weak if a claim is wrong or contradicts the reference.
- completeness: Strong if it contains the key points of the reference; Adequate if it has the main point but misses \
details; Weak if the main point is missing.
- relevance: Strong if it answers exactly what was asked; Adequate if it wanders but answers; Weak if it answers \
something else.
- clarity: Strong if it is direct and easy to follow; Adequate if understandable with effort; Weak if confusing.

Judge what the answer says, not how long it is: extra length earns nothing.
First give your reasoning in one or two sentences, then the four ratings, as JSON only:
{"reasoning": "...", "factual_accuracy": "...", "completeness": "...", "relevance": "...", "clarity": "..."}"""


@dataclass
class JudgeParams(GenerateParams):
    """The ``judge:`` section (read by evaluate and embgen_evaluate): the judge model and backend,
    configured exactly like ``generate`` (the few-shot setting is unused). Off by default: a 135M
    model cannot judge; turn it on with a strong model, e.g.
    ``-S judge.enabled=true -S judge.backend=openai``."""
    enabled: bool = False
    max_tokens: Optional[int] = 256
    temperature: float = 0.0    # a judge should be repeatable
    top_p: float = 1.0
    top_k: int = 1


def user_turn(question: str, reference: str, answer: str, special_tokens: list[str]) -> str:
    # Question, reference and answer are data (the answer is a model's output): special tokens are broken.
    safe = [neutralize(text, special_tokens)[0] for text in (question, reference, answer)]
    return f"{INSTRUCTIONS}\n\nQuestion:\n{safe[0]}\n\nReference answer:\n{safe[1]}\n\nAnswer to grade:\n{safe[2]}"


def build_requests(rows: list[dict], tokenizer, params: JudgeParams) -> tuple[list[tuple[GenerationRequest, dict]],
                                                                              dict[str, list]]:
    """One request per distinct (question, reference, answer) among ``rows`` {key, question,
    reference, answer}, and the row keys each request id serves: two models that gave the same
    answer share one verdict. The id hashes everything that determines the verdict, so a re-run
    reuses finished verdicts and a changed answer is judged afresh."""
    special = special_tokens_of(tokenizer)
    pairs, keys_of = [], {}
    for row in rows:
        rid = request_id(PROMPT_VERSION, INSTRUCTIONS, SCHEMA, row["question"], row["reference"], row["answer"],
                         params.model, params.max_tokens, params.sampling)
        if rid not in keys_of:
            messages = [{"role": "user", "content": user_turn(row["question"], row["reference"], row["answer"], special)}]
            pairs.append((GenerationRequest(rid, messages, render(tokenizer, messages), params.max_tokens, SCHEMA,
                                            params.sampling), {}))
            keys_of[rid] = []
        keys_of[rid].append(row["key"])
    return pairs, keys_of


def parse_verdict(text: str) -> Optional[dict]:
    """The four ratings (case and surrounding space forgiven), or None when any is missing or not
    one of RATINGS."""
    value = extract_json(text or "")
    if value is None:
        return None
    verdict = {}
    for criterion in CRITERIA:
        rating = str(value.get(criterion, "")).strip().capitalize()
        if rating not in RATINGS:
            return None
        verdict[criterion] = rating
    return verdict


def binary_accuracy(verdict: dict) -> bool:
    return verdict["factual_accuracy"] == "Strong" and verdict["completeness"] in ("Strong", "Adequate")


def run_judge(rows: list[dict], params: JudgeParams, parts_dir: Path, out_file: Path) -> tuple[dict, dict]:
    """Judge every row through the configured backend, resumably. Returns ({key: verdict or None},
    request stats); a None verdict is an error, a skipped prompt or an output that did not parse."""
    from synthcraft.backends import make_backend
    from synthcraft.files import read_jsonl
    from synthcraft.models import load_tokenizer

    tokenizer = load_tokenizer(params.tokenizer or params.model)
    pairs, keys_of = build_requests(rows, tokenizer, params)
    backend = make_backend(params.backend, params.model, context_length=params.context_length,
                           tokenizer=params.tokenizer, options=params.backend_options)
    stats = run_requests(pairs, backend, out_file, parts_dir, commit_every=params.commit_every,
                         max_error_share=params.max_error_share, section="judge")
    verdicts = {row["key"]: None for row in rows}
    for result in read_jsonl(out_file):
        if result["id"] in keys_of and result["finish_reason"] in ("stop", "length"):
            for key in keys_of[result["id"]]:
                verdicts[key] = parse_verdict(result["text"])
    stats["invalid_verdicts"] = sum(v is None for v in verdicts.values())
    return verdicts, stats


def judge_summary(verdicts: list[Optional[dict]]) -> dict:
    """Per criterion the share of each rating and the Strong share with a Wilson interval; binary
    accuracy with its interval; how many answers got no valid verdict."""
    valid = [v for v in verdicts if v is not None]
    n = len(valid)
    summary = {"judged": n, "invalid": len(verdicts) - n}
    for criterion in CRITERIA:
        counts = {rating: sum(v[criterion] == rating for v in valid) for rating in RATINGS}
        low, high = wilson_interval(counts["Strong"], n)
        summary[criterion] = {"shares": {r: round(c / n, 4) if n else None for r, c in counts.items()},
                              "strong_ci95": [round(low, 4), round(high, 4)]}
    right = int(sum(binary_accuracy(v) for v in valid))
    low, high = wilson_interval(right, n)
    summary["binary_accuracy"] = {"accuracy": round(right / n, 4) if n else None, "correct": right, "n": n,
                                  "ci95": [round(low, 4), round(high, 4)]}
    return summary


def binary_vector(verdicts: list[Optional[dict]]) -> np.ndarray:
    """Binary accuracy per answer as 1 / 0, NaN where there is no valid verdict."""
    return np.array([np.nan if v is None else float(binary_accuracy(v)) for v in verdicts])
