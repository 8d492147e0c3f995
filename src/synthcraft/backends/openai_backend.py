"""Any OpenAI-compatible server (vLLM, llama.cpp, TGI, SGLang) through the ``openai`` client.

Bounded concurrency (a thread pool), retries with exponential backoff on 429, 5xx, connection
errors and timeouts (the client's own, ``max_retries``), and the task's JSON schema as
``response_format``. The API key is read from the environment variable named in params; the key
itself is never stored in params, dvc.lock, logs or outputs.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator, Optional

from synthcraft.backends.base import BackendAuthError, GenerationRequest, GenerationResult
from synthcraft.params import at_least, choice

NAME = "openai"
RESPONSE_FORMATS = ("json_schema", "json_object")


@dataclass
class Options:
    """``generate.openai:``"""
    base_url: str = "http://127.0.0.1:8080/v1"
    server_model: Optional[str] = None      # the name the server knows the model by (None: generate.model)
    api_key_env: str = "OPENAI_API_KEY"     # the variable's NAME; the key itself never goes in params
    response_format: str = "json_schema"    # json_schema (vLLM, SGLang, OpenAI) | json_object (llama.cpp server)
    concurrency: int = 4
    max_retries: int = 5
    timeout_s: float = 120.0

    def __post_init__(self):
        choice(self.response_format, RESPONSE_FORMATS, "response_format")
        at_least(1, concurrency=self.concurrency)
        at_least(0, max_retries=self.max_retries)
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s={self.timeout_s} must be above 0")


def build(model: str, context_length: int, tokenizer: Optional[str], options: Options) -> "OpenAIBackend":
    from synthcraft import assets
    from synthcraft.models import load_tokenizer

    # Token counts for the context check come from a local tokenizer when there is one.
    spec = tokenizer or model
    local_tokenizer = load_tokenizer(spec) if assets.is_local(spec) else None
    return OpenAIBackend(options.server_model or model, options.base_url, api_key_env=options.api_key_env,
                         concurrency=options.concurrency, max_retries=options.max_retries,
                         timeout_s=options.timeout_s, context_length=context_length, tokenizer=local_tokenizer,
                         response_format=options.response_format)


def response_format(schema: dict, style: str) -> dict:
    """OpenAI's structured-output form (vLLM, SGLang, OpenAI), or the ``json_object`` + ``schema``
    form that llama-cpp-python's server understands."""
    if style == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "sample", "schema": schema, "strict": True}}
    return {"type": "json_object", "schema": schema}


def chat_kwargs(request: GenerationRequest, model: str, style: str = "json_schema") -> dict:
    s = request.sampling
    return {
        "model": model, "messages": request.messages, "max_tokens": request.max_tokens,
        "temperature": s.temperature, "top_p": s.top_p, "seed": request.seed,
        "response_format": response_format(request.schema, style),
        "extra_body": {"top_k": s.top_k},  # not in the OpenAI API; vLLM, llama.cpp and SGLang read it
    }


def error_kind(err) -> str:
    """The class of a failed request, for metrics and for the fix the runner suggests."""
    import openai

    kinds = [(openai.APITimeoutError, "timeout"), (openai.APIConnectionError, "connection"),
             (openai.RateLimitError, "rate_limit"), (openai.NotFoundError, "not_found"),
             (openai.InternalServerError, "server"), (openai.APIStatusError, "refused")]
    return next((kind for cls, kind in kinds if isinstance(err, cls)), "other")


# How to fix each kind of error; {s} is the params section the backend was built from.
FIXES = {
    "connection": "is the server running at {s}.openai.base_url ({url})? Start it and re-run",
    "timeout": "the server is too slow for {s}.openai.timeout_s: raise it, or lower {s}.openai.concurrency",
    "rate_limit": "the server keeps answering 429: lower {s}.openai.concurrency or raise {s}.openai.max_retries",
    "not_found": "check {s}.openai.server_model against the names the server lists at {url}/models",
    "server": "the server failed (5xx): see its log",
    "refused": "the server rejected the request: with llama-cpp-python's server set "
               "{s}.openai.response_format=json_object; otherwise see the message above",
    "malformed": "the server at {url} answered with something that is not a chat completion (see the error): "
                 "check that {s}.openai.base_url is the server's OpenAI-compatible /v1 address",
    "empty": "the server returned no text (content null: a refusal, or a lost answer); a re-run asks again: "
             "if it keeps happening, see the server's log",
}

# What a response that is not a chat completion raises once the client has parsed it: truncated
# JSON, an error object sent with status 200, an HTML page, an empty choices list.
MALFORMED = (ValueError, TypeError, AttributeError, KeyError, IndexError)


class OpenAIBackend:
    name = NAME

    def __init__(self, model: str, base_url: str, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4,
                 max_retries: int = 5, timeout_s: float = 120.0, context_length: int = 4096, tokenizer=None,
                 response_format: str = "json_schema"):
        import openai

        # Local servers accept any key; a missing variable is only an error for hosted APIs.
        api_key = os.environ.get(api_key_env) or "not-needed-for-local-servers"
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=max_retries, timeout=timeout_s)
        self.model, self.concurrency, self.style = model, concurrency, response_format
        self.base_url, self.api_key_env = base_url, api_key_env
        self.context_length = context_length
        self.tokenizer = tokenizer

    def count_tokens(self, prompt: str) -> int:
        if self.tokenizer is None:
            return len(prompt) // 4  # no local tokenizer: a conservative estimate
        return len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"])

    def _one(self, request: GenerationRequest) -> GenerationResult:
        import openai

        def failed(kind: str, message: str) -> GenerationResult:  # counted, and asked again next run
            return GenerationResult(request.id, "", 0, 0, "error", error=message[:500], error_kind=kind)

        try:
            response = self.client.chat.completions.create(**chat_kwargs(request, self.model, self.style))
            choice, usage = response.choices[0], response.usage
            content, finish = choice.message.content, choice.finish_reason
            tokens = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
            raise BackendAuthError(f"{self.base_url} refused the API key: {err}"[:500], self.api_key_env) from err
        except openai.APIError as err:  # retries exhausted, or a 4xx that retrying cannot fix
            return failed(error_kind(err), f"{type(err).__name__}: {err}")
        except MALFORMED as err:
            return failed("malformed", f"not a chat completion ({type(err).__name__}: {err})")
        if not isinstance(content, str):  # null content: a refusal, or the server lost the text
            refusal = getattr(choice.message, "refusal", None)
            return failed("empty", f"no text in the answer (finish_reason={finish!r}, refusal={refusal!r})")
        return GenerationResult(request.id, content, tokens[0] or 0, tokens[1] or 0, finish or "stop")

    def fix_for(self, kind: str, section: str) -> str:
        return FIXES.get(kind, "see the message above").format(s=section, url=self.base_url.rstrip("/"))

    def generate(self, requests: list[GenerationRequest]) -> Iterator[GenerationResult]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            yield from pool.map(self._one, requests)
