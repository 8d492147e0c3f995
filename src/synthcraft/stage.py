"""What every stage script shares: its paths from the command line, its params sections.

A stage is ``run(params, paths) -> metrics`` plus a few-line ``main()``. ``paths`` is the stage's
own ``Paths`` dataclass (each field becomes a ``--flag`` with the field's default), ``params`` a
namespace of typed params sections; tests build both directly and call ``run`` in-process.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

from synthcraft.files import write_json
from synthcraft.params import load_section

P = TypeVar("P")


def parse_paths(cls: type[P], description: str, argv: list[str] | None = None) -> P:
    """``cls`` from ``--field value`` flags (underscores become dashes); defaults are the fields'
    (a field without one is a required flag; a ``None`` default makes the flag optional)."""
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=Path, required=required,
                            default=None if required else f.default)
    return cls(**{k: None if v is None else Path(v) for k, v in vars(parser.parse_args(argv)).items()})


def load_params(path: str | Path = "params.yaml", **sections: type | tuple[type, str]) -> SimpleNamespace:
    """``load_params(task=TaskParams, generate=GenerateParams)`` -> namespace(task=..., generate=...).

    ``embedsdg_student=(TrainParams, "train")`` reads ``train:`` with ``embedsdg_student:``'s keys on top (see
    ``params.load_section``); the stage must list both sections in dvc.yaml."""
    loaded = {}
    for name, spec in sections.items():
        cls, base = spec if isinstance(spec, tuple) else (spec, None)
        loaded[name] = load_section(name, cls, path, base=base)
    return SimpleNamespace(**loaded)


def write_metrics(path: str | Path, metrics: dict) -> None:
    """A stage's metrics JSON with ``machine`` added: the CPU, kernels, bf16 and library versions
    that produced it (``runtime.machine``), so ``dvc metrics diff`` across machines explains itself."""
    from synthcraft.runtime import machine  # torch: loaded only when a stage writes its metrics

    write_json(path, {**metrics, "machine": machine()})
