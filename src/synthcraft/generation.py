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
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from tqdm.auto import tqdm

from synthcraft import assets
from synthcraft.backends import BACKENDS, llamacpp_backend, openai_backend, transformers_backend, vllm_backend
from synthcraft.backends.base import Backend, BackendAuthError, GenerationRequest, GenerationResult, Sampling
from synthcraft.files import read_jsonl, write_jsonl, writing
from synthcraft.params import at_least, choice

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
    max_error_share: float = 0.02        # more failed requests than this share stops the stage (non-zero exit)
    llamacpp: llamacpp_backend.Options = field(default_factory=llamacpp_backend.Options)
    transformers: transformers_backend.Options = field(default_factory=transformers_backend.Options)
    vllm: vllm_backend.Options = field(default_factory=vllm_backend.Options)
    openai: openai_backend.Options = field(default_factory=openai_backend.Options)

    def __post_init__(self):
        choice(self.backend, BACKENDS, "backend")
        at_least(1, commit_every=self.commit_every, context_length=self.context_length, max_tokens=self.max_tokens)
        at_least(0, shots_per_prompt=self.shots_per_prompt, top_k=self.top_k)
        if not 0 <= self.max_error_share < 1:
            raise ValueError(f"max_error_share={self.max_error_share} must be in [0, 1)")

    @property
    def sampling(self) -> Sampling:
        return Sampling(self.temperature, self.top_p, self.top_k, self.seed)

    @property
    def backend_options(self):
        return getattr(self, self.backend)


# The keys of generate: that decide what a teacher writes, for every stage that asks it (dvc.yaml
# lists each stage's params per key, plus generate.${generate.backend}; pipeline_deps checks them).
# temperature, max_tokens and shots_per_prompt are listed only where a stage reads them from here:
# the embedder and EmbedSDG set their own.
TEACHER_KEYS = ("backend", "model", "tokenizer", "top_p", "top_k", "seed", "context_length", "max_error_share")


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
    """Strings untrusted text must not carry into a prompt: the tokenizer's special tokens and the
    plain-text turn markers its chat template writes (``[INST]``, ``<<SYS>>``: not special tokens
    in Mistral- and Llama-2-style templates, yet they open and close turns)."""
    added = [t.content for t in getattr(tokenizer, "added_tokens_decoder", {}).values() if t.special]
    return sorted(set(tokenizer.all_special_tokens) | set(added) | set(template_markers(tokenizer)))


_PROBE = "\ue000{}\ue000"  # private-use characters: never part of a template's own text
_MARKER_CHARS = set("<>[]|#")


def template_markers(tokenizer) -> list[str]:
    """The literal text a chat template puts around messages, as whitespace-separated pieces that
    look like markup (contain one of ``<>[]|#``). Found by rendering a probe conversation: plain
    words of a default system prompt are left alone, only marker-like pieces count."""
    if not getattr(tokenizer, "chat_template", None):
        return []
    turns = [{"role": "system", "content": _PROBE.format(0)}, {"role": "user", "content": _PROBE.format(1)},
             {"role": "assistant", "content": _PROBE.format(2)}, {"role": "user", "content": _PROBE.format(3)}]
    for probe in (turns, turns[1:]):  # some templates refuse a system turn
        try:
            text = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
            break
        except Exception:  # a template's raise_exception(...) for turns it does not accept  # noqa: BLE001
            continue
    else:
        return []
    literal = "".join(piece for i, piece in enumerate(text.split("\ue000")) if i % 2 == 0)
    for token in getattr(tokenizer, "all_special_tokens", []):  # covered already; they also glue words
        literal = literal.replace(token, " ")
    return sorted({word for word in literal.split() if len(word) > 1 and _MARKER_CHARS & set(word)})


def render(tokenizer, messages: list[dict]) -> str:
    """The prompt string, through the tokenizer's own chat template (never hand-written tags).
    Message content is data to the template: braces and Jinja syntax in it stay inert."""
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def request_id(*parts) -> str:
    """Hash of everything that determines a request's output (dataclasses included): same inputs,
    same id, so a resumed run can skip what is done and a changed setting cannot reuse stale rows."""
    plain = [asdict(p) if dataclasses.is_dataclass(p) else p for p in parts]
    return hashlib.blake2b(json.dumps(plain, sort_keys=True).encode(), digest_size=12).hexdigest()


def request_key(request: GenerationRequest, backend: Backend) -> str:
    """Hash of what decides a request's output: the rendered prompt and its turns, the schema, the
    token limits, sampling, and the teacher's fingerprint (its bytes, tokenizer and options). The
    request id only names a request (and seeds it); a finished row is reused only under the same
    key, so an edited few-shot or a retrained model behind the same path is generated again."""
    return request_id(request.prompt, request.messages, request.schema, request.max_tokens, request.sampling,
                      backend.context_length, backend.fingerprint)


class GenerationError(SystemExit):
    """Generation stopped because its results cannot be trusted (refused credentials, or more
    failed requests than ``max_error_share`` allows). A ``SystemExit``: the stage prints the message
    and exits non-zero, so DVC does not record the stage as done. Finished requests stay committed
    and a re-run retries only the rest."""


def _read_parts(parts_dir: Path) -> dict[str, dict]:
    # Parts are read in the order they were written: a retried request's later row wins. Rows
    # from before error kinds were recorded get the field, so a resumed run equals a fresh one.
    return {row["id"]: {**row, "error_kind": row.get("error_kind")}
            for part in sorted(parts_dir.glob("part-*.jsonl")) for row in read_jsonl(part)}


def _error_message(section: str, backend: Backend, errors: list[dict], attempted: int, total: int,
                   max_error_share: float, parts_dir: Path) -> str:
    first = errors[0]
    kinds = Counter(row.get("error_kind") or "other" for row in errors)
    fix = backend.fix_for(first.get("error_kind"), section) if hasattr(backend, "fix_for") else "see the message above"
    return (f"{section}: {len(errors)} of the {attempted} requests attempted so far failed ({dict(kinds)}); "
            f"{section}.max_error_share = {max_error_share} allows {int(max_error_share * total)} of {total}.\n"
            f"First error: {first['error']}\nFix: {fix}. Finished requests are kept in {parts_dir}; "
            f"a re-run retries only the failed and unfinished ones.")


def run_requests(pairs: list[tuple[GenerationRequest, dict]], backend: Backend, out_file: Path, parts_dir: Path,
                 *, commit_every: int = 16, max_error_share: float = 0.0, section: str = "generate",
                 progress: bool = True, group_prefixes: bool = True) -> dict:
    """Generate every request not already finished in ``parts_dir``; write ``out_file`` sorted by id.

    ``pairs`` are (request, provenance); provenance is copied into each row. With ``group_prefixes``
    the unfinished requests run sorted by prompt, so neighbours share their longest prefix (system
    prompt, few-shots) and a backend that keeps the previous prompt's KV cache (llama.cpp) evaluates
    only the rest (benchmarks/generation_order.py measures it); otherwise in the order given.
    Only completed and too-long-skipped requests count as finished, and only under the same
    ``request_key`` (a row made from another prompt or model is ``stale``); an errored one, or one
    the backend returned no result for, is attempted again on the next run. Errors past
    ``max_error_share`` of all requests, or refused credentials, stop the run with a
    ``GenerationError`` naming the first error and its fix (``section`` is the params section to
    name, e.g. ``generate``). Returns counts, errors by
    kind, tokens and speed (over all runs that contributed, resumed ones included).
    """
    with writing(parts_dir):  # one writer per parts folder
        if commit_every < 1:
            raise ValueError(f"{section}.commit_every={commit_every} must be at least 1")
        if not getattr(backend, "fingerprint", None):  # without it, rows of another model could be reused
            raise TypeError(f"{type(backend).__name__} has no fingerprint: build it with backends.make_backend")
        parts_dir.mkdir(parents=True, exist_ok=True)
        keys = {request.id: request_key(request, backend) for request, _ in pairs}
        if len(keys) != len(pairs):
            raise ValueError(f"{section}: {len(pairs) - len(keys)} requests share an id with another request")
        earlier = {i: row for i, row in _read_parts(parts_dir).items() if i in keys}  # other params' rows are not asked
        current = {i: row for i, row in earlier.items() if row.get("key") == keys[i]}
        done = {i: row for i, row in current.items() if row["finish_reason"] != "error"}
        stats = {"requests": len(pairs), "resumed": len(done), "retried": len(current) - len(done),
                 "stale": len(earlier) - len(current), "completed": 0, "skipped_too_long": 0, "errors": 0}
        todo = [(r, p) for r, p in pairs if r.id not in done]
        if group_prefixes:  # stable: equal prompts keep their order; a resume restarts on the same chunks
            todo.sort(key=lambda pair: pair[0].prompt)
        allowed_errors = int(max_error_share * len(pairs))
        n_parts = len(list(parts_dir.glob("part-*.jsonl")))
        started, tokens_out, errors = time.perf_counter(), 0, []
        with tqdm(total=len(todo), unit="sample", desc=section, disable=not progress, dynamic_ncols=True) as bar:
            for start in range(0, len(todo), commit_every):
                chunk = todo[start: start + commit_every]
                chunk_started = time.perf_counter()
                rows, runnable = [], []
                for request, provenance in chunk:
                    prompt_tokens = backend.count_tokens(request.prompt)
                    if prompt_tokens + request.max_tokens > backend.context_length:
                        rows.append({"id": request.id, **provenance, "text": "", "tokens_in": prompt_tokens,
                                     "tokens_out": 0, "finish_reason": "skipped_too_long", "error": None,
                                     "error_kind": None, "key": keys[request.id]})
                    else:
                        runnable.append((request, provenance))
                provenance_of = {r.id: p for r, p in runnable}
                refused = None
                answered = set()
                try:
                    for result in backend.generate([r for r, _ in runnable]):
                        if result.id not in provenance_of or result.id in answered:
                            raise GenerationError(
                                f"{section}: the {backend.name} backend returned a result for request {result.id}, "
                                f"which was {'answered twice' if result.id in answered else 'not asked'}: a bug in "
                                f"the backend. Finished requests are kept in {parts_dir}.")
                        answered.add(result.id)
                        rows.append({**asdict(result), **provenance_of[result.id], "key": keys[result.id]})
                        tokens_out += result.tokens_out
                        bar.update(1)
                        bar.set_postfix(tok_s=f"{tokens_out / (time.perf_counter() - started):.1f}")
                except BackendAuthError as err:
                    refused = err  # commit what this chunk finished, then stop
                if refused is None:
                    bar.update(len(chunk) - len(runnable))
                    for request, provenance in runnable:  # counted and asked again next run, never lost
                        if request.id not in answered:
                            lost = GenerationResult(request.id, "", 0, 0, "error", error_kind="no_result",
                                                    error=f"the {backend.name} backend returned no result")
                            rows.append({**asdict(lost), **provenance, "key": keys[request.id]})
                # Each row's share of the chunk's wall time, so speed figures survive a resume.
                chunk_seconds = time.perf_counter() - chunk_started
                for row in rows:
                    row["seconds"] = round(chunk_seconds / len(rows), 4)
                if rows:
                    write_jsonl(parts_dir / f"part-{n_parts:06d}.jsonl", rows, fsync=True)
                    n_parts += 1
                done.update({row["id"]: row for row in rows})
                errors += [row for row in rows if row["finish_reason"] == "error"]
                if refused is not None:
                    raise GenerationError(
                        f"{section}: {refused}\nFix: put a valid key in the environment variable named by "
                        f"{section}.openai.api_key_env (now {refused.env_var!r}) and re-run; finished requests are "
                        f"kept in {parts_dir}.")
                if len(errors) > allowed_errors:  # the run can no longer succeed: stop spending requests
                    raise GenerationError(_error_message(section, backend, errors, start + len(chunk), len(pairs),
                                                         max_error_share, parts_dir))
        for row in done.values():
            reason = row["finish_reason"]
            stats["skipped_too_long" if reason == "skipped_too_long" else "errors" if reason == "error" else "completed"] += 1
        if stats["completed"] + stats["skipped_too_long"] + stats["errors"] != stats["requests"]:
            lost = sorted(keys.keys() - done.keys())
            raise GenerationError(f"{section}: {len(lost)} of {len(pairs)} requests have no row (first: {lost[:3]}); "
                                  f"nothing was written. Finished requests are kept in {parts_dir}.")
        stats["errors_by_kind"] = dict(sorted(Counter(row.get("error_kind") or "other" for row in done.values()
                                                      if row["finish_reason"] == "error").items()))
        stats["tokens_in"] = sum(row["tokens_in"] for row in done.values())
        stats["tokens_out"] = sum(row["tokens_out"] for row in done.values())
        seconds = sum(row.get("seconds", 0.0) for row in done.values())
        stats.update(seconds=round(seconds, 1), samples_per_s=round(len(done) / seconds, 3) if seconds else None,
                     tokens_out_per_s=round(stats["tokens_out"] / seconds, 1) if seconds else None)
        write_jsonl(out_file, [{k: v for k, v in done[i].items() if k not in ("seconds", "key")} for i in sorted(done)])
        return stats
