from dataclasses import dataclass
from typing import Optional

import pytest

from synthcraft.cluster import RayParams
from synthcraft.corpus import SourceSpec
from synthcraft.embedders import EmbedParams
from synthcraft.generation import GenerateParams
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


def test_a_key_or_section_given_twice_is_refused(tmp_path):
    """YAML keeps the last of two equal keys without a word; an edit to the first one would do nothing."""
    path = write(tmp_path, "ex:\n  name: a\n  k: 5\n  k: 6\n")
    with pytest.raises(ParamsError, match=r"params.yaml:4: 'ex.k' is given twice"):
        load_section("ex", Example, path)
    path = write(tmp_path, "ex:\n  name: a\nother: 1\nex:\n  name: b\n")
    with pytest.raises(ParamsError, match=r"params.yaml:4: section 'ex:' is given twice"):
        load_section("ex", Example, path)


def test_a_negative_number_is_refused_at_its_line_unless_the_field_is_signed(tmp_path):
    path = write(tmp_path, "ex:\n  name: a\n  ratio: -0.5\n")
    with pytest.raises(ParamsError, match=r"params.yaml:3: 'ex.ratio' = -0.5: counts, sizes, shares and rates"):
        load_section("ex", Example, path)
    from synthcraft.methods.embedsdg.embedding import EmbedParams as EmbedSDGEmbedParams

    path = write(tmp_path, "embedsdg_embed:\n  layer: -2\n")
    assert load_section("embedsdg_embed", EmbedSDGEmbedParams, path).layer == -2  # a layer counted from the end


@pytest.mark.parametrize("section, cls, text, message", [
    ("generate", GenerateParams, "commit_every: -16", "'generate.commit_every' = -16: counts"),
    ("generate", GenerateParams, "commit_every: 0", "commit_every=0 must be at least 1"),
    ("generate", GenerateParams, "openai: {concurrency: 0}", "concurrency=0 must be at least 1"),
    ("generate", GenerateParams, "transformers: {batch_size: 0}", "batch_size=0 must be at least 1"),
    ("embed", EmbedParams, "commit_every: -1024", "'embed.commit_every' = -1024: counts"),
    ("embed", EmbedParams, "batch_size: 0", "batch_size=0 must be at least 1"),
    ("ray", RayParams, "generate_actors: 0", "generate_actors=0 must be at least 1"),
])
def test_counts_and_sizes_are_checked_at_load(tmp_path, section, cls, text, message):
    """Each of these once ran: 0 of 40 requests completed with exit 0, a store of 0 rows, a bare
    ZeroDivisionError or a thread-pool error far from the params line."""
    path = write(tmp_path, f"{section}:\n  {text}\n")
    with pytest.raises(ParamsError, match=rf"params.yaml:2: .*{message}"):
        load_section(section, cls, path)


def test_evaluate_forms_must_hold_the_primary_form():
    from synthcraft.evaluation import EvaluateParams

    with pytest.raises(ValueError, match=r"primary='letter' is not one of forms \['cloze'\]. Fix: add it"):
        EvaluateParams(primary="letter", forms=["cloze"])
    with pytest.raises(ValueError, match=r"forms='acc' is not one of"):
        EvaluateParams(forms=["acc", "cloze_norm"])


def test_bad_source_kind_points_at_the_source(tmp_path):
    path = write(tmp_path, "ex:\n  name: a\n  sources:\n    - name: s\n      kind: csv\n      path: x\n")
    with pytest.raises(ParamsError, match=r"params.yaml:4: .*kind='csv' is not one of"):
        load_section("ex", Example, path)


def section_classes() -> dict:
    """{section: its class, or (class, the section it is read on top of)}."""
    from conftest import load_stage
    from synthcraft.cards import CardParams
    from synthcraft.cluster import RayParams
    from synthcraft.control import ControlParams
    from synthcraft.corpus import PrepareParams
    from synthcraft.coverage import CoverageParams
    from synthcraft.embedders import EmbedParams
    from synthcraft.evaluation import EvaluateParams
    from synthcraft.evaluation.judge import JudgeParams
    from synthcraft.generation import GenerateParams
    from synthcraft.funnel import FilterParams
    from synthcraft.methods.craft.retrieval import RetrieveParams
    from synthcraft.models import BaseParams
    from synthcraft.methods.embedder.training import EmbedderTrainParams
    from synthcraft.methods.embedder.control import EmbedderControlParams
    from synthcraft.methods.embedder.evaluation import EmbedderEvaluateParams
    from synthcraft.methods.embedder.splits import SplitParams
    from synthcraft.methods.embedder.tasks import BenchmarksParams, TasksParams
    from synthcraft.methods.embedder.influence import InfluenceParams
    from synthcraft.methods.embedder.mining import MineParams
    from synthcraft.methods.embedder.prompts import BrainstormParams, InstancesParams
    from synthcraft.methods.embedsdg.correlation import CorrelationParams, DensityParams
    from synthcraft.methods.embedsdg.decoding import DecodeParams
    from synthcraft.methods.embedsdg.embedding import EmbedParams as EmbedsdgEmbedParams
    from synthcraft.methods.embedsdg.evaluation import EmbedsdgEvaluateParams
    from synthcraft.methods.embedsdg.grid import RegionsParams
    from synthcraft.methods.embedsdg.pool import PoolParams
    from synthcraft.methods.embedsdg.prompts import EmbedsdgGenerateParams
    from synthcraft.methods.embedsdg.training import StudentParams
    from synthcraft.methods.embedsdg.fidelity import FidelityParams
    from synthcraft.methods.embgen.budget import EmbgenGenerateParams
    from synthcraft.methods.embgen.corpus import EmbgenCorpusParams
    from synthcraft.methods.embgen.evaluation import EmbgenEvaluateParams
    from synthcraft.methods.embgen.extraction import EmbgenExtractParams
    from synthcraft.methods.embgen.samplers import EmbgenSamplingParams
    from synthcraft.methods.embgen.sciq import EmbgenSciqParams
    from synthcraft.methods.embgen.structure import EmbgenStructureParams
    from synthcraft.study import StudyParams
    from synthcraft.tasks import TaskParams
    from synthcraft.training import FewshotTrainParams, TrainParams

    return {"task": TaskParams, "cards": CardParams, "prepare": PrepareParams, "embed": EmbedParams, "retrieve": RetrieveParams,
            "generate": GenerateParams, "filter": FilterParams, "base": BaseParams, "train": TrainParams,
            "train_fewshot": FewshotTrainParams, "control": ControlParams, "evaluate": EvaluateParams, "judge": JudgeParams, "coverage": CoverageParams,
            "ray": RayParams, "embedder_split": SplitParams, "embedder_tasks": TasksParams,
            "embedder_benchmarks": BenchmarksParams, "embedder_control": EmbedderControlParams, "embedder_brainstorm": BrainstormParams,
            "embedder_instances": InstancesParams, "embedder_mine": MineParams, "embedder_train": EmbedderTrainParams,
            "embedder_evaluate": EmbedderEvaluateParams, "embedder_influence": InfluenceParams, "embedsdg_pool": PoolParams,
            "embedsdg_student": (StudentParams, "train"), "embedsdg_embed": EmbedsdgEmbedParams, "embedsdg_regions": RegionsParams,
            "embedsdg_decode": DecodeParams, "embedsdg_fidelity": FidelityParams, "embedsdg_generate": EmbedsdgGenerateParams, "embedsdg_train": (TrainParams, "train"), "embedsdg_evaluate": EmbedsdgEvaluateParams,
            "embedsdg_correlation": CorrelationParams, "embedsdg_density": DensityParams, "embgen_corpus": EmbgenCorpusParams, "embgen_extract": EmbgenExtractParams,
            "embgen_structure": EmbgenStructureParams, "embgen_sampling": EmbgenSamplingParams, "embgen_generate": EmbgenGenerateParams,
            "embgen_train": (TrainParams, "train"), "embgen_evaluate": EmbgenEvaluateParams, "embgen_sciq": EmbgenSciqParams, "study": StudyParams,
            "study_train": (TrainParams, "train"), "study_evaluate": (EvaluateParams, "evaluate"),
            "study_embedsdg_regions": (RegionsParams, "embedsdg_regions"),
            "study_embedsdg_decode": (DecodeParams, "embedsdg_decode"),
            # a stage's own section: in the library it would mark every influence cell stale (its docstring)
            "embedder_repeats": load_stage("embedder/train").RepeatParams}


def load(name, spec, path):
    cls, base = spec if isinstance(spec, tuple) else (spec, None)
    return load_section(name, cls, path, base=base)


def test_repo_params_parse():
    """params.yaml as committed: every section parses with its class, and no section is unread."""
    import yaml

    from conftest import REPO

    classes = section_classes()
    path = REPO / "params.yaml"
    assert set(yaml.safe_load(path.read_text())) == set(classes)
    parsed = {name: load(name, spec, path) for name, spec in classes.items()}
    generate = parsed["generate"]
    assert generate.backend_options is generate.llamacpp and generate.openai.concurrency == 4
    assert generate.sampling.temperature == 0.7 and generate.context_length == 4096
    assert parsed["retrieve"].k == classes["retrieve"]().k  # the dataclass default matches the committed value
    evaluate = parsed["evaluate"]
    assert evaluate.reference in evaluate.models
    assert ("synthcraft", "fewshot_baseline") in evaluate.comparisons()
    assert ("human", "fewshot_baseline") in evaluate.comparisons() and ("synthcraft", "human") in evaluate.comparisons()
    assert ("fewshot_baseline", "human") not in evaluate.comparisons()   # each pair once
    assert ("human", "human") not in evaluate.comparisons()
    assert evaluate.adapters("bioqa") == {"fewshot_baseline": "models/adapters/bioqa-fewshot",   # where train,
                                          "synthcraft": "models/adapters/bioqa",                 # train_fewshot and
                                          "human": "models/adapters/bioqa-human"}                # train_control write
    assert not parsed["judge"].enabled and parsed["train"].repeat_seeds == []


@pytest.mark.parametrize("profile", ["tiny", "openqa", "embedder-tiny", "embedsdg-tiny", "embgen-tiny", "study-tiny"])
def test_profiles_apply_and_parse(profile, tmp_path):
    """Each profile, applied the way scripts/exp_profile.py passes it to `dvc exp run` (leaf
    overrides, new keys added whole), gives params every section of which parses."""
    import importlib.util

    import yaml

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("exp_profile", REPO / "scripts/exp_profile.py")
    exp_profile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exp_profile)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    overrides = yaml.safe_load((REPO / f"profiles/{profile}.yaml").read_text())
    flags = exp_profile.flags(overrides, params)
    assert flags[::2] == ["-S"] * (len(flags) // 2)
    for flag in flags[1::2]:          # apply each flag to a copy of params.yaml, as Hydra would
        key, value = flag.split("=", 1)
        added = key.startswith("+")
        *parents, leaf = key.lstrip("+").split(".")
        node = params
        for part in parents:
            node = node[part]
        assert (leaf not in node) == added, flag      # "+" exactly for keys params.yaml lacks
        node[leaf] = yaml.safe_load(value)            # Hydra's flow syntax here is also YAML
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    parsed = {name: load(name, spec, path) for name, spec in section_classes().items()}
    if profile == "openqa":
        assert parsed["task"].type == "openqa" and parsed["evaluate"].sets["mmlu_bio_open"].kind == "open"
        assert parsed["evaluate"].sets["mmlu_bio_open"].subjects[0] == "high school biology"   # spaces survive
        assert (REPO / "data/fewshots" / f"{parsed['task'].name}.jsonl").exists()


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


def test_method_recipes_are_train_with_their_changes():
    """embedsdg_student, embedsdg_train and embgen_train hold only their changes to train:. The merged recipes
    equal what each trainer used before they were read on top of train (its dataclass defaults
    plus its own keys), so the adapters stay byte-identical (embgen_train's repeat_seeds only adds
    runs inside each adapter: the first seed's run is the same)."""
    from conftest import REPO
    from synthcraft.methods.embedsdg.training import StudentParams
    from synthcraft.training import TrainParams

    path = REPO / "params.yaml"
    assert load_section("embedsdg_train", TrainParams, path, base="train") == TrainParams(
        epochs=3, effective_batch=8, micro_batch=4, max_length=512)
    assert load_section("embgen_train", TrainParams, path, base="train") == TrainParams(
        epochs=2, effective_batch=8, micro_batch=4, max_length=512, repeat_seeds=[1, 2])
    assert load_section("embedsdg_student", StudentParams, path, base="train") == StudentParams(
        tune=True, epochs=1, effective_batch=16, micro_batch=4, max_length=512)


def test_an_edit_to_the_base_section_reaches_a_recipe_unless_it_overrides_the_key(tmp_path):
    from synthcraft.training import TrainParams

    path = write(tmp_path, "train:\n  r: 8\n  epochs: 3\narm:\n  epochs: 1\n  alpha: 4\n")
    arm = load_section("arm", TrainParams, path, base="train")
    assert (arm.r, arm.epochs, arm.alpha) == (8, 1.0, 4)
    path = write(tmp_path, "train:\n  r: 8\narm:\n  epochs: x\n")
    with pytest.raises(ParamsError, match=r"params.yaml:4: 'arm.epochs' must be float"):
        load_section("arm", TrainParams, path, base="train")
    with pytest.raises(ParamsError, match=r"no 'trian:' section"):
        load_section("arm", TrainParams, path, base="trian")
