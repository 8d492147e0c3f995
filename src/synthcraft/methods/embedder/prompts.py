"""Brainstorm and instance requests: the two LLM steps of the E5 recipe, in the project's words.

Brainstorm asks the teacher for task descriptions of one length category (e.g. "find the
encyclopedia article that answers a trivia question" for short-long). Instances turn one task into
one training example. Two modes:

- grounded (default): a corpus document is one side of the pair and the teacher writes only the
  other side: the query for short-long / long-long / short-short (the document, or its first
  sentence for short-short, is the positive), the short positive and negative for long-short (the
  document is the query). A 135M teacher writes poor passages but usable queries, and the real
  document keeps the positive factual; mined negatives then come from the same corpus.
- free (``grounded: false``, the paper's setting): the teacher writes query, positive and hard
  negative, with E5's sampled query style, clarity and difficulty.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.generation import neutralize, render, request_id, special_tokens_of
from synthcraft.methods.embedder.categories import CATEGORIES, LengthRules, first_sentence, sides

TEMPLATE_VERSION = "e5-v1"

# What a task of each category looks like, for the brainstorm prompt.
CATEGORY_ASKS = {
    "short-short": "the query and the target are both short (a phrase or one sentence), for example "
                   "matching a name to a one-line description",
    "short-long": "a short search query must find a long document (several sentences) that answers or "
                  "covers it",
    "long-short": "a long text (several sentences) must be matched to a short target such as a label, "
                  "a category name or a title",
    "long-long": "a long text (several sentences) must be matched to another long text on the same "
                 "subject, for example a related article",
}

# Two example tasks per category, shown in the brainstorm prompt: a small teacher otherwise
# rarely produces a usable list. Copies of them are rejected (collect.collect_tasks).
EXAMPLE_TASKS = {
    "short-short": ["Given the name of a chemical element, find the sentence that defines it.",
                    "Match a short news headline to the one-line summary of the same event."],
    "short-long": ["Given a question about a historical event, retrieve the article that answers it.",
                   "Given the name of a species, find the encyclopedia entry that describes it."],
    "long-short": ["Given a paragraph about a person, find the profession that best describes them.",
                   "Given an article, find the one-line title that names its subject."],
    "long-long": ["Given an article about a city, find the article about the country it lies in.",
                  "Given a description of a scientific theory, find the article about its discovery."],
}

# One worked example per category, shown as an earlier chat turn before a grounded request (the
# same prompt function renders it, so the format matches): a 135M teacher copies the shape of an
# example far more reliably than it follows a description.
_TOWER = ("The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is "
          "named after the engineer Gustave Eiffel, whose company designed and built the tower from 1887 to "
          "1889 as the entrance arch of the 1889 World's Fair. It was criticised by some of France's leading "
          "artists and intellectuals for its design, but it has become a global cultural icon of France.")
_CELLO = ("The cello is a bowed string instrument of the violin family, usually tuned in perfect fifths. It is "
          "played sitting, with the instrument held between the knees, and it is used in orchestras, string "
          "quartets and as a solo instrument. Its range runs from the C two octaves below middle C upwards.")
EXAMPLE_INSTANCES = {
    "short-short": ("Given a short description, find the sentence that defines the thing described.", _CELLO,
                    {"query": "large string instrument played with a bow between the knees"}),
    "short-long": ("Given a question, find the encyclopedia article that answers it.", _TOWER,
                   {"query": "who designed the iron tower built in Paris for the 1889 World's Fair"}),
    "long-short": ("Given an article, find the field of knowledge it belongs to.", _CELLO,
                   {"positive": "music: string instruments", "negative": "music: brass instruments"}),
    "long-long": ("Given a paragraph on a subject, find the article that covers the same subject.", _TOWER,
                  {"query": "I am looking for background on the famous landmark of the French capital: who "
                            "engineered it, when it went up and why it was built for an international exhibition "
                            "at the end of the nineteenth century, what it is made of, and how people first "
                            "reacted to its look."}),
}

# E5-style variety for free-mode instances: one value of each drawn per request (seeded).
QUERY_STYLES = ("common", "specific and uncommon", "long-tail")
CLARITY = ("clear", "understandable with some effort", "ambiguous")
DIFFICULTY = ("high school", "college", "graduate")


@dataclass
class BrainstormParams:
    """The ``embedder_brainstorm:`` section (the teacher itself is ``generate.backend`` / ``generate.model``)."""
    categories: list[str] = field(default_factory=lambda: list(CATEGORIES))
    requests_per_category: int = 6
    tasks_per_request: int = 5
    domain: str = "encyclopedia articles"   # what the corpus holds: steers tasks towards it
    max_task_words: int = 40
    max_tokens: int = 320
    temperature: float = 0.9              # brainstorming wants variety; a 135M teacher derails at 1.0

    def __post_init__(self):
        for name in self.categories:
            sides(name)
        if not self.categories:
            raise ValueError("categories is empty: name at least one of " + ", ".join(CATEGORIES))
        if self.requests_per_category < 1 or self.tasks_per_request < 1:
            raise ValueError("requests_per_category and tasks_per_request must be at least 1")


@dataclass
class InstancesParams:
    """The ``embedder_instances:`` section."""
    per_category: int = 300
    grounded: bool = True                 # a corpus document is one side (see the module docstring)
    short_max_words: int = 30
    long_min_words: int = 35
    max_tokens: int = 160                 # grounded outputs are short; free mode needs ~400
    seed: int = 0                         # which tasks and documents each instance gets

    def __post_init__(self):
        if self.per_category < 1:
            raise ValueError(f"per_category={self.per_category} must be at least 1")
        self.rules  # validates the pair

    @property
    def rules(self) -> LengthRules:
        return LengthRules(self.short_max_words, self.long_min_words)


def brainstorm_schema(n: int, max_words: int) -> dict:
    item = {"type": "string", "minLength": 10, "maxLength": 12 * max_words}
    return {"type": "object", "properties": {"tasks": {"type": "array", "items": item, "minItems": 1, "maxItems": n}},
            "required": ["tasks"], "additionalProperties": False}


def brainstorm_requests(p: BrainstormParams, tokenizer, *, model: str, sampling: Sampling) -> list[tuple]:
    """(request, provenance) for each (category, index)."""
    sampling = Sampling(p.temperature, sampling.top_p, sampling.top_k, sampling.seed)
    schema = brainstorm_schema(p.tasks_per_request, p.max_task_words)
    out = []
    for category in p.categories:
        for index in range(p.requests_per_category):
            examples = "\n".join(f"- {t}" for t in EXAMPLE_TASKS[category])
            text = (f"List {p.tasks_per_request} different text retrieval tasks over {p.domain} in which "
                    f"{CATEGORY_ASKS[category]}. Describe each task in one sentence of at most "
                    f"{p.max_task_words} words, saying what is given and what must be found.\n"
                    f"Two examples of such tasks:\n{examples}\n"
                    f"Write new tasks, different from the examples and from each other. This is list number "
                    f"{index + 1}: be inventive.\n"
                    'Answer with JSON only: {"tasks": ["...", "..."]}')
            messages = [{"role": "user", "content": text}]
            rid = request_id("brainstorm", TEMPLATE_VERSION, category, index, text, schema, p.max_tokens, sampling, model)
            out.append((GenerationRequest(rid, messages, render(tokenizer, messages), p.max_tokens, schema, sampling),
                        {"category": category, "index": index}))
    return out


def _string_schema(keys: list[str]) -> dict:
    return {"type": "object", "properties": {k: {"type": "string", "minLength": 1} for k in keys},
            "required": keys, "additionalProperties": False}


def _length_words(length: str, rules: LengthRules) -> str:
    return (f"at most {rules.short_max_words} words" if length == "short"
            else f"at least {rules.long_min_words} words, several sentences")


def grounded_instance(category: str, task: str, document: str, rules: LengthRules,
                      special_tokens: list[str] = ()) -> tuple[str, dict, dict]:
    """(prompt text, schema, the sides taken from the document) for one grounded instance. The
    document enters the prompt with special-token strings broken up; the sides keep it as it is."""
    query_length, document_length = sides(category)
    if category == "long-short":  # the document is the query; the teacher writes both short targets
        shown, _ = neutralize(document, list(special_tokens))
        text = (f"Task: {task}\n\nText:\n{shown}\n\nFor this task, write the short target this text "
                f"should be matched to ({_length_words('short', rules)}), and a wrong target that looks "
                f"plausible but does not fit this text (also {_length_words('short', rules)}).\n"
                'Answer with JSON only: {"positive": "...", "negative": "..."}')
        return text, _string_schema(["positive", "negative"]), {"query": document}
    positive = first_sentence(document) if document_length == "short" else document
    shown, _ = neutralize(positive, list(special_tokens))
    what = "search query" if query_length == "short" else "text a user would submit as the query"
    text = (f"Task: {task}\n\nDocument:\n{shown}\n\nWrite a {what} ({_length_words(query_length, rules)}) for "
            f"which this document is the right match under the task. Do not copy sentences from the document.\n"
            'Answer with JSON only: {"query": "..."}')
    return text, _string_schema(["query"]), {"positive": positive}


def free_instance(category: str, task: str, rules: LengthRules, rng: random.Random) -> tuple[str, dict, dict]:
    """(prompt text, schema, {}) for one instance the teacher writes entirely (the paper's mode)."""
    query_length, document_length = sides(category)
    text = (f"Task: {task}\n\nWrite one training example for this task as JSON with three fields:\n"
            f'- "query": a {rng.choice(QUERY_STYLES)}, {rng.choice(CLARITY)} query ({_length_words(query_length, rules)});\n'
            f'- "positive": the text that matches it ({_length_words(document_length, rules)});\n'
            f'- "negative": a text that looks related but is a worse match ({_length_words(document_length, rules)}).\n'
            f"Do not repeat the query inside the texts, and do not explain. Readers have "
            f"{rng.choice(DIFFICULTY)} level education.\n"
            'Answer with JSON only: {"query": "...", "positive": "...", "negative": "..."}')
    return text, _string_schema(["query", "positive", "negative"]), {}


def instance_requests(p: InstancesParams, tasks: list[dict], documents: list[dict], tokenizer, *, model: str,
                      sampling: Sampling) -> list[tuple]:
    """(request, provenance) for ``per_category`` instances of each category that has tasks.

    Tasks are cycled in a seeded order; grounded instances each get a different document, drawn
    seeded from ``documents`` (rows with doc_id and text). Provenance carries what the teacher did
    not write (the document side), so parsing can assemble the instance.
    """
    special = special_tokens_of(tokenizer)
    rng = random.Random(p.seed)
    by_category: dict[str, list[dict]] = {}
    for task in tasks:
        by_category.setdefault(task["category"], []).append(task)
    needed = p.per_category * len(by_category) if p.grounded else 0
    if needed > len(documents):
        raise ValueError(f"embedder_instances: {needed} grounded instances need as many training documents, the corpus "
                         f"offers {len(documents)}. Fix: lower embedder_instances.per_category or add documents")
    pool = rng.sample(documents, needed) if needed else []
    out = []
    for category in sorted(by_category):
        ordered = sorted(by_category[category], key=lambda t: t["id"])
        rng.shuffle(ordered)
        for index in range(p.per_category):
            task = ordered[index % len(ordered)]
            doc = pool.pop() if p.grounded else None
            if doc is not None:
                text, schema, given = grounded_instance(category, task["task"], doc["text"], p.rules, special)
                example_task, example_doc, example_answer = EXAMPLE_INSTANCES[category]
                messages = [{"role": "user", "content": grounded_instance(category, example_task, example_doc, p.rules)[0]},
                            {"role": "assistant", "content": json.dumps(example_answer)},
                            {"role": "user", "content": text}]
            else:
                text, schema, given = free_instance(category, task["task"], p.rules, random.Random(f"{p.seed}:{category}:{index}"))
                messages = [{"role": "user", "content": text}]
            rid = request_id("instance", TEMPLATE_VERSION, category, index, task["task"], doc and doc["doc_id"], messages,
                             schema, p.max_tokens, sampling, model)
            request = GenerationRequest(rid, messages, render(tokenizer, messages), p.max_tokens, schema, sampling)
            out.append((request, {"category": category, "task_id": task["id"], "task": task["task"],
                                  "doc_id": doc and doc["doc_id"], "given": given}))
    return out
