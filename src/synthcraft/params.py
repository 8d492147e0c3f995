"""Typed views of params.yaml sections, with errors that name the file, line and fix.

Each section has a dataclass beside the code it configures (``corpus.PrepareParams``,
``embedders.EmbedParams``, ...); a stage calls ``load_section("embed", EmbedParams)``. Nested
sections (``generate.llamacpp``) are nested dataclasses.
Unknown keys, wrong types and bad values fail before any work starts, pointing at the line: a
key given twice, and a negative number (unless its field says ``metadata={"signed": True}``) too.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path

import yaml


class ParamsError(ValueError):
    pass


def _where(path: Path, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}"


def _convert(value_node: yaml.Node, hint, path: Path, key: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # Optional[X]
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value_node, inner, path, key)
    if origin is dict:
        if not isinstance(value_node, yaml.MappingNode):
            raise ParamsError(f"{_where(path, value_node)}: '{key}' must be a mapping")
        return {k.value: _convert(v, args[1], path, f"{key}.{k.value}") for k, v in value_node.value}
    if origin is list:
        if not isinstance(value_node, yaml.SequenceNode):
            raise ParamsError(f"{_where(path, value_node)}: '{key}' must be a list")
        return [_convert(item, args[0], path, key) for item in value_node.value]
    if dataclasses.is_dataclass(hint):
        return _build(hint, value_node, path, key)
    value = yaml.safe_load(yaml.serialize(value_node))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ParamsError(
            f"{_where(path, value_node)}: '{key}' must be {hint.__name__}, got {value!r}"
        )
    return value


def _build(cls, node: yaml.Node, path: Path, section: str):
    if not isinstance(node, yaml.MappingNode):
        raise ParamsError(f"{_where(path, node)}: '{section}' must be a mapping of keys")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key_node, value_node in node.value:
        key = key_node.value
        if key in values:
            raise ParamsError(f"{_where(path, key_node)}: '{section}.{key}' is given twice (YAML keeps only the "
                              f"last one, silently). Fix: delete one of them")
        if key not in fields:
            raise ParamsError(
                f"{_where(path, key_node)}: unknown key '{section}.{key}'. "
                f"Fix: use one of {sorted(fields)}"
            )
        values[key] = _convert(value_node, hints[key], path, f"{section}.{key}")
        if _negative(values[key]) and not fields[key].metadata.get("signed"):
            raise ParamsError(f"{_where(path, key_node)}: '{section}.{key}' = {values[key]!r}: counts, sizes, "
                              f"shares and rates are never negative. Fix: give it a value of 0 or more")
    missing = [
        name for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ParamsError(f"{_where(path, node)}: '{section}' is missing required key(s) {missing}")
    try:
        return cls(**values)
    except ValueError as err:  # __post_init__ checks raise ValueError with the reason
        raise ParamsError(f"{_where(path, node)}: '{section}': {err}") from None


def _negative(value) -> bool:
    """A number below zero, or a list holding one (bools are not numbers here)."""
    if isinstance(value, list):
        return any(_negative(item) for item in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0


T = typing.TypeVar("T")


def load_section(section: str, cls: type[T], path: str | Path = "params.yaml", base: str | None = None) -> T:
    """Parse one top-level section of params.yaml into ``cls``.

    With ``base``, that section's keys come first and ``section``'s keys override them one by one
    (``embedsdg_train`` holds only what EmbedSDG's arms change in ``train``), so an edit to the base
    reaches every stage built on it unless the section overrides that key, visibly."""
    path = Path(path)
    root = yaml.compose(path.read_text(encoding="utf-8"))
    if not isinstance(root, yaml.MappingNode):
        raise ParamsError(f"{path}:1: expected a mapping of stage sections")
    nodes = {}
    for key_node, value_node in root.value:
        if key_node.value in nodes:
            raise ParamsError(f"{_where(path, key_node)}: section '{key_node.value}:' is given twice (YAML keeps "
                              f"only the last one, silently). Fix: merge them into one")
        nodes[key_node.value] = value_node
    for name in (section, base):
        if name is not None and name not in nodes:
            raise ParamsError(f"{path}: no '{name}:' section. Fix: add it (the committed params.yaml lists every section with comments)")
    node = nodes[section]
    if base is not None:
        if not isinstance(nodes[base], yaml.MappingNode) or not isinstance(node, yaml.MappingNode):
            raise ParamsError(f"{_where(path, node)}: '{section}' and '{base}' must be mappings of keys")
        own = {k.value for k, _ in node.value}
        node = yaml.MappingNode(node.tag, [(k, v) for k, v in nodes[base].value if k.value not in own] + node.value,
                                start_mark=node.start_mark, end_mark=node.end_mark)
    return _build(cls, node, path, section)


def choice(value: str, allowed: typing.Iterable[str], name: str) -> None:
    """For __post_init__: reject a value outside ``allowed`` with the list of valid ones."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {allowed}")


def at_least(minimum: float, **values) -> None:
    """For __post_init__: reject a count or size below ``minimum`` (None means "not set")."""
    for name, value in values.items():
        if value is not None and value < minimum:
            raise ValueError(f"{name}={value} must be at least {minimum}")
