"""Writing files so that readers never see half of one, and the JSONL reader every stage uses
(which also refuses a shipped file that no longer matches its provenance line)."""
from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None], *, fsync: bool = False) -> None:
    """Call ``write(binary file)`` on a temporary file beside ``path``, then rename it over ``path``.

    ``fsync`` also forces the bytes to disk before the rename: for resume checkpoints, which a
    killed machine must find complete or not at all.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as fh:
            write(fh)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; the file gets what open() would give it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(header: list[str], rows: Iterable) -> str:
    """A CSV table as text: the header, then the rows; "\n" line ends, so the bytes are the same on
    every OS (DVC hashes them)."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return table.getvalue()


def atomic_write_text(path: str | Path, text: str, *, fsync: bool = False) -> None:
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), fsync=fsync)


def write_json(path: str | Path, data: dict) -> None:
    """Indented JSON (metrics), written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[dict], *, fsync: bool = False) -> None:
    atomic_write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), fsync=fsync)


PROVENANCE = "provenance.jsonl"  # beside shipped data files (data/eval/<set>/): one line per file


def check_provenance(path: Path) -> None:
    """A file listed in a ``provenance.jsonl`` beside it must still have the sha256 written there:
    an edited benchmark file would otherwise change every score silently."""
    record = path.parent / PROVENANCE
    if path.name == PROVENANCE or not record.is_file():
        return
    for line in read_jsonl(record):
        if line.get("file") == path.name:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
            if actual != line["sha256"]:
                raise ValueError(f"{path}: sha256 {actual[:16]}... is not the {line['sha256'][:16]}... that {record} "
                                 f"records ({line.get('selection', '')} of {line.get('source_path', '?')}): the shipped "
                                 f"file was changed. Fix: `git checkout -- {path}`, or rebuild it with "
                                 f"scripts/import_eval_data.py and commit the new provenance line with it")
            return


def read_jsonl(path: str | Path) -> list[dict]:
    """All rows of a JSONL file; blank lines are skipped, a bad line names ``file:line``. A file
    with a provenance line beside it is checked against it first (``check_provenance``)."""
    path = Path(path)
    check_provenance(path)
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({err.msg} at column {err.colno})") from None
    return rows


class FolderBusy(RuntimeError):
    """Another process is writing the same resumable folder."""


@contextmanager
def writing(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` while committing parts into it; a second writer (say,
    a stage script started by hand beside ``dvc repro``) stops at once instead of tearing a part.
    The lock file sits beside the folder (``.<name>.lock``): the folder itself may be a DVC output."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.parent / f".{folder.name}.lock"
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(f"{folder} is being written by another run (it holds {lock}). Fix: let that run "
                             f"finish, or stop it, then re-run") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
