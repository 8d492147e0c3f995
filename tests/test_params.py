from dataclasses import dataclass
from typing import Optional

import pytest

from synthcraft.corpus import SourceSpec
from synthcraft.params import ParamsError, choice, load_section


@dataclass
class Example:
    name: str
    k: int = 3
    ratio: float = 0.5
    model: Optional[str] = None
    sources: list[SourceSpec] = None

    def __post_init__(self):
        choice(self.name, ["a", "b"], "name")


def write(tmp_path, text):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


def test_loads_typed_values(tmp_path):
    path = write(tmp_path, "other: 1\nex:\n  name: a\n  k: 5\n  ratio: 1\n  sources:\n    - {name: s, kind: jsonl, path: x.jsonl}\n")
    ex = load_section("ex", Example, path)
    assert ex.k == 5 and ex.ratio == 1.0 and ex.model is None
    assert ex.sources[0] == SourceSpec("s", "jsonl", "x.jsonl")


def test_unknown_key_names_line_and_valid_keys(tmp_path):
    path = write(tmp_path, "ex:\n  name: a\n  kk: 5\n")
    with pytest.raises(ParamsError, match=r"params.yaml:3: unknown key 'ex.kk'.*'k'"):
        load_section("ex", Example, path)


def test_wrong_type_names_line(tmp_path):
    path = write(tmp_path, "ex:\n  name: a\n  k: many\n")
    with pytest.raises(ParamsError, match=r"params.yaml:3: 'ex.k' must be int, got 'many'"):
        load_section("ex", Example, path)


def test_bad_choice_and_missing_section(tmp_path):
    path = write(tmp_path, "ex:\n  name: c\n")
    with pytest.raises(ParamsError, match=r"params.yaml:2: 'ex': name='c' is not one of \['a', 'b'\]"):
        load_section("ex", Example, path)
    with pytest.raises(ParamsError, match="no 'nope:' section"):
        load_section("nope", Example, path)


def test_bad_source_kind_points_at_the_source(tmp_path):
    path = write(tmp_path, "ex:\n  name: a\n  sources:\n    - name: s\n      kind: csv\n      path: x\n")
    with pytest.raises(ParamsError, match=r"params.yaml:4: .*kind='csv' is not one of"):
        load_section("ex", Example, path)


def test_repo_params_parse():
    """params.yaml as committed must parse with every stage's dataclass."""
    import importlib.util
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    from synthcraft.params import TaskParams

    load_section("task", TaskParams, repo / "params.yaml")
    for stage, cls in [("prepare", "PrepareParams"), ("embed", "EmbedParams"), ("retrieve", "RetrieveParams")]:
        spec = importlib.util.spec_from_file_location(stage, repo / "stages" / f"{stage}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        load_section(stage, getattr(module, cls), repo / "params.yaml")
