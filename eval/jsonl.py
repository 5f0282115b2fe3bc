"""Append-only JSONL files: one ``write`` + fsync per line; a torn last line (a writer killed mid-write)
is skipped when reading and sealed with a newline before the next append.

Reading never crashes on a bad line: any other line that is not UTF-8, not JSON, or not of the record's
shape is reported once as a warning with ``file:line`` and treated as absent (so its work is redone).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .atomic import writing

T = TypeVar("T")
_warned: set[tuple[str, int, bytes]] = set()


def append_line(path: Path, obj: dict) -> None:
    path = Path(path)
    line = json.dumps(obj, ensure_ascii=False) + "\n"
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab+") as f:
            if f.tell():
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    f.write(b"\n")
            f.write(line.encode())
            f.flush()
            os.fsync(f.fileno())


def _object(value: Any) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def read_lines(path: Path, parse: Callable[[Any], T] = _object) -> Iterator[T]:
    """``parse(value)`` of every complete JSON line of ``path`` (none if it does not exist).

    ``parse`` raises ``TypeError`` or ``ValueError`` for a value of the wrong shape."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    lines = data.split(b"\n")
    torn = lines.pop()  # b"" when the file ends with a newline
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            yield _parsed(raw, parse)
        except (ValueError, TypeError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            _warn(path, number, raw, err)
    try:
        yield _parsed(torn, parse)
    except (ValueError, TypeError):
        pass  # a writer stopped mid-line; the next append seals it


def _parsed(raw: bytes, parse: Callable[[Any], T]) -> T:
    return parse(json.loads(raw.decode("utf-8")))


def _warn(path: Path, number: int, raw: bytes, err: Exception) -> None:
    if (str(path), number, raw) in _warned:
        return
    _warned.add((str(path), number, raw))
    reason = f"not UTF-8 ({err.reason} at byte {err.start})" if isinstance(err, UnicodeDecodeError) else err
    print(
        f"warning: {path}:{number}: bad line ignored, its work counts as not done and is redone: {reason}",
        file=sys.stderr,
    )


def record_parser(cls: type[T]) -> Callable[[Any], T]:
    """``parse`` for ``read_lines`` that builds dataclass ``cls`` from a JSON object, checking its keys and
    the types of its fields (``int`` is accepted for ``float``); ``cls.__post_init__`` may check more."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = {
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    allowed = {name: _types(hint) for name, hint in hints.items()}  # once per class, not per line

    def parse(value: Any) -> T:
        if not isinstance(value, dict):
            raise TypeError(f"expected a JSON object with {', '.join(sorted(required))}, got {type(value).__name__}")
        missing, unknown = required - set(value), set(value) - set(fields)
        if missing or unknown:
            raise TypeError(
                ", ".join(
                    filter(
                        None,
                        [
                            missing and f"missing {', '.join(sorted(missing))}",
                            unknown and f"unknown {', '.join(sorted(unknown))}",
                        ],
                    )
                )
            )
        for name, v in value.items():
            if not _fits(v, allowed[name]):
                raise TypeError(f"{name}={v!r} is not {hints[name]}")
        return cls(**value)

    return parse


def _types(hint: Any) -> tuple[type, ...]:
    """The classes a value of ``hint`` may be (``int`` for ``float``; ``bool`` only where named)."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    options = tuple(typing.get_origin(o) or o for o in options)
    return options + (int,) if float in options else options


def _fits(value: Any, options: tuple[type, ...]) -> bool:
    return isinstance(value, options) and not (isinstance(value, bool) and bool not in options)


def latest_by(records: Iterable[T], key: Callable[[T], str], ok: Callable[[T], bool]) -> dict[str, T]:
    """The last record per ``key`` in file order, except that a later failure never hides a success."""
    latest: dict[str, T] = {}
    for record in records:
        k = key(record)
        if ok(record) or k not in latest or not ok(latest[k]):
            latest[k] = record
    return latest
