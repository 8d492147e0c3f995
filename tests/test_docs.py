"""The README and docs/ as a user reads them: every command they show can be pasted, and the
README's one-line results are the committed metrics.

A command is a line of a fenced code block, or an inline code span, that starts with `make`,
`dvc repro`, `dvc exp run` or `python` (backslash continuations joined). Checked without running
it: make targets exist; modules import and scripts exist; dvc targets are files or stages; each
`-S key=value` is applied to a copy of params.yaml the way DVC's Hydra overrides apply it (a key
params.yaml lacks needs a leading `+`, a key it has must not carry one) and every section then
parses with its class; a command that names a hub model has `HF_HUB_OFFLINE=0` before it.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import re
import shlex
from pathlib import Path

import yaml
from dvc.utils.hydra import apply_overrides

from conftest import REPO
from test_params import load, section_classes

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
STARTS = ("make ", "dvc repro", "dvc exp run", "python ")
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)


def commands(text: str) -> list[tuple[int, str, str]]:
    """(line, command, the code block it sits in) for every command on a page."""
    found = []
    for block in FENCE.finditer(text):
        start = text.count("\n", 0, block.start()) + 2
        lines = block.group(1).split("\n")
        i = 0
        while i < len(lines):
            line, first = lines[i], i
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i].strip()
            line = " ".join(re.sub(r"\s+#.*$", "", line.strip()).split())   # no trailing shell comment
            for part in re.split(r"\s*(?:&&|;)\s*", line):
                if part.startswith(STARTS):
                    found.append((start + first, part, block.group(1)))
            i += 1
    prose = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for match in re.finditer(r"`([^`\n]+)`", prose):
        span = match.group(1).strip()
        if span.startswith(STARTS):
            found.append((text.count("\n", 0, match.start()) + 1, span, ""))
    return found


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w.-]*):", (REPO / "Makefile").read_text(), re.M))


def stage_names() -> set[str]:
    names = set()
    for dvcfile in [REPO / "dvc.yaml", *REPO.glob("pipelines/**/dvc.yaml")]:
        names |= set(yaml.safe_load(dvcfile.read_text()).get("stages", {}))
    return names


def placeholder(value: str) -> bool:
    return "<" in value or "$" in value


def hub_model(value: str) -> bool:
    """An owner/name that is not a path in this project: what a model hub would be asked for."""
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", value) or value.startswith(("http", "pkg:")):
        return False
    return not (REPO / value.split("/")[0]).exists()


def key_problem(params: dict, flag: str) -> str | None:
    """Whether one `-S` flag's key fits params.yaml (DVC's strict Hydra overrides): a problem as
    text, or None. ``params`` is changed: a new key's levels are added, so later flags see them."""
    key, sep, value = flag.partition("=")
    if placeholder(key):
        return None
    if not sep:
        return f"-S {flag}: not key=value"
    added = key.startswith("+")
    *parents, leaf = key.lstrip("+").split(".")
    node = params
    for part in parents:
        if added and part not in node:
            node[part] = {}                          # Hydra's "+" creates the missing levels
        if not isinstance(node, dict) or part not in node:
            return f"-S {flag}: params.yaml has no '{part}' on the way to '{key}'"
        node = node[part]
    if leaf in node and added:
        return f"-S {flag}: '{key[1:]}' is already in params.yaml; drop the '+'"
    if leaf not in node and not added:
        return f"-S {flag}: '{key}' is not in params.yaml; write '+{key}=...' to add it"
    node.setdefault(leaf, None)
    return None


def problems(command: str, block: str, params: dict, tmp_path: Path) -> list[str]:
    words = shlex.split(command)
    out = []
    if words[0] == "make":
        out += [f"make {w}: no such target" for w in words[1:] if "=" not in w and w not in make_targets()]
    elif words[0] == "python":
        if words[1] == "-m":
            if importlib.util.find_spec(words[2]) is None:
                out.append(f"python -m {words[2]}: no such module")
        elif not placeholder(words[1]) and not (REPO / words[1]).exists():
            out.append(f"python {words[1]}: no such file")
    else:
        overrides, targets, i = [], [], 2 if words[1] == "repro" else 3
        while i < len(words):
            word = words[i]
            if word in ("-S", "--set-param"):
                overrides.append(words[i + 1])
                i += 2
                continue
            if word in ("-n", "--name"):
                i += 2
                continue
            if not word.startswith("-"):
                targets.append(word)
            i += 1
        names = stage_names()
        for target in targets:
            path, _, stage = target.rpartition(":")   # dvc.yaml-path:stage names a stage of that file
            if path and (REPO / path).is_file():
                if stage.split("@")[0] not in yaml.safe_load((REPO / path).read_text()).get("stages", {}):
                    out.append(f"{target}: {path} has no stage {stage}")
            elif not ((REPO / target).exists() or target.split("@")[0] in names):
                out.append(f"{target}: neither a file nor a stage")
        keys = copy.deepcopy(params)
        for flag in overrides:
            problem = key_problem(keys, flag)
            if problem:
                out.append(problem)
            value = flag.partition("=")[2]
            if hub_model(value) and "HF_HUB_OFFLINE=0" not in block.split(command)[0]:
                out.append(f"-S {flag}: a hub model, but HF_HUB_OFFLINE=0 is not set before it")
        if overrides and not out:                   # values: applied by DVC's own code, then parsed
            path = tmp_path / "params.yaml"
            path.write_text(yaml.safe_dump(params))
            try:
                apply_overrides(path, [flag for flag in overrides if not placeholder(flag)])
            except Exception as error:
                return [f"DVC refuses the overrides: {error} ({error.__cause__})"]
            touched = {flag.lstrip("+~").split(".")[0] for flag in overrides}
            for name, spec in section_classes().items():
                if name not in touched and not (isinstance(spec, tuple) and spec[1] in touched):
                    continue                         # a section read on top of a touched one is parsed too
                try:
                    load(name, spec, path)
                except Exception as error:                # the loader's message names key and fix
                    out.append(f"section {name} after the overrides: {error}")
    return out


def all_commands():
    return [(page, line, command, block) for page in PAGES
            for line, command, block in commands(page.read_text())]


def test_pages_hold_commands():
    found = all_commands()
    assert len(found) > 60 and {p.name for p, *_ in found} >= {"README.md", "craft.md", "embedder.md"}


def test_every_command_can_be_pasted(tmp_path):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    failures = []
    for page, line, command, block in all_commands():
        failures += [f"{page.relative_to(REPO)}:{line}: {p}" for p in problems(command, block, params, tmp_path)]
    assert not failures, "\n".join(failures)


def test_the_check_fails_when_a_key_is_removed(tmp_path):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    command = "dvc exp run -S retrieve.strategy=mean"
    assert problems(command, "", params, tmp_path) == []
    del params["retrieve"]["strategy"]
    assert problems(command, "", params, tmp_path) == [
        "-S retrieve.strategy=mean: 'retrieve.strategy' is not in params.yaml; write '+retrieve.strategy=...' to add it"]


def test_the_check_catches_a_wrong_plus_a_bad_value_a_target_and_the_hub(tmp_path):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    assert "drop the '+'" in problems("dvc exp run -S +retrieve.k=5", "", params, tmp_path)[0]
    assert "section retrieve" in problems("dvc exp run -S retrieve.k=many", "", params, tmp_path)[0]
    assert "no such target" in problems("make repro-nothing", "", params, tmp_path)[0]
    assert "neither a file nor a stage" in problems("dvc repro pipelines/none/dvc.yaml", "", params, tmp_path)[0]
    assert "has no stage" in problems("dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_none", "", params, tmp_path)[0]
    hub = "dvc exp run -S base.model=mistralai/Mistral-7B-Instruct-v0.2"
    assert "HF_HUB_OFFLINE=0" in problems(hub, hub, params, tmp_path)[0]
    assert problems(hub, "export HF_HUB_OFFLINE=0\n" + hub, params, tmp_path) == []


def test_commands_are_found_in_blocks_continuations_and_spans():
    text = ("Run `dvc exp run -S a.b=1` or:\n\n```bash\ncd x && make test   # comment\n"
            "dvc exp run \\\n  -S c.d=2\n```\n")
    assert [(line, c) for line, c, _ in commands(text)] == [(4, "make test"), (5, "dvc exp run -S c.d=2"),
                                                            (1, "dvc exp run -S a.b=1")]


def points(value: float, scale: int = 100) -> str:
    text = f"{value * scale:+.1f}" if abs(value * scale) >= 0.05 else "+0.0"
    return text.replace("-", "−")


def interval(ci: list[float], scale: int = 100, digits: int = 1) -> str:
    return "(" + ", ".join(f"{c * scale:+.{digits}f}".replace("-", "−") for c in ci) + ")"


def hundredths(comparison: dict) -> str:
    """An embedder comparison as the README quotes it: points to two places, then its interval."""
    return f"{comparison['difference'] * 100:+.2f}".replace("-", "−") + f" {interval(comparison['ci95'], 100, 2)}"


def mean_sd(summary: dict, digits: int) -> str:
    """A difference across training seeds (stats.across_seeds) as the README quotes it: mean ± sd, in points."""
    mean = f"{summary['difference_mean'] * 100:+.{digits}f}" if digits == 2 else points(summary["difference_mean"])
    return f"{mean.replace('-', '−')} ± {100 * summary['difference_sd']:.{digits}f}"


def metric(path: str, *keys):
    node = json.loads((REPO / path).read_text())
    for key in keys:
        node = node[key]
    return node


def headline_figures() -> list[str]:
    """The README's one-line results, as they must read given the committed metrics."""
    craft = lambda pair: metric("metrics/eval.json", "sets", "sciq", "comparisons", pair, "cloze_norm")
    embedder = lambda pair: metric("metrics/embedder/evaluate.json", "tasks", "SciQRetrieval", "comparisons", pair)
    embedder_mean = lambda pair: metric("metrics/embedder/evaluate.json", "mean", "all", "comparisons", pair)
    embedsdg = lambda pair: metric("metrics/embedsdg/evaluate.json", "comparisons", pair, "all")
    embgen = metric("metrics/embgen/evaluate.json", "closed_book", "comparisons", "embgen_vs_one_doc", "seen")
    embgen_control = metric("metrics/embgen/evaluate.json", "closed_book", "comparisons", "human_vs_no_aug", "seen")
    embgen_sciq = lambda pair, group: metric("metrics/embgen_sciq/evaluate.json", "closed_book", "comparisons", pair, group)
    embgen_seeds = metric("metrics/embgen_sciq/evaluate.json", "closed_book", "across_seeds", "embgen", "seen", "vs_one_doc")
    embedder_seeds = lambda model, other: metric("metrics/embedder/evaluate.json", "across_seeds", model, "SciQRetrieval",
                                                 f"vs_{other}")
    synth_human = craft("synthcraft_vs_human")
    study = lambda arm, other: metric("metrics/study/study.json", "sets", "sciq", "cloze_norm", f"vs_{other}", arm)
    density = metric("metrics/embedsdg/density/correlation.json", "accuracy")
    return [
        f"{metric('metrics/embedsdg/density/score.json', 'models', 'student', 'accuracy') * 100:.1f}%",
        f"r = {density['pearson']:+.2f} {interval(density['pearson_ci95'], 1, 2)}".replace("-", "−"),
        f"{points(craft('synthcraft_vs_base')['accuracy_difference'])} {interval(craft('synthcraft_vs_base')['accuracy_difference_ci95'])}",
        f"{points(craft('human_vs_base')['accuracy_difference'])} {interval(craft('human_vs_base')['accuracy_difference_ci95'])}",
        f"{points(synth_human['accuracy_difference'])} {interval(synth_human['accuracy_difference_ci95'])}",
        *(hundredths(embedder(pair)) for pair in ("trained - base", "human - base")),
        *(hundredths(embedder_mean(pair)) for pair in ("trained - base", "trained - instructed", "trained - unfiltered")),
        *(mean_sd(embedder_seeds(model, other), 2)
          for model, other in (("trained", "base"), ("human", "base"), ("trained", "human"))),
        *(f"{points(embedsdg(pair)['accuracy_difference'])} {interval(embedsdg(pair)['accuracy_difference_ci95'])}"
          for pair in ("embedsdg_vs_random_seeds", "human_vs_student", "embedsdg_vs_human")),
        f"{points(embgen['accuracy_difference'])} {interval(embgen['accuracy_difference_ci95'])}",
        f"{points(embgen_control['accuracy_difference'])} {interval(embgen_control['accuracy_difference_ci95'])}",
        *(f"{points(embgen_sciq(pair, group)['accuracy_difference'])} "
          f"{interval(embgen_sciq(pair, group)['accuracy_difference_ci95'])}"
          for pair, group in (("embgen_vs_one_doc", "seen"), ("one_doc_vs_no_aug", "seen"),
                              ("one_doc_vs_no_aug", "heldout"), ("human_vs_no_aug", "seen"))),
        mean_sd(embgen_seeds, 1),
        *(f"{points(study(arm, other)['difference'])} {interval(study(arm, other)['ci95'])}"
          for arm, other in (("human", "base"), ("craft", "random"), ("craft", "base"), ("embgen", "random"),
                             ("embgen", "base"), ("embedsdg", "random"), ("embedsdg", "base"))),
    ]


def test_readme_results_are_the_committed_metrics():
    readme = " ".join((REPO / "README.md").read_text().split())     # lines joined as a reader reads them
    missing = [figure for figure in headline_figures() if figure not in readme]
    assert not missing, f"README.md does not quote the committed metrics as {missing}"


def test_readme_is_a_guide():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 300
    assert "../shared" not in text and text.count("```bash\nmake repro") == 1
    for page in PAGES:                                 # every relative link points at a file
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)}: broken link {target}"
