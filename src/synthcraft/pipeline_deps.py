"""Which synthcraft source files each DVC stage runs, and which of them its deps miss.

A stage whose deps miss a module it imports does not re-run when that module changes, and its
outputs silently go stale. ``missing_deps`` resolves dvc.yaml through DVC itself (so templated
and ``foreach`` stages are seen as DVC sees them), follows every ``import synthcraft...`` from the
stage's script transitively (parent packages' ``__init__`` included, as Python runs them), and
lists the files no declared dep covers. tests/test_pipeline_deps.py fails on any.

    python -m synthcraft.pipeline_deps          # print misses (nothing when dvc.yaml is right)
"""
from __future__ import annotations

import ast
import shlex
import sys
from pathlib import Path


def _module_file(src: Path, dotted: str) -> Path | None:
    base = src.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, src: Path) -> set[str]:
    """Dotted names of synthcraft modules ``path`` imports (relative imports resolved)."""
    package = list(path.relative_to(src).parent.parts) if src in path.parents else []
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
    return {n for n in names if n.split(".")[0] == "synthcraft"}


def imported_files(script: Path, src: Path) -> set[Path]:
    """Every synthcraft source file that running ``script`` imports, directly or not."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for dotted in _imports(path, src):
            parts = dotted.split(".")
            for i in range(1, len(parts) + 1):
                found = _module_file(src, ".".join(parts[:i]))
                if found is not None and found not in seen:
                    todo.append(found)
    seen.discard(script)
    return seen


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in deps)


def missing_deps(root: str | Path = ".") -> dict[str, list[str]]:
    """{stage address: [source files it runs but does not depend on]} for every stage with a miss."""
    from dvc.repo import Repo

    root = Path(root).resolve()
    src = root / "src"
    missing: dict[str, list[str]] = {}
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            if not getattr(stage, "cmd", None):
                continue
            wdir = Path(stage.wdir).resolve()
            deps = [Path(d.fs_path).resolve().relative_to(root).as_posix() for d in stage.deps
                    if Path(d.fs_path).resolve().is_relative_to(root)]
            commands = stage.cmd if isinstance(stage.cmd, list) else [stage.cmd]
            scripts = [wdir / token for command in commands for token in shlex.split(command) if token.endswith(".py")]
            needed: set[Path] = set()
            for script in scripts:
                if script.is_file():
                    needed |= {script.resolve()} | imported_files(script.resolve(), src)
            lacking = sorted(p for p in (f.relative_to(root).as_posix() for f in needed) if not _covered(p, deps))
            if lacking:
                dvcfile = Path(stage.path).resolve().relative_to(root).as_posix()
                missing[stage.name if dvcfile == "dvc.yaml" else f"{dvcfile}:{stage.name}"] = lacking
    return missing


def main() -> int:
    missing = missing_deps(sys.argv[1] if len(sys.argv) > 1 else ".")
    for stage, files in missing.items():
        print(f"{stage}: not in deps: {', '.join(files)}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
