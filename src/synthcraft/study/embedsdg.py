"""EmbedSDG's arm of the study: seed pairs from sparse regions of the student's view of the domain's
documents, their decoded interpolations, and the stream of teacher requests built on them.

EmbedSDG's D is the data the student already knows. The study gives no task data beyond a few
few-shots, so D is the domain's documents: the first ``study.embedsdg_documents`` of a rewriting
arm's stream (``study.embedsdg_source``: by default the craft arm's, retrieved near the few-shots;
EmbGen's arm takes its documents the same way). The student -- the study's base model, which every
arm trains -- embeds them with attention weights (``embedsdg_embed:``), PCA lays them in 2-D, the
grid finds cells with few documents, and pairs of documents from opposite sides of those cells are
interpolated in the student's input space and decoded by it (``embedsdg_decode:``). Each request is
P_g over one pair: both passages and the decoded draft (or no draft where the decoding was unusable,
``embedsdg_generate.degenerate_decoding``), asking for one item in the task's JSON with the study's
few-shots as worked examples. The stream walks the pairs sparsest cell first, so the budget keeps
the pairs the method ranks first. Sparse cells hold few documents, so they give few distinct pairs
(~80 from the study's 400 documents, whatever the grid: docs/study.md); where the budget needs more
requests than there are pairs, the stream walks them again, each request with its own draw of
few-shots (as EmbGen's samplers draw its pairs with replacement). Budget and filters are every
arm's (``synthcraft.study.generation``).
"""
from __future__ import annotations

from synthcraft.backends.base import GenerationRequest
from synthcraft.generation import render, request_id, special_tokens_of
from synthcraft.methods.craft.template import pick_shots
from synthcraft.methods.embedsdg.prompts import PASSAGE_PROMPT_VERSION, passage_messages
from synthcraft.study import EMBEDSDG


def usable_pairs(pairs: list[dict], degenerate_decoding: str) -> list[dict]:
    """The pairs that become requests: all of them (``no_draft``: an unusable decoding becomes a
    request without a draft) or only those with a usable decoding (``skip``)."""
    return [p for p in pairs if degenerate_decoding == "no_draft" or p["degenerate"] is None]


def embedsdg_stream(documents: dict[str, dict], pairs: list[dict], shots: list[dict], task, tokenizer, generate):
    """``make(k)`` -> (request, provenance) for pair k mod len(pairs) (``documents`` by doc_id), one
    task item per request, ``generate.shots_per_prompt`` few-shots drawn for k as its worked examples."""
    special = special_tokens_of(tokenizer)
    schema = task.task_type.schema
    max_tokens = generate.max_tokens or task.task_type.max_tokens

    def make(k: int):
        pair = pairs[k % len(pairs)]
        first, second = (documents[d]["text"] for d in pair["doc_ids"])
        chosen = sorted(pick_shots(shots, f"{EMBEDSDG}-{k}", generate.shots_per_prompt, generate.sampling.seed),
                        key=lambda s: s["id"])
        draft = None if pair["degenerate"] else pair["text"]
        messages = passage_messages(first, second, draft, [(s["text"], task.task_type.answer_json(s)) for s in chosen],
                                    special)
        rid = request_id(PASSAGE_PROMPT_VERSION, [EMBEDSDG, k, pair["doc_ids"]], messages, schema, max_tokens,
                         generate.sampling, generate.model)
        request = GenerationRequest(rid, messages, render(tokenizer, messages), max_tokens, schema, generate.sampling)
        return request, {"doc_id": pair["doc_ids"][0], "doc_ids": pair["doc_ids"], "shot_ids": [s["id"] for s in chosen],
                         "arm": EMBEDSDG, "order": k, "pair": pair["order"], "pass": k // len(pairs), "cell": pair["cell"],
                         "cell_count": pair["cell_count"], "draft": draft is not None}
    return make
