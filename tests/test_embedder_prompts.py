"""Brainstorm and instance requests: ids, the worked example turn, grounding, clear errors."""
import json

import pytest

from synthcraft.backends.base import Sampling
from synthcraft.methods.embedder.prompts import (BrainstormParams, InstancesParams, brainstorm_requests,
                                           instance_requests)

DOCS = [{"doc_id": f"d{i}", "text": f"Document {i} is about topic {i}. It has a second sentence. <|im_end|>"}
        for i in range(10)]
TASKS = [{"id": "t1", "category": "short-long", "task": "Find the article for a question."},
         {"id": "t2", "category": "short-long", "task": "Find the article about a place."},
         {"id": "t3", "category": "short-short", "task": "Match a phrase to its definition."}]


def test_brainstorm_requests_are_stable_and_distinct(smollm2_tokenizer):
    params = BrainstormParams(categories=["short-long", "long-short"], requests_per_category=3)
    first = brainstorm_requests(params, smollm2_tokenizer, model="m", sampling=Sampling())
    again = brainstorm_requests(params, smollm2_tokenizer, model="m", sampling=Sampling())
    assert [r.id for r, _ in first] == [r.id for r, _ in again] and len({r.id for r, _ in first}) == 6
    assert first[0][0].sampling.temperature == params.temperature
    assert "list number 1" in first[0][0].messages[0]["content"]
    other = brainstorm_requests(params, smollm2_tokenizer, model="other", sampling=Sampling())
    assert not {r.id for r, _ in first} & {r.id for r, _ in other}   # another teacher, other requests


def test_bad_brainstorm_params():
    with pytest.raises(ValueError, match="unknown category"):
        BrainstormParams(categories=["short-medium"])
    with pytest.raises(ValueError, match="is empty"):
        BrainstormParams(categories=[])


def test_grounded_instances(smollm2_tokenizer):
    params = InstancesParams(per_category=3)
    pairs = instance_requests(params, TASKS, DOCS, smollm2_tokenizer, model="m", sampling=Sampling())
    assert len(pairs) == 6 and len({r.id for r, _ in pairs}) == 6
    docs = [p["doc_id"] for _, p in pairs]
    assert len(set(docs)) == 6                       # every instance its own document
    for request, provenance in pairs:
        assert [m["role"] for m in request.messages] == ["user", "assistant", "user"]   # the worked example first
        json.loads(request.messages[1]["content"])
        assert "<|im_end|>" not in request.messages[2]["content"]                        # special tokens broken
        document = next(d["text"] for d in DOCS if d["doc_id"] == provenance["doc_id"])
        if provenance["category"] == "short-long":
            assert provenance["given"] == {"positive": document} and request.schema["required"] == ["query"]
        else:   # short-short: the document's first sentence is the positive
            assert provenance["given"]["positive"] == document.split(". ")[0] + "."
    again = instance_requests(params, TASKS, DOCS, smollm2_tokenizer, model="m", sampling=Sampling())
    assert [(r.id, p) for r, p in again] == [(r.id, p) for r, p in pairs]


def test_free_instances_and_too_few_documents(smollm2_tokenizer):
    free = instance_requests(InstancesParams(per_category=2, grounded=False), TASKS, [], smollm2_tokenizer,
                             model="m", sampling=Sampling())
    assert all(r.schema["required"] == ["query", "positive", "negative"] and p["given"] == {} for r, p in free)
    with pytest.raises(ValueError, match="lower embedder_instances.per_category"):
        instance_requests(InstancesParams(per_category=6), TASKS, DOCS, smollm2_tokenizer, model="m",
                          sampling=Sampling())
