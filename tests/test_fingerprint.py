"""What a teacher's fingerprint covers: the model's bytes (a GGUF file, a model folder), the
tokenizer that renders its prompts, the backend and the options that change its text, or the server
and the model behind it. Generation rows are reused only under the same fingerprint."""
import os

import pytest

from conftest import SMOLLM2_GGUF, has_module
from synthcraft import assets
from synthcraft.backends import openai_backend, teacher_fingerprint, transformers_backend, vllm_backend


def _write(path, data: bytes, mtime_ns: int):
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_a_file_is_fingerprinted_by_its_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = tmp_path / "model.gguf"
    _write(model, b"a" * 4096, 1_000_000_000)
    first = assets.content_fingerprint(model)
    _write(model, b"b" * 4096, 2_000_000_000)  # retrained in place: same path, same size
    assert assets.content_fingerprint(model) != first
    _write(model, b"a" * 4096, 3_000_000_000)  # the same bytes again: the same fingerprint
    assert assets.content_fingerprint(model) == first


def test_the_hash_is_cached_by_path_size_and_mtime(tmp_path, monkeypatch):
    """Hashing a multi-GB model once per run is enough: a file with the same path, size and
    modification time is not read again (a tool that rewrites a file and restores its mtime defeats
    this, as it does make and rsync)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = tmp_path / "model.gguf"
    _write(model, b"a" * 4096, 1_000_000_000)
    first = assets.content_fingerprint(model)
    assert (tmp_path / "cache/synthcraft/fingerprints.json").exists()
    _write(model, b"c" * 4096, 1_000_000_000)
    assert assets.content_fingerprint(model) == first


def test_a_folder_covers_every_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "base"
    folder.mkdir()
    _write(folder / "config.json", b"{}", 1_000_000_000)
    _write(folder / "model.safetensors", b"w" * 100, 1_000_000_000)
    first = assets.content_fingerprint(folder)
    _write(folder / "model.safetensors", b"v" * 100, 2_000_000_000)
    second = assets.content_fingerprint(folder)
    (folder / "tokenizer.json").write_text("{}")
    assert len({first, second, assets.content_fingerprint(folder)}) == 3


def test_teacher_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = tmp_path / "model.gguf"
    _write(model, b"a" * 4096, 1_000_000_000)
    local = transformers_backend.Options()
    base = teacher_fingerprint("transformers", str(model), None, local)
    assert base == teacher_fingerprint("transformers", str(model), None, transformers_backend.Options())
    # The backend, the tokenizer and an option that changes the text each count.
    assert base != teacher_fingerprint("llamacpp", str(model), None, None)
    tokenizer = tmp_path / "tok"
    tokenizer.mkdir()
    (tokenizer / "tokenizer_config.json").write_text('{"chat_template": "x"}')
    assert base != teacher_fingerprint("transformers", str(model), str(tokenizer), local)
    assert base != teacher_fingerprint("transformers", str(model), None, transformers_backend.Options(dtype="bfloat16"))
    # vLLM: the adapter's bytes count (retrained under the same folder), the worker's interpreter does not.
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    _write(adapter / "adapter_model.safetensors", b"1" * 64, 1_000_000_000)
    served = teacher_fingerprint("vllm", str(model), None, vllm_backend.Options(lora=str(adapter)))
    assert served == teacher_fingerprint("vllm", str(model), None, vllm_backend.Options(lora=str(adapter), python=None))
    _write(adapter / "adapter_model.safetensors", b"2" * 64, 2_000_000_000)
    assert served != teacher_fingerprint("vllm", str(model), None, vllm_backend.Options(lora=str(adapter)))
    # A server: where it is and which model it serves, not how many requests go at once.
    server = openai_backend.Options(base_url="http://a:8000/v1")
    remote = teacher_fingerprint("openai", "org/model", None, server)
    assert remote != teacher_fingerprint("openai", "org/model", None, openai_backend.Options(base_url="http://b:8000/v1"))
    assert remote != teacher_fingerprint("openai", "org/model", None,
                                         openai_backend.Options(base_url="http://a:8000/v1", server_model="other"))
    assert remote == teacher_fingerprint("openai", "org/model", None,
                                         openai_backend.Options(base_url="http://a:8000/v1", concurrency=16))


@pytest.mark.skipif(not has_module("llama_cpp"), reason="llama-cpp-python is not installed (make setup)")
def test_a_llama_cpp_teachers_fingerprint_names_its_build(monkeypatch):
    """A rebuilt llama.cpp (another version, or native instead of AVX2) samples other tokens: rows
    written by the old build must read as stale, not be resumed beside the new build's."""
    import llama_cpp

    from synthcraft import backends

    build = backends.engine("llamacpp")
    assert llama_cpp.__version__ in build and "AVX2" in build
    before = teacher_fingerprint("llamacpp", SMOLLM2_GGUF, None)
    monkeypatch.setattr(backends, "engine", lambda name: build.replace("AVX2", "AVX512"))
    assert teacher_fingerprint("llamacpp", SMOLLM2_GGUF, None) != before
