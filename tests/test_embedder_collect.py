"""Parsing teacher outputs into tasks and instances, with every reject counted."""
import json

from synthcraft.methods.embedder.categories import LengthRules
from synthcraft.methods.embedder.collect import collect_instances, collect_tasks

RULES = LengthRules(short_max_words=6, long_min_words=8)
DOC = "The Eiffel Tower is an iron tower in Paris built for the fair of 1889."


def row(i, text, finish="stop", **extra):
    return {"id": f"r{i}", "text": text, "finish_reason": finish, **extra}


def test_collect_tasks_counts_every_reject():
    rows = [
        row(1, json.dumps({"tasks": ["Find the article that answers a history question.",
                                     "find the article that answers a history question",   # duplicate
                                     "1, 2, 3, 4,",                                        # not a task
                                     "",                                                   # empty
                                     "Given a city, find the article about its country."]}), category="short-long"),
        row(2, '{"tasks": ["broken', category="short-long"),
        row(3, "", finish="error", category="short-long"),
        row(4, json.dumps({"tasks": ["Find the article that answers a history question."]}), category="long-long"),
        row(5, json.dumps({"tasks": ["Given a question, find the encyclopedia article that answers it."]}),
            category="short-long"),
    ]
    examples = {"short-long": ["Given a question, find the encyclopedia article that answers it."]}
    tasks, rejects = collect_tasks(rows, max_words=40, examples=examples)
    assert [(t["category"], t["task"]) for t in tasks] == [
        ("short-long", "Find the article that answers a history question."),
        ("short-long", "Given a city, find the article about its country."),
        ("long-long", "Find the article that answers a history question."),   # duplicates count per category
    ]
    assert rejects == {"duplicate": 1, "too_short": 1, "empty": 1, "malformed": 1, "request_error": 1,
                       "copied_example": 1}


def test_collect_instances_merges_the_document_side():
    given = {"positive": DOC}
    rows = [
        row(1, json.dumps({"query": "iron tower paris"}), category="short-long", task="t", doc_id="d1", given=given),
        row(2, json.dumps({"query": "iron tower paris"}), category="short-long", task="t", doc_id="d1", given=given),
        row(3, json.dumps({"query": DOC}), category="short-long", task="t", doc_id="d2", given=given),
        row(4, json.dumps({"positive": "engineering", "negative": "engineering"}), category="long-short",
            task="t", doc_id="d3", given={"query": DOC}),
        row(5, "not json", category="short-long", task="t", doc_id="d4", given=given),
        row(6, "", finish="skipped_too_long", category="short-long", task="t", doc_id="d5", given=given),
    ]
    instances, rejects = collect_instances(rows, RULES)
    assert instances == [{"id": "r1", "category": "short-long", "task": "t", "doc_id": "d1",
                          "query": "iron tower paris", "positive": DOC, "negative": None}]
    assert rejects == {"duplicate": 1, "query_not_short": 1, "negative_equals_positive": 1, "malformed": 1,
                       "prompt_too_long": 1}
