"""EmbGen's arm of the study: its stream of teacher requests.

The arm works on the entity-description pairs the teacher extracted from the first documents of a
rewriting arm's stream (``study.embgen_source``: by default the domain documents CRAFT retrieved
near the few-shots), embedded and clustered by the EmbGen pipeline's stages. Each request is one
draw of EmbGen's samplers (proximity, intra- or inter-cluster pairs) with its clusters' system
prompt and the sampler's aim, and asks for one item in the task's JSON, with three of the study's
few-shots as worked examples in earlier turns (each its passage as one fact, then its JSON); the
budget, filters and training rows are every arm's
(``synthcraft.study.generation``).
"""
from __future__ import annotations

import numpy as np

from synthcraft.backends.base import GenerationRequest
from synthcraft.generation import render, request_id, special_tokens_of
from synthcraft.methods.craft.template import pick_shots
from synthcraft.methods.embgen.extraction import pair_text
from synthcraft.methods.embgen.prompts import TASK_PROMPT_VERSION, cluster_profiles, system_for, task_messages
from synthcraft.methods.embgen.samplers import Sampler
from synthcraft.study import EMBGEN


def embgen_stream(pairs: list[dict], structure: dict, shots: list[dict], task, tokenizer, generate, sampling):
    """``make(k)`` -> (request, provenance) for EmbGen's k-th draw (``sampling``: the embgen_sampling
    section), one task item per request, ``generate.shots_per_prompt`` few-shots as its examples."""
    special = special_tokens_of(tokenizer)
    labels = np.array(structure["labels"])
    sampler = Sampler(labels, np.array(structure["neighbours"]), sampling)
    profiles = cluster_profiles(structure)
    schema = task.task_type.schema
    max_tokens = generate.max_tokens or task.task_type.max_tokens

    def make(k: int):
        draw = sampler.draw(k)
        chosen = sorted(pick_shots(shots, f"{EMBGEN}-{k}", generate.shots_per_prompt, generate.sampling.seed),
                        key=lambda s: s["id"])
        messages = task_messages(system_for(draw, labels, profiles), draw["sampler"],
                                 [pair_text(pairs[r]) for r in draw["pairs"]],
                                 [(s["text"], task.task_type.answer_json(s)) for s in chosen], special)
        rid = request_id(TASK_PROMPT_VERSION, [EMBGEN, k], messages, schema, max_tokens, generate.sampling, generate.model)
        request = GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, schema, generate.sampling)
        docs = [pairs[r]["doc_id"] for r in draw["pairs"]]
        return request, {"doc_id": docs[0], "shot_ids": [s["id"] for s in chosen], "arm": EMBGEN, "order": k,
                         "sampler": draw["sampler"], "clusters": draw["clusters"], "doc_ids": sorted(set(docs)),
                         "pair_ids": [pairs[r]["pair_id"] for r in draw["pairs"]]}
    return make
