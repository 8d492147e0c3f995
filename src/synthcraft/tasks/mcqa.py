"""Multiple-choice QA (CRAFT's BioQA/MedQA/CSQA): {question, options[4], answer in A-D}."""
from typing import Optional

from synthcraft.tasks.base import TaskType, string_field

LETTERS = "ABCD"          # generated samples: four options
OPTION_LETTERS = "ABCDE"  # any item shown to the student (human sets have 2 to 5 options)
MIN_QUESTION_CHARS = 16   # CRAFT: "question > 15 characters"

SCHEMA = {
    "type": "object",
    "properties": {
        "question": {"type": "string", "minLength": MIN_QUESTION_CHARS, "maxLength": 400},
        "options": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200},
                    "minItems": 4, "maxItems": 4},
        "answer": {"type": "string", "enum": list(LETTERS)},
    },
    "required": ["question", "options", "answer"],
    "additionalProperties": False,
}

# Follows the content and constraints of CRAFT's Figure 6 multiple-choice instruction (one question,
# four lettered options, the answer as a letter, JSON only), in the project's own words.
INSTRUCTION = (
    "Read the passage below and write a single multiple-choice question that it answers. Give four "
    "possible answers, labelled A, B, C and D, exactly one of them correct, and name the correct one "
    "by its letter alone. Reply with JSON only, shaped like this: "
    '{"question": "...", "options": ["...", "...", "...", "..."], "answer": "..."}'
)


def check(sample: dict) -> Optional[str]:
    if any(key not in sample for key in SCHEMA["required"]):
        return "missing_keys"
    reason = string_field(sample, "question", MIN_QUESTION_CHARS)
    if reason:
        return reason
    options = sample["options"]
    if not isinstance(options, list) or len(options) != 4 or not all(isinstance(o, str) and o.strip() for o in options):
        return "options_not_4"
    if len({o.strip().casefold() for o in options}) != 4:
        return "options_not_distinct"
    if sample["answer"] not in list(LETTERS):
        return "bad_answer_letter"
    return None


def similarity_text(sample: dict) -> str:
    return " ".join([sample["question"], *sample["options"]])


# cloze (the default): the option's text after the cloze forms' own plain-text context,
# "Question: ...\nAnswer:" (no options, no chat template), so training raises exactly the
# log-probability the primary form (cloze_norm) compares; letter_text: "B. <option B>" in the chat
# turn, the letter first (what the letter form scores), then the option's text; letter: "B" alone
# (MMLU's answer format: it can move only the letter form). docs/craft.md, "Can the harness see a
# gain?", has the positive-control measurements behind the choice.
SUPERVISIONS = ("cloze", "letter_text", "letter")


def cloze_prompt(question: str) -> str:
    """The context the cloze forms score each option after (lm-evaluation-harness's MMLU/SciQ style)."""
    return f"Question: {question}\nAnswer:"


def prompt_and_answer(sample: dict, supervision: str = "letter") -> tuple[str, str]:
    """MMLU-style: the question, lettered options, "Answer:"; the evaluation stage's letter form
    scores the letter that follows it. (Training examples name their form; retrieval embeds the
    few-shots in the letter form, as it always has.)"""
    if supervision == "cloze":
        answer = sample["options"][OPTION_LETTERS.index(sample["answer"])].strip() if sample["answer"] else ""
        return cloze_prompt(sample["question"]), " " + answer
    if len(sample["options"]) > len(OPTION_LETTERS):
        raise ValueError(f"{len(sample['options'])} options: at most {len(OPTION_LETTERS)} can be lettered")
    lines = [sample["question"]] + [f"{letter}. {option}" for letter, option in zip(OPTION_LETTERS, sample["options"])]
    answer = sample["answer"]
    if supervision == "letter_text" and answer:
        answer = f"{answer}. {sample['options'][OPTION_LETTERS.index(answer)].strip()}"
    return "\n".join(lines) + "\nAnswer:", answer


TASK = TaskType("mcqa", INSTRUCTION, SCHEMA, max_tokens=256, check=check,
                similarity_text=similarity_text, prompt_and_answer=prompt_and_answer, supervisions=SUPERVISIONS, plain_supervisions=("cloze",))
