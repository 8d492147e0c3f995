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
    """params.yaml as committed: every section parses with its class, and no section is unread."""
    import yaml

    from conftest import REPO
    from synthcraft.corpus import PrepareParams
    from synthcraft.coverage import CoverageParams
    from synthcraft.embedders import EmbedParams
    from synthcraft.evaluation import EvaluateParams
    from synthcraft.generation import GenerateParams
    from synthcraft.methods.craft.filters import FilterParams
    from synthcraft.methods.craft.retrieval import RetrieveParams
    from synthcraft.models import BaseParams
    from synthcraft.tasks import TaskParams
    from synthcraft.training import FewshotTrainParams, TrainParams

    classes = {"task": TaskParams, "prepare": PrepareParams, "embed": EmbedParams, "retrieve": RetrieveParams,
               "generate": GenerateParams, "filter": FilterParams, "base": BaseParams, "train": TrainParams,
               "train_fewshot": FewshotTrainParams, "evaluate": EvaluateParams,
               "coverage": CoverageParams}
    path = REPO / "params.yaml"
    assert set(yaml.safe_load(path.read_text())) == set(classes)
    parsed = {name: load_section(name, cls, path) for name, cls in classes.items()}
    generate = parsed["generate"]
    assert generate.backend_options is generate.llamacpp and generate.openai.concurrency == 4
    assert generate.sampling.temperature == 0.7 and generate.context_length == 4096
    assert parsed["retrieve"].k == RetrieveParams().k  # the dataclass default matches the committed value
    evaluate = parsed["evaluate"]
    assert evaluate.reference in evaluate.models
    assert ("synthcraft", "fewshot_baseline") in evaluate.comparisons()


def test_nested_sections_and_mappings(tmp_path):
    from synthcraft.evaluation import EvaluateParams
    from synthcraft.generation import GenerateParams

    path = write(tmp_path, "generate:\n  backend: openai\n  openai:\n    concurrency: 9\n"
                           "evaluate:\n  models: {a: x, b: y}\n  reference: c\n")
    generate = load_section("generate", GenerateParams, path)
    assert generate.backend_options.concurrency == 9 and generate.llamacpp.threads is None
    with pytest.raises(ParamsError, match=r"params.yaml:6: 'evaluate': reference='c' is not one of models"):
        load_section("evaluate", EvaluateParams, path)
    path = write(tmp_path, "generate:\n  openai:\n    concurrenc: 9\n")
    with pytest.raises(ParamsError, match=r"params.yaml:3: unknown key 'generate.openai.concurrenc'"):
        load_section("generate", GenerateParams, path)
