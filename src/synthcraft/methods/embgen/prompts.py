"""The prompts that turn material into question-answer pairs, in the project's own words.

EmbGen: a system prompt specialised to the cluster(s) the material comes from (its keywords and
typical entities; an inter-cluster request names each of its clusters), then a user turn with the
numbered entity-description pairs and what this sampler's questions should do. The one-document
baseline (CRAFT-style): a plain system prompt and one document. Both ask for the same JSON, are
constrained to the same schema, show one worked example as an earlier turn, and get the same
max_tokens, so the arms differ only in their material.

``task_messages`` is EmbGen for a task with a schema of its own (the head-to-head study's multiple
choice): the same system prompt, facts and sampler aim, one item in the task's JSON per request,
and the task's few-shots as the worked examples (what the other arms' prompts show too).
"""
from __future__ import annotations

from dataclasses import dataclass

from synthcraft.backends.base import GenerationRequest, Sampling
from synthcraft.generation import neutralize, render, request_id

PROMPT_VERSION = "embgen-qa-v1"


def schema(questions: int) -> dict:
    qa = {"type": "object",
          "properties": {"question": {"type": "string", "minLength": 10, "maxLength": 300},
                         "answer": {"type": "string", "minLength": 1, "maxLength": 400}},
          "required": ["question", "answer"], "additionalProperties": False}
    return {"type": "object", "properties": {"qa": {"type": "array", "items": qa, "minItems": 1, "maxItems": questions}},
            "required": ["qa"], "additionalProperties": False}


@dataclass
class ClusterProfile:
    keywords: list[str]
    entities: list[str]

    def describe(self) -> str:
        return (f"a subject area whose key terms are {', '.join(self.keywords)}; typical entities in it are "
                f"{'; '.join(self.entities)}")


def system_prompt(profiles: list[ClusterProfile]) -> str:
    if len(profiles) == 1:
        return (f"You are a teacher who writes exam questions in {profiles[0].describe()}. Your questions test "
                "knowledge of the facts you are given, in the words an expert in this area would use.")
    areas = "\n".join(f"- Area {i + 1}: {p.describe()}." for i, p in enumerate(profiles))
    return ("You are a teacher who writes exam questions that connect different subject areas:\n"
            f"{areas}\nYour questions link facts from one area with facts from another.")


def cluster_profiles(structure: dict) -> dict[int, ClusterProfile]:
    """Each cluster's profile, from embgen_structure's structure.json."""
    return {int(c): ClusterProfile(v["keywords"], v["entities"]) for c, v in structure["clusters"].items()}


def system_for(draw: dict, labels, profiles: dict[int, ClusterProfile]) -> str:
    """One draw's system prompt: a proximity draw is local material, so its anchor's cluster speaks
    for it; intra and inter draws name each of their clusters (noise has no profile)."""
    if draw["sampler"] == "proximity":
        named = [c for c in [int(labels[draw["pairs"][0]]), *draw["clusters"]] if c in profiles][:1]
    else:
        named = [c for c in draw["clusters"] if c in profiles]
    return system_prompt([profiles[c] for c in named]) if named else BASELINE_SYSTEM


SAMPLER_TASK = {
    "proximity": "These facts are closely related. Write questions about how they relate to each other.",
    "intra": "These facts belong to one subject area. Write questions that test the area as a whole.",
    "inter": "These facts come from different subject areas. Write questions that connect them.",
}
BASELINE_SYSTEM = "You are a teacher who writes exam questions about the texts you are given."
FORMAT = ('Each answer is one or two sentences and must follow from the material. '
          'Reply with JSON only: {{"qa": [{{"question": "...", "answer": "..."}}, ...]}} with {n} items.')


def facts_turn(sampler: str, facts: list[str], questions: int) -> str:
    listed = "\n".join(f"{i + 1}. {fact}" for i, fact in enumerate(facts))
    return f"Facts:\n{listed}\n\n{SAMPLER_TASK[sampler]} {FORMAT.format(n=questions)}"


def document_turn(document: str, questions: int) -> str:
    return f"Text:\n{document}\n\nWrite questions about this text. {FORMAT.format(n=questions)}"


# Hand-written worked examples (the same facts as pairs and as a text).
_FACTS = ["Danube: The Danube is the second-longest river in Europe.",
          "Black Sea: The Black Sea is where the Danube ends.",
          "Vienna: Vienna, the capital of Austria, lies on the Danube."]
_DOCUMENT = ("The Danube is the second-longest river in Europe. It flows through Vienna, the capital of Austria, "
             "and ends in the Black Sea.")
_REPLY = ('{"qa": [{"question": "Into which sea does the river that flows through Vienna end?", "answer": '
          '"The Danube, which flows through Vienna, ends in the Black Sea."}, {"question": "Which European river '
          'is the second longest?", "answer": "The Danube is the second-longest river in Europe."}]}')


def embgen_messages(system: str, sampler: str, facts: list[str], questions: int, special: list[str]) -> list[dict]:
    facts = [neutralize(f, special)[0] for f in facts]
    return [{"role": "system", "content": system},
            {"role": "user", "content": facts_turn(sampler, _FACTS, 2)},
            {"role": "assistant", "content": _REPLY},
            {"role": "user", "content": facts_turn(sampler, facts, questions)}]


def baseline_messages(document: str, questions: int, special: list[str]) -> list[dict]:
    return [{"role": "system", "content": BASELINE_SYSTEM},
            {"role": "user", "content": document_turn(_DOCUMENT, 2)},
            {"role": "assistant", "content": _REPLY},
            {"role": "user", "content": document_turn(neutralize(document, special)[0], questions)}]


# v2: the few-shots are earlier turns (a 135M teacher copied examples listed in the last turn: 116
# of 178 replies in the first default run were a few-shot's question again).
TASK_PROMPT_VERSION = "embgen-task-v2"
TASK_FORMAT = "Write one new question of the task that these facts answer, in the JSON form of your earlier replies."


def task_messages(system: str, sampler: str, facts: list[str], shots: list[tuple[str, str]],
                  special: list[str]) -> list[dict]:
    """EmbGen's request for one task item. ``shots`` are (text, the task's JSON) few-shots, shown as
    earlier turns with the text as their one fact, as EmbGen's own prompt shows its worked example."""
    def turn(items: list[str]) -> str:
        listed = "\n".join(f"{i + 1}. {neutralize(item, special)[0]}" for i, item in enumerate(items))
        return f"Facts:\n{listed}\n\n{SAMPLER_TASK[sampler]} {TASK_FORMAT}"
    messages = [{"role": "system", "content": system}]
    for text, answer in shots:
        messages += [{"role": "user", "content": turn([text])}, {"role": "assistant", "content": answer}]
    return messages + [{"role": "user", "content": turn(facts)}]


def qa_request(messages: list[dict], tokenizer, *, key: list, model: str, questions: int, max_tokens: int,
               sampling: Sampling) -> GenerationRequest:
    rid = request_id(PROMPT_VERSION, key, messages, schema(questions), max_tokens, sampling, model)
    return GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, schema(questions), sampling)
