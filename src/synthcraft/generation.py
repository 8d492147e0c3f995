"""Turning retrieved documents into generation requests, and running them resumably.

Requests are built deterministically (same params, same requests, same ids) and executed in a
fixed order: grouped by their few-shot prefix, so backends that reuse a cached prefix (llama.cpp,
vLLM's prefix caching) skip most of the prompt. Results are committed in parts of
``commit_every``; a killed run resumes at the first unfinished part, and the final file is
sorted by request id so its DVC hash is stable.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Iterable

from tqdm.auto import tqdm

from synthcraft.backends.base import Backend, GenerationRequest
from synthcraft.prompts import Sampling, build_messages, pick_shots, render, request_id, special_tokens_of
from synthcraft.tasks.base import TaskType


def build_requests(documents: Iterable[dict], shots: list[dict], task: TaskType, tokenizer, *,
                   shots_per_prompt: int, max_tokens: int, sampling: Sampling) -> list[tuple[GenerationRequest, dict]]:
    """(request, provenance) per document, in execution order (few-shot prefix, then id)."""
    special = special_tokens_of(tokenizer)
    out = []
    for doc in documents:
        chosen = sorted(pick_shots(shots, doc["doc_id"], shots_per_prompt, sampling.seed), key=lambda s: s["id"])
        shot_ids = [s["id"] for s in chosen]
        messages = build_messages(task, chosen, doc["text"], special)
        request = GenerationRequest(request_id(doc["doc_id"], shot_ids, task, max_tokens, sampling), messages,
                                    render(tokenizer, messages), max_tokens, task.schema, sampling)
        out.append((request, {"doc_id": doc["doc_id"], "shot_ids": shot_ids}))
    out.sort(key=lambda pair: (pair[1]["shot_ids"], pair[0].id))
    return out


def _write_part(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_parts(parts_dir: Path) -> dict[str, dict]:
    done = {}
    for part in sorted(parts_dir.glob("part-*.jsonl")):
        for line in part.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["id"]] = row
    return done


def run_requests(pairs: list[tuple[GenerationRequest, dict]], backend: Backend, out_file: Path, parts_dir: Path,
                 *, commit_every: int = 16, progress: bool = True) -> dict:
    """Generate every request not already in ``parts_dir``; write ``out_file`` sorted by id."""
    parts_dir.mkdir(parents=True, exist_ok=True)
    wanted = {request.id for request, _ in pairs}
    done = {i: row for i, row in _read_parts(parts_dir).items() if i in wanted}  # other params' rows are stale
    stats = {"requests": len(pairs), "resumed": len(done), "completed": 0, "skipped_too_long": 0, "errors": 0,
             "tokens_in": 0, "tokens_out": 0}
    todo = [(r, p) for r, p in pairs if r.id not in done]
    n_parts = len(list(parts_dir.glob("part-*.jsonl")))
    started = time.perf_counter()
    with tqdm(total=len(todo), unit="sample", desc="generate", disable=not progress, dynamic_ncols=True) as bar:
        for start in range(0, len(todo), commit_every):
            chunk = todo[start: start + commit_every]
            chunk_started = time.perf_counter()
            rows, runnable = [], []
            for request, provenance in chunk:
                prompt_tokens = backend.count_tokens(request.prompt)
                if prompt_tokens + request.max_tokens > backend.context_length:
                    rows.append({"id": request.id, **provenance, "text": "", "tokens_in": prompt_tokens,
                                 "tokens_out": 0, "finish_reason": "skipped_too_long", "error": None})
                else:
                    runnable.append((request, provenance))
            provenance_of = {r.id: p for r, p in runnable}
            for result in backend.generate([r for r, _ in runnable]):
                rows.append({**asdict(result), **provenance_of[result.id]})
                stats["tokens_out"] += result.tokens_out
                stats["tokens_in"] += result.tokens_in
                bar.update(1)
                elapsed = time.perf_counter() - started
                bar.set_postfix(tok_s=f"{stats['tokens_out'] / elapsed:.1f}")
            bar.update(len(chunk) - len(runnable))
            # Per-row share of the chunk's wall time, kept in the parts only (the final file must
            # not depend on timing), so speed figures survive a resume.
            chunk_seconds = time.perf_counter() - chunk_started
            for row in rows:
                row["seconds"] = round(chunk_seconds / len(rows), 4)
            _write_part(parts_dir / f"part-{n_parts:06d}.jsonl", rows)
            n_parts += 1
            done.update({row["id"]: row for row in rows})
    stats["tokens_in"] = sum(row["tokens_in"] for row in done.values())
    stats["tokens_out"] = sum(row["tokens_out"] for row in done.values())
    for row in done.values():
        reason = row["finish_reason"]
        stats["skipped_too_long" if reason == "skipped_too_long" else "errors" if reason == "error" else "completed"] += 1
    seconds = sum(row.get("seconds", 0.0) for row in done.values())  # over all runs, resumed ones too
    stats.update(seconds=round(seconds, 1), samples_per_s=round(len(done) / seconds, 3) if seconds else None,
                 tokens_out_per_s=round(stats["tokens_out"] / seconds, 1) if seconds else None)
    rows = [{k: v for k, v in done[i].items() if k != "seconds"} for i in sorted(done)]
    tmp = out_file.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    os.replace(tmp, out_file)
    return stats
