"""Append-only JSONL files: one ``write`` + fsync per line; a torn last line (a writer killed mid-write)
is skipped when reading and sealed with a newline before the next append."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")


def append_line(path: Path, obj: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    with open(path, "ab+") as f:
        if f.tell():
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write(line.encode())
        f.flush()
        os.fsync(f.fileno())


def read_lines(path: Path) -> Iterator[dict]:
    """Every complete JSON line of ``path`` (none if it does not exist)."""
    path = Path(path)
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue


def latest_by(records: Iterable[T], key: Callable[[T], str], ok: Callable[[T], bool]) -> dict[str, T]:
    """The last record per ``key`` in file order, except that a later failure never hides a success."""
    latest: dict[str, T] = {}
    for record in records:
        k = key(record)
        if ok(record) or k not in latest or not ok(latest[k]):
            latest[k] = record
    return latest
