"""Dataset cards (synthcraft.cards): the README's configs load with `datasets`, the metadata is the
facts it was given. Each pipeline's card is checked where its stage is (test_filter_stage.py, the
method pipeline tests)."""
import json

import yaml

from conftest import write_jsonl
from synthcraft.cards import CardParams, write_card


def test_a_card_loads_its_configs_with_datasets(tmp_path):
    from datasets import load_dataset

    write_jsonl(tmp_path / "a.jsonl", [{"messages": [{"role": "user", "content": "q"},
                                                      {"role": "assistant", "content": "a"}], "doc_ids": ["d1"]}])
    write_jsonl(tmp_path / "b.jsonl", [{"prompt": "p", "completion": "c"}, {"prompt": "p2", "completion": "c2"}])
    meta = write_card(tmp_path, title="T", summary="S", source=CardParams().corpus,
                      configs={"a": {"path": "a.jsonl", "rows": 1}, "b": {"path": "b.jsonl", "rows": 2, "funnel": {"x": 1}}},
                      meta={"method": "m", "params": {"k": 1}})
    header = yaml.safe_load((tmp_path / "README.md").read_text().split("---")[1])
    assert header["license"] == "cc-by-sa-4.0" and [c["config_name"] for c in header["configs"]] == ["a", "b"]
    assert json.loads((tmp_path / "metadata.json").read_text()) == meta
    assert meta["configs"]["b"]["funnel"] == {"x": 1} and meta["params"] == {"k": 1}
    # Only what it was given: a day or git revision would change the bytes on every re-run and make
    # DVC re-run everything downstream of an unchanged dataset.
    assert set(meta) == {"title", "summary", "method", "params", "source", "license", "configs"}
    assert load_dataset(str(tmp_path), "b", split="train")["completion"] == ["c", "c2"]
    assert load_dataset(str(tmp_path), "a", split="train")[0]["messages"][1]["content"] == "a"
