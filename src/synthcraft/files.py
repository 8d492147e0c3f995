"""Writing files so that readers never see half of one, and the JSONL reader every stage uses."""
from __future__ import annotations

import fcntl
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


def atomic_write_text(path: str | Path, text: str, *, fsync: bool = False) -> None:
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), fsync=fsync)


def write_json(path: str | Path, data: dict) -> None:
    """Indented JSON (metrics), written atomically."""
    atomic_write_text(path, json.dumps(data, indent=2) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[dict], *, fsync: bool = False) -> None:
    atomic_write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), fsync=fsync)


def read_jsonl(path: str | Path) -> list[dict]:
    """All rows of a JSONL file; blank lines are skipped, a bad line names ``file:line``."""
    path = Path(path)
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
