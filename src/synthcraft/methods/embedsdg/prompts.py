"""The method's three prompts, in the project's words, following the structure of the paper's
Listings 2-4 (role, task, format, instructions, material, the request again).

    P_d  copy prompt: the student copies (or rephrases) an input given as embeddings (Listing 3)
    P_g  teacher prompt: two seed examples and the decoded interpolation -> a new example (Listing 2)
    P_b  baseline teacher prompt: one seed example -> a similar new example (Listing 4)

P_g and P_b ask for the mcqa task's JSON (question, four options, the answer letter) and are
constrained to its schema, like every synthcraft generation. Each shows one hand-written worked
example as an earlier chat turn: a 135M teacher follows an example far better than an instruction.

``passage_messages`` is P_g for the head-to-head study, whose seeds are domain documents rather
than task items: the same parts (role and rules, two seeds, the decoded draft between them, the
request again) with passages in place of example questions, one item in the task's JSON, and the
task's few-shots as the worked examples in earlier turns (each its one passage, then its JSON: what
the study's other arms show too).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.generation import neutralize, render, request_id
from synthcraft.params import choice
from synthcraft.tasks.mcqa import TASK


@dataclass
class EmbedsdgGenerateParams:
    """The ``embedsdg_generate:`` section (the teacher itself is the ``generate:`` section).

    ``degenerate_decoding``: what a seed pair whose decoding is unusable (see decoding.degenerate)
    becomes. ``skip``: no request, the paper's pipeline taken literally. ``no_draft`` (default): P_g
    with both seeds and no draft. Why the default: SmolLM2-135M decodes about 95% of interpolations
    into nothing usable (measured 2026-11-30), which would leave the arms a handful of examples and
    nothing to compare; without a draft the pair still tests the paper's main idea, seeds chosen
    across sparse cells against random ones. Requests with and without a draft are counted.
    """
    degenerate_decoding: str = "no_draft"

    def __post_init__(self):
        choice(self.degenerate_decoding, ("no_draft", "skip"), "embedsdg_generate.degenerate_decoding")

TEMPLATE_VERSION = "esdg-v1"
PLACEHOLDER = "\u2063EMBEDDINGS\u2063"   # where the interpolated matrix goes inside the rendered P_d

COPY_INSTRUCTION = (
    "You are a careful assistant who follows instructions exactly.\n"
    "Copy the input text, or rephrase it closely.\n"
    "Format:\nInput: the text to copy\nOutput: your copy of that text\n"
    "Reply with the copy only, with no explanation.\n"
    "Examples (complete only the last one):"
)
COPY_CLOSING = ("Now copy or rephrase the next input text. Do not answer or solve it: only copy it.\n"
                "Input: ")


def copy_prompt(examples: list[str]) -> str:
    """P_d as one user turn; ``PLACEHOLDER`` marks where the embeddings are spliced in."""
    shown = "\n\n".join(f"Input: {text}\nOutput: {text}" for text in examples)
    return f"{COPY_INSTRUCTION}\n\n{shown}\n\n{COPY_CLOSING}{PLACEHOLDER}"


PAIR_INSTRUCTION = (
    "You write new multiple-choice exam questions. Below are two example questions and a partial, "
    "possibly garbled draft that lies between them. Write one new question that combines topics or "
    "ideas of both examples and follows the outline of the draft, as a real, answerable question.\n"
    "Rules:\n- It must be related to both examples, not an unrelated question.\n"
    "- Do not reuse their exact wording, names or numbers: reuse concepts and question types.\n"
    "- Give four options, exactly one correct, and name the correct one by its letter.\n"
    'Reply with JSON only: {"question": "...", "options": ["...", "...", "...", "..."], "answer": "..."}'
)
PAIR_INSTRUCTION_NO_DRAFT = PAIR_INSTRUCTION.replace(
    " and a partial, possibly garbled draft that lies between them", "").replace(
    " and follows the outline of the draft", "")
SINGLE_INSTRUCTION = (
    "You write new multiple-choice exam questions. Below is an example question. Write one new "
    "question similar to it, as a real, answerable question.\n"
    "Rules:\n- It must be similar to the example, not an unrelated question.\n"
    "- Do not reuse its exact wording, names or numbers: reuse concepts and question types.\n"
    "- Give four options, exactly one correct, and name the correct one by its letter.\n"
    'Reply with JSON only: {"question": "...", "options": ["...", "...", "...", "..."], "answer": "..."}'
)

# The worked examples (hand-written for this project).
_SEED_A = ("Which organelle makes most of a cell's ATP?\nA. Ribosome\nB. Mitochondrion\nC. Golgi body\n"
           "D. Lysosome\nAnswer: B")
_SEED_B = ("A car travels 120 km in 2 hours. What is its average speed?\nA. 30 km/h\nB. 60 km/h\nC. 90 km/h\n"
           "D. 240 km/h\nAnswer: B")
_DRAFT = "A cell uses energy at a rate ... how much ATP per hour ... organelle"
_PAIR_ANSWER = ('{"question": "A muscle cell uses 3,000 ATP molecules per second. How many does it use in one '
                'minute, and which organelle supplies most of them?", "options": ["180,000; the mitochondria", '
                '"3,000; the ribosomes", "180,000; the nucleus", "50; the mitochondria"], "answer": "A"}')
_SINGLE_ANSWER = ('{"question": "Which organelle builds proteins from amino acids?", "options": ["Ribosome", '
                  '"Vacuole", "Mitochondrion", "Cell wall"], "answer": "A"}')


def pair_turn(first: str, second: str, draft: Optional[str]) -> str:
    if draft is None:   # embedsdg_generate.degenerate_decoding = no_draft
        return (f"{PAIR_INSTRUCTION_NO_DRAFT}\n\nExample 1:\n{first}\n\nExample 2:\n{second}\n\n"
                "Now write the new question that combines Example 1 and Example 2.")
    return (f"{PAIR_INSTRUCTION}\n\nExample 1:\n{first}\n\nExample 2:\n{second}\n\nPartial draft:\n{draft}\n\n"
            "Now write the new question that combines Example 1 and Example 2 and completes the draft.")


def single_turn(example: str) -> str:
    return (f"{SINGLE_INSTRUCTION}\n\nExample:\n{example}\n\n"
            "Now write the new question, similar to the example.")


def pair_messages(first: str, second: str, draft: Optional[str], special: list[str]) -> list[dict]:
    """P_g with its worked example; seeds and the draft are untrusted text (special tokens broken).
    ``draft`` None: the variant without a draft (for pairs whose decoding was unusable)."""
    first, second = (neutralize(t, special)[0] for t in (first, second))
    draft = None if draft is None else neutralize(draft, special)[0]
    return [{"role": "user", "content": pair_turn(_SEED_A, _SEED_B, None if draft is None else _DRAFT)},
            {"role": "assistant", "content": _PAIR_ANSWER},
            {"role": "user", "content": pair_turn(first, second, draft)}]


def single_messages(example: str, special: list[str]) -> list[dict]:
    """P_b with its worked example."""
    return [{"role": "user", "content": single_turn(_SEED_A)},
            {"role": "assistant", "content": _SINGLE_ANSWER},
            {"role": "user", "content": single_turn(neutralize(example, special)[0])}]


def teacher_request(messages: list[dict], tokenizer, *, key: list, model: str, max_tokens: int,
                    sampling: Sampling) -> GenerationRequest:
    """A schema-constrained request whose id hashes everything that determines its output."""
    rid = request_id(key, messages, TEMPLATE_VERSION, TASK.schema, max_tokens, sampling, model)
    return GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, TASK.schema, sampling)


PASSAGE_PROMPT_VERSION = "esdg-passages-v1"
PASSAGE_SYSTEM = (
    "You write multiple-choice exam questions from reading passages. You are given passages and, "
    "sometimes, a partial, possibly garbled draft that lies between two of them. Write one new question "
    "that a reader of the passages can answer.\n"
    "Rules:\n- With two passages, the question combines ideas of both; with a draft, it follows the draft's outline.\n"
    "- Do not copy sentences from the passages: ask about what they mean.\n"
    "- Exactly one option is correct. Reply with JSON only, in the form of your earlier replies."
)


def passage_turn(passages: list[str], draft: Optional[str]) -> str:
    listed = "\n\n".join(f"Passage {i + 1}:\n{text}" for i, text in enumerate(passages))
    if len(passages) == 1:
        return f"{listed}\n\nNow write the new question about the passage."
    if draft is None:
        return f"{listed}\n\nNow write the new question that combines Passage 1 and Passage 2."
    return (f"{listed}\n\nPartial draft:\n{draft}\n\n"
            "Now write the new question that combines Passage 1 and Passage 2 and completes the draft.")


def passage_messages(first: str, second: str, draft: Optional[str], shots: list[tuple[str, str]],
                     special: list[str]) -> list[dict]:
    """P_g over two seed passages and the decoded draft (None: the pair's decoding was unusable);
    ``shots`` are (passage, the task's JSON) worked examples. Passages and draft are untrusted text."""
    clean = lambda text: neutralize(text, special)[0]  # noqa: E731
    messages = [{"role": "system", "content": PASSAGE_SYSTEM}]
    for text, answer in shots:
        messages += [{"role": "user", "content": passage_turn([clean(text)], None)},
                     {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": passage_turn([clean(first), clean(second)],
                                                                None if draft is None else clean(draft))}]
