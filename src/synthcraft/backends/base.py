"""The one interface every backend implements: a batch of requests in, results out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol


@dataclass(frozen=True)
class Sampling:
    """How tokens are drawn; the defaults are CRAFT B.5's (temperature 0.7, top-p 0.9, top-k 40)."""
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    seed: int = 0


@dataclass
class GenerationRequest:
    """One prompt to complete; every backend reads the same fields."""
    id: str
    messages: list[dict]     # chat turns, for backends that apply the template themselves (servers)
    prompt: str              # the same turns rendered with the model's chat template
    max_tokens: int
    schema: dict             # JSON schema the output must follow
    sampling: Sampling = field(default_factory=Sampling)

    @property
    def seed(self) -> int:
        """Per-request seed: derived from the request id, so it does not depend on batching."""
        return (int(self.id[:8], 16) ^ self.sampling.seed) & 0x7FFFFFFF


@dataclass
class GenerationResult:
    id: str
    text: str
    tokens_in: int
    tokens_out: int
    finish_reason: str       # "stop", "length", or "error"
    error: str | None = None
    error_kind: str | None = None   # with an error: connection | timeout | rate_limit | server | refused | ...


class BackendAuthError(RuntimeError):
    """The server refused the credentials: every further request would fail the same way, so the
    run stops at once instead of recording errors. ``env_var`` names where the key was read from."""

    def __init__(self, message: str, env_var: str):
        super().__init__(message)
        self.env_var = env_var


class Backend(Protocol):
    """Local engines raise on failure (nothing is recorded). Servers return a result with
    ``finish_reason="error"`` and an ``error_kind`` once their own retries are spent, raise
    ``BackendAuthError`` for refused credentials, and may offer ``fix_for(kind, section)``: the
    sentence the runner prints to tell the user how to fix that kind of error."""
    name: str
    context_length: int
    fingerprint: str    # what decides its text besides the request (backends.teacher_fingerprint)

    def count_tokens(self, prompt: str) -> int: ...

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        """Results for ``requests``, in any order; each carries its request's id."""
        ...
