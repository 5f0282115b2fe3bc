"""Reading VBench's ``*_full_info.json`` files: a JSON list of entry objects."""

from __future__ import annotations

import json
from pathlib import Path

from eval.errors import SuiteError


def read_entries(path: Path, what: str, fix: str) -> list:
    """The JSON list in ``path``; a ``SuiteError`` naming ``what`` and ``fix`` otherwise."""
    if not path.is_file():
        raise SuiteError(f"{what} not found: {path}; {fix}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SuiteError(f"{what} is not valid JSON: {path} ({e}); {fix}") from e
    if not isinstance(entries, list):
        raise SuiteError(f"{what} must hold a JSON list of entries: {path}; {fix}")
    return entries


def entry_fields(entry: object, where: str, fields: dict[str, type]) -> tuple:
    """The values of ``fields`` (name -> expected type) in ``entry``, in that order."""
    if not isinstance(entry, dict) or any(not isinstance(entry.get(f), t) for f, t in fields.items()):
        expected = ", ".join(f"{f} ({t.__name__})" for f, t in fields.items())
        raise SuiteError(f"{where}: entry must be an object with fields {expected}; fix: use VBench's unmodified file")
    return tuple(entry[f] for f in fields)
