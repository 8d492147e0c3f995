"""Which synthcraft source files each DVC stage runs, and which of them its deps miss.

A stage whose deps miss a module it imports does not re-run when that module changes, and its
outputs silently go stale. ``missing_deps`` resolves dvc.yaml through DVC itself (so templated
and ``foreach`` stages are seen as DVC sees them), follows every ``import synthcraft...`` from the
stage's script transitively (parent packages' ``__init__`` included, as Python runs them), and
lists the files no declared dep covers, and the declared src/ deps that cover nothing it runs.
tests/test_pipeline_deps.py fails on either.

    python -m synthcraft.pipeline_deps          # print misses and extras (nothing when dvc.yaml is right)
"""
from __future__ import annotations

import ast
import shlex
import sys
from pathlib import Path

import yaml


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


# Packages a stage may load by name at run time (a backend, a task type, an evaluation form), which
# an import walk cannot see: a stage depends on the whole folder.
DYNAMIC_PACKAGES = ("src/synthcraft/backends", "src/synthcraft/evaluation", "src/synthcraft/tasks")


def stage_sources(root: str | Path = ".") -> dict[str, tuple[set[str], list[str]]]:
    """{stage address: (source files its scripts run, its declared deps)}, paths relative to root."""
    from dvc.repo import Repo

    root = Path(root).resolve()
    src = root / "src"
    found: dict[str, tuple[set[str], list[str]]] = {}
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            if not getattr(stage, "cmd", None):
                continue
            deps = [Path(d.fs_path).resolve().relative_to(root).as_posix() for d in stage.deps
                    if Path(d.fs_path).resolve().is_relative_to(root)]
            needed: set[Path] = set()
            for script, _ in _stage_scripts(stage):
                if script.is_file():
                    needed |= {script.resolve()} | imported_files(script.resolve(), src)
            dvcfile = Path(stage.path).resolve().relative_to(root).as_posix()
            address = stage.name if dvcfile == "dvc.yaml" else f"{dvcfile}:{stage.name}"
            found[address] = ({f.relative_to(root).as_posix() for f in needed}, deps)
    return found


def missing_deps(root: str | Path = ".") -> dict[str, list[str]]:
    """{stage address: [source files it runs but does not depend on]} for every stage with a miss."""
    missing = {}
    for address, (needed, deps) in stage_sources(root).items():
        lacking = sorted(p for p in needed if not _covered(p, deps))
        if lacking:
            missing[address] = lacking
    return missing


def unneeded_deps(root: str | Path = ".") -> dict[str, list[str]]:
    """{stage address: [declared src/ deps that cover nothing it runs]}: each one re-runs the stage
    for edits that cannot change its output (the dynamically loaded packages excepted)."""
    extra = {}
    for address, (needed, deps) in stage_sources(root).items():
        stale = [d for d in deps if d.startswith("src/") and d not in DYNAMIC_PACKAGES
                 and not any(_covered(p, [d]) for p in needed)]
        if stale:
            extra[address] = stale
    return extra


def _stage_scripts(stage) -> list[tuple[Path, list[str]]]:
    """(script, its command-line arguments) for each ``python <script>.py ...`` in the stage's cmd."""
    wdir = Path(stage.wdir).resolve()
    found = []
    for command in stage.cmd if isinstance(stage.cmd, list) else [stage.cmd]:
        tokens = shlex.split(command)
        for k, token in enumerate(tokens):
            if token.endswith(".py"):
                found.append((wdir / token, tokens[k + 1:]))
    return found


def _load_script(script: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("_stage_" + "_".join(script.with_suffix("").parts[-3:]), script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _params_loaded(script: Path) -> set[str]:
    """The params sections ``script`` reads: the keywords of its ``load_params(...)`` calls, and the
    base section under any ``name=(Cls, "base")`` keyword (RECIPE_BASE where it is not a literal)."""
    from synthcraft.training import RECIPE_BASE

    names = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_params":
            for k in node.keywords:
                if k.arg and k.arg != "path":
                    names.add(k.arg)
                    if isinstance(k.value, ast.Tuple):
                        base = k.value.elts[1] if len(k.value.elts) > 1 else None
                        names.add(base.value if isinstance(base, ast.Constant) else RECIPE_BASE)
    return names


# Paths fields a stage may leave out of dvc.yaml on purpose: resumable parts and scratch space (not
# outputs: a finished stage's result does not depend on them), and names passed as flags.
# "spend": an upstream stage's metrics that a dataset card only quotes (teacher, token counts). Not a
# dep: a resumed re-run rewrites its timings while the data stay byte-identical, and the data (the
# deps) change whenever what the card quotes does.
UNTRACKED_FIELDS = {"work", "parts", "judge_cache", "spend"}
NAME_FIELDS = {"arm", "cell", "recipe", "instruction", "repeats", "section"}   # flags that name a choice, not a file
# Flags naming the params section a shared stage reads, on top of a base section it always reads:
# stages/train_arm.py --recipe (on train), stages/evaluate.py --section (on evaluate).
SECTION_FIELDS = {"recipe": "train", "section": "evaluate"}
# Params sections a stage may read without listing them: `ray` says where work runs, never what it
# produces (README, "Ray"); CRAFT's train stage reads `train_fewshot` only under --fewshots, which
# only the train_fewshot stage passes (and lists it); the embedder's train stage reads
# `embedder_repeats` only under --repeats on, which only embedder_train and embedder_train_control pass
# (and list it).
UNLISTED_SECTIONS = {"ray": None, "train_fewshot": "pipelines/craft/stages/train.py",
                     "embedder_repeats": "pipelines/embedder/stages/train.py"}


def contract_errors(root: str | Path = ".") -> list[str]:
    """Where a stage's script and its dvc.yaml entry disagree, one line each:

    - a script in ``cmd`` that is not a dep, or does not exist;
    - a ``Paths`` field (its default, or the value ``cmd`` passes) that is neither a dep nor an
      out of the stage (read without DVC knowing, or written where DVC does not look), or an out
      that no field writes;
    - a params section the script loads that the stage does not list (editing it would not re-run
      the stage), or one it lists but never loads;
    - a stage that loads ``generate`` without listing every key of ``generation.TEACHER_KEYS`` and
      the chosen backend's section, or without the teacher's files as deps when params name a
      project path (``generate.model: models/base``): the teacher could change without the stage
      re-running. The check reads the current params.yaml: run ``python -m synthcraft.pipeline_deps``
      after pointing the teacher at a project path.
    """
    import dataclasses

    from dvc.repo import Repo

    from synthcraft.generation import TEACHER_KEYS
    from synthcraft.stage import parse_paths

    root = Path(root).resolve()
    errors: list[str] = []
    generate = yaml.safe_load((root / "params.yaml").read_text())["generate"]
    teacher = [f"generate.{key}" for key in (*TEACHER_KEYS, generate["backend"])]  # generate.${generate.backend}
    # A teacher (or its adapter) given as a project path, e.g. generate.model: models/base, is a
    # file DVC must see: retrained, it changes what every generating stage writes.
    teacher_files = {str(Path(spec)) for spec in (generate["model"], generate.get("tokenizer"),
                                                  generate.get("vllm", {}).get("lora") if generate["backend"] == "vllm" else None)
                     if spec and not str(spec).startswith("pkg://") and (root / spec).exists()}
    with Repo(str(root)) as repo:
        for stage in repo.index.stages:
            if not getattr(stage, "cmd", None):
                continue
            dvcfile = Path(stage.path).resolve().relative_to(root).as_posix()
            name = stage.name if dvcfile == "dvc.yaml" else f"{dvcfile}:{stage.name}"
            wdir = Path(stage.wdir).resolve()
            rel = lambda p: Path(p).resolve().relative_to(root).as_posix()  # noqa: E731
            deps = {rel(d.fs_path) for d in stage.deps if not hasattr(d, "params")}
            outs = {rel(o.fs_path) for o in stage.outs}
            keys = {key for d in stage.deps if hasattr(d, "params")
                    for key in (d.params if isinstance(d.params, list) else list(d.params or {}))}
            listed = {key.split(".")[0] for key in keys}
            for script, argv in _stage_scripts(stage):
                if not script.is_file():
                    errors.append(f"{name}: cmd runs {rel(script)}, which does not exist")
                    continue
                if rel(script) not in deps:
                    errors.append(f"{name}: {rel(script)} is not in deps")
                module = _load_script(script)
                paths = parse_paths(module.Paths, module.__doc__ or name, argv)
                fields = {f.name: rel(wdir / getattr(paths, f.name)) for f in dataclasses.fields(paths)
                          if getattr(paths, f.name) is not None and f.name not in UNTRACKED_FIELDS | NAME_FIELDS}
                data = {p for p in deps | outs if not p.startswith(("src/", "stages/", "pipelines/"))}
                for field, path in sorted(fields.items()):
                    if not any(path == d or path.startswith(d + "/") or d.startswith(path + "/") for d in data):
                        errors.append(f"{name}: Paths.{field} = {path} is neither a dep nor an out")
                for out in sorted(outs):  # (deps may also be named by params, e.g. prepare's sources)
                    if not any(out == p or out.startswith(p + "/") or p.startswith(out + "/") for p in fields.values()):
                        errors.append(f"{name}: {out} is an out but no Paths field writes it")
                loaded = _params_loaded(script)
                for field, base in SECTION_FIELDS.items():
                    if getattr(paths, field, None) is not None:
                        loaded |= {str(getattr(paths, field)), base}
                exempt = {s for s, only in UNLISTED_SECTIONS.items() if only in (None, rel(script))}
                for section in sorted(loaded - listed - exempt):
                    errors.append(f"{name}: loads params section {section!r}, which its params do not list")
                for section in sorted(listed - loaded):
                    errors.append(f"{name}: lists params section {section!r}, which it never loads")
                if "generate" in loaded and "generate" not in keys:  # the whole section counts as every key
                    for key in teacher:
                        if key not in keys:
                            errors.append(f"{name}: loads the teacher (generate) but does not list {key}")
                if "generate" in loaded:
                    for path in sorted(teacher_files):
                        if not any(path == d or path.startswith(d + "/") for d in deps):
                            errors.append(f"{name}: its teacher is the project path {path}, which is not in its deps "
                                          f"(add it, or DVC will not re-run the stage when {path} changes)")
    return errors


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    missing, extra = missing_deps(root), unneeded_deps(root)
    for stage, files in missing.items():
        print(f"{stage}: not in deps: {', '.join(files)}")
    for stage, files in extra.items():
        print(f"{stage}: in deps but never run: {', '.join(files)}")
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
