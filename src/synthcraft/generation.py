"""Running generation requests through any backend, resumably, and the safety of rendering them.

Every method turns its material into ``GenerationRequest``s; this module executes them. Results
are committed in parts of ``commit_every`` under a parts folder that is NOT a DVC output (parts
carry per-row timing), so a killed run resumes at the first unfinished part while the tracked
output -- one JSONL sorted by request id, without timings -- depends only on inputs and params.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from tqdm.auto import tqdm

from synthcraft import assets
from synthcraft.backends import BACKENDS, llamacpp_backend, openai_backend, transformers_backend, vllm_backend
from synthcraft.backends.base import Backend, GenerationRequest, Sampling
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.params import choice

ZERO_WIDTH_SPACE = "\u200b"


@dataclass
class GenerateParams:
    """The ``generate:`` section: the teacher, sampling, and one nested section per backend.

    dvc.yaml tracks these per key and only the chosen backend's section, so changing
    ``generate.openai.concurrency`` never re-runs a llama.cpp generation.
    """
    backend: str = "llamacpp"
    model: str = assets.SMOLLM2_GGUF    # GGUF, model folder, or hub name
    tokenizer: Optional[str] = None      # renders the chat template; None: the model's own
    shots_per_prompt: int = 3            # CRAFT: three few-shots per prompt, sampled per document
    max_tokens: Optional[int] = None     # None: the task type's budget (256 for QA, CRAFT B.5)
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    seed: int = 0
    context_length: int = 4096           # longer prompts are skipped and counted, never truncated
    commit_every: int = 16               # requests per committed part (resume granularity only)
    llamacpp: llamacpp_backend.Options = field(default_factory=llamacpp_backend.Options)
    transformers: transformers_backend.Options = field(default_factory=transformers_backend.Options)
    vllm: vllm_backend.Options = field(default_factory=vllm_backend.Options)
    openai: openai_backend.Options = field(default_factory=openai_backend.Options)

    def __post_init__(self):
        choice(self.backend, BACKENDS, "backend")

    @property
    def sampling(self) -> Sampling:
        return Sampling(self.temperature, self.top_p, self.top_k, self.seed)

    @property
    def backend_options(self):
        return getattr(self, self.backend)


def neutralize(text: str, special_tokens: list[str]) -> tuple[str, int]:
    """Break every special-token string in ``text`` with a zero-width space; returns (text, breaks).

    Untrusted text (a corpus document) could otherwise close the user turn and open a system turn.
    """
    count = 0
    for token in sorted(special_tokens, key=len, reverse=True):
        if len(token) > 1 and token in text:
            count += text.count(token)
            text = text.replace(token, token[0] + ZERO_WIDTH_SPACE + token[1:])
    return text, count


def special_tokens_of(tokenizer) -> list[str]:
    added = [t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values() if t.special]
    return sorted(set(tokenizer.all_special_tokens) | set(added))


def render(tokenizer, messages: list[dict]) -> str:
    """The prompt string, through the tokenizer's own chat template (never hand-written tags).
    Message content is data to the template: braces and Jinja syntax in it stay inert."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def request_id(*parts) -> str:
    """Hash of everything that determines a request's output (dataclasses included): same inputs,
    same id, so a resumed run can skip what is done and a changed setting cannot reuse stale rows."""
    plain = [asdict(p) if dataclasses.is_dataclass(p) else p for p in parts]
    return hashlib.blake2b(json.dumps(plain, sort_keys=True).encode(), digest_size=12).hexdigest()


def _read_parts(parts_dir: Path) -> dict[str, dict]:
    return {row["id"]: row for part in sorted(parts_dir.glob("part-*.jsonl")) for row in read_jsonl(part)}


def run_requests(pairs: list[tuple[GenerationRequest, dict]], backend: Backend, out_file: Path, parts_dir: Path,
                 *, commit_every: int = 16, progress: bool = True) -> dict:
    """Generate every request not already in ``parts_dir``; write ``out_file`` sorted by id.

    ``pairs`` are (request, provenance) in execution order; provenance is copied into each row.
    Returns counts, tokens and speed (over all runs that contributed, resumed ones included).
    """
    parts_dir.mkdir(parents=True, exist_ok=True)
    wanted = {request.id for request, _ in pairs}
    done = {i: row for i, row in _read_parts(parts_dir).items() if i in wanted}  # other params' rows are stale
    stats = {"requests": len(pairs), "resumed": len(done), "completed": 0, "skipped_too_long": 0, "errors": 0}
    todo = [(r, p) for r, p in pairs if r.id not in done]
    n_parts = len(list(parts_dir.glob("part-*.jsonl")))
    started, tokens_out = time.perf_counter(), 0
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
                tokens_out += result.tokens_out
                bar.update(1)
                bar.set_postfix(tok_s=f"{tokens_out / (time.perf_counter() - started):.1f}")
            bar.update(len(chunk) - len(runnable))
            # Each row's share of the chunk's wall time, so speed figures survive a resume.
            chunk_seconds = time.perf_counter() - chunk_started
            for row in rows:
                row["seconds"] = round(chunk_seconds / len(rows), 4)
            write_jsonl(parts_dir / f"part-{n_parts:06d}.jsonl", rows, fsync=True)
            n_parts += 1
            done.update({row["id"]: row for row in rows})
    for row in done.values():
        reason = row["finish_reason"]
        stats["skipped_too_long" if reason == "skipped_too_long" else "errors" if reason == "error" else "completed"] += 1
    stats["tokens_in"] = sum(row["tokens_in"] for row in done.values())
    stats["tokens_out"] = sum(row["tokens_out"] for row in done.values())
    seconds = sum(row.get("seconds", 0.0) for row in done.values())
    stats.update(seconds=round(seconds, 1), samples_per_s=round(len(done) / seconds, 3) if seconds else None,
                 tokens_out_per_s=round(stats["tokens_out"] / seconds, 1) if seconds else None)
    write_jsonl(out_file, [{k: v for k, v in done[i].items() if k != "seconds"} for i in sorted(done)])
    return stats
