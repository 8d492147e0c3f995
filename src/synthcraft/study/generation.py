"""What every generative arm of the study does with its stream of requests: the teacher answers
them in order until ``study.budget_tokens`` output tokens are spent (``synthcraft.budget``), then
CRAFT's filters keep the rows that train. Every reject is kept with its reason."""
from __future__ import annotations

import logging
from pathlib import Path

from synthcraft.budget import run_to_budget
from synthcraft.files import write_jsonl
from synthcraft.funnel import filter_samples
from synthcraft.teacher import make_teacher

log = logging.getLogger(__name__)


def generate_arm(arm: str, make, max_requests: int, shots: list[dict], task, params, out: Path, train: Path,
                 rejected: Path, parts: Path) -> tuple[list[dict], dict]:
    """(the kept replies, the arm's report: spend, rows, funnel). Writes the kept replies to ``out``,
    the training rows (task.supervision's form, with id, doc_id, the stream position and shot ids)
    to ``train`` and every rejected record to ``rejected``; resumable parts go under ``parts``."""
    s, g = params.study, params.generate
    kept, spend = run_to_budget(make, s.budget_tokens, make_teacher(g, params.ray), out, parts,
                                max_tokens=g.max_tokens or task.task_type.max_tokens, max_requests=max_requests,
                                section="generate", commit_every=g.commit_every, max_error_share=g.max_error_share)
    write_jsonl(out, kept)
    samples, dropped, funnel = filter_samples(kept, task.task_type, shots, params.filter.similarity,
                                              params.filter.lsh_threshold)
    order = {r["id"]: (r["order"], r["shot_ids"]) for r in kept}
    write_jsonl(train, [{"id": x["id"], "doc_id": x["doc_id"], "order": order[x["id"]][0],
                         "shot_ids": order[x["id"]][1], **task.task_type.example(x, task.supervision)}
                        for x in samples])
    write_jsonl(rejected, dropped)
    log.info("%s: %d requests within %d tokens -> %d rows after the filters (%.3f samples/s)", arm,
             spend["kept_requests"], s.budget_tokens, len(samples), spend["samples_per_s"] or 0)
    return kept, {"arm": arm, **spend, "rows": len(samples), "funnel": funnel.to_json(),
                  "rows_per_1k_tokens": round(1000 * len(samples) / spend["kept_tokens_out"], 2)
                  if spend["kept_tokens_out"] else None}
