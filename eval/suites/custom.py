"""Suites from your own file: ``.txt`` (one prompt per line, blank lines skipped), ``.jsonl``
(one object per line) or ``.csv`` (with a header row).

jsonl/csv fields: ``prompt`` (required); ``image``, a path relative to the suite file's folder
(or to ``image_root``); ``id`` (default ``stable_id(prompt)``, or ``stable_id(prompt, image)``
with the image as written); ``dimensions``, a list in jsonl and ``;``-separated in csv;
``samples``, videos for that item. The suite is i2v when its items have images, t2v otherwise.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eval.benchmarks import BY_TASK, get_benchmark
from eval.errors import SuiteError
from eval.records import Suite, SuiteItem
from eval.suites.locations import item_meta
from eval.suites.naming import stable_id

Row = tuple[int, dict[str, Any]]

FIELD_RULES = {
    "prompt": (lambda v: isinstance(v, str), "a string"),
    "image": (lambda v: isinstance(v, str) and v != "", "a non-empty path"),
    "id": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    "dimensions": (lambda v: isinstance(v, list) and all(isinstance(d, str) for d in v), "a list of dimension names"),
    "samples": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
}


def stripped_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines, stripped, with their 1-based numbers (a UTF-8 BOM is dropped)."""
    with path.open(encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, 1):
            if line.strip():
                yield line_no, line.strip()


def txt_rows(path: Path) -> Iterator[Row]:
    for line_no, line in stripped_lines(path):
        yield line_no, {"prompt": line}


def jsonl_rows(path: Path) -> Iterator[Row]:
    for line_no, line in stripped_lines(path):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise SuiteError(f"{path}:{line_no}: not valid JSON ({e.msg}); fix: write one JSON object per line") from e
        if not isinstance(row, dict):
            raise SuiteError(
                f"{path}:{line_no}: expected a JSON object, got {row!r}; "
                'fix: write {"prompt": "..."} objects, one per line'
            )
        yield line_no, {key: value for key, value in row.items() if value is not None}


def csv_cell(column: str, text: str) -> Any:
    """A csv cell as the jsonl value: ``dimensions`` split on ``;``, ``samples`` an int."""
    if column == "dimensions":
        return [d.strip() for d in text.split(";") if d.strip()]
    if column == "samples" and text.strip().lstrip("-").isdigit():
        return int(text)
    return text


def csv_rows(path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if "prompt" not in (reader.fieldnames or []):
            raise SuiteError(
                f"{path}:1: the header row has no 'prompt' column; fix: start the "
                "file with a header such as prompt,image,id,dimensions,samples"
            )
        line_no = reader.line_num + 1
        for row in reader:
            if None in row:
                raise SuiteError(
                    f'{path}:{line_no}: more cells than header columns; fix: quote cells that contain commas ("a, b")'
                )
            yield line_no, {c: csv_cell(c, t) for c, t in row.items() if t not in ("", None)}
            line_no = reader.line_num + 1


ROW_READERS = {".txt": txt_rows, ".jsonl": jsonl_rows, ".csv": csv_rows}


def row_item(row: dict[str, Any], where: str, image_base: Path, samples: int) -> SuiteItem:
    """Validate one row and build its item; ``image`` resolved against ``image_base``."""
    unknown = sorted(set(row) - set(FIELD_RULES))
    if unknown:
        raise SuiteError(f"{where}: unknown field(s) {', '.join(unknown)}; fix: use only {', '.join(FIELD_RULES)}")
    if "prompt" not in row:
        raise SuiteError(f"{where}: no 'prompt'; fix: give every line a prompt")
    for field, value in row.items():
        is_valid, expected = FIELD_RULES[field]
        if not is_valid(value):
            raise SuiteError(f"{where}: '{field}' must be {expected}, got {value!r}; fix: correct that field")
    image = row.get("image")
    key = (row["prompt"],) if image is None else (row["prompt"], image)
    return SuiteItem(
        id=row.get("id", stable_id(*key)),
        prompt=row["prompt"],
        samples=row.get("samples", samples),
        image=None if image is None else str((image_base / image).resolve()),
        dimensions=tuple(row.get("dimensions", ())),
        meta=item_meta(where),
    )


def read_suite_file(
    path: Path, name: str, image_root: str | None = None, samples: int = 5, benchmark: str | None = None
) -> Suite:
    """The suite in ``path`` (format from its suffix), ``samples`` videos per item unless a
    row says otherwise; relative images resolve against ``image_root`` or the file's folder. It is scored
    against ``benchmark``, by default the one of its task (VBench-I2V with images, VBench without)."""
    reader = ROW_READERS.get(path.suffix.lower())
    if reader is None:
        raise SuiteError(f"suite file {path} is not .txt, .jsonl or .csv; fix: rename it with the suffix of its format")
    if not path.is_file():
        raise SuiteError(f"suite file not found: {path}; fix: set suite.path to an existing file")
    image_base = Path(image_root) if image_root else path.parent
    try:
        numbered = [(line_no, row_item(row, f"{path}:{line_no}", image_base, samples)) for line_no, row in reader(path)]
    except UnicodeDecodeError as e:
        raise SuiteError(f"suite file {path} is not UTF-8 ({e.reason} at byte {e.start}); fix: save it as UTF-8") from e
    if not numbered:
        raise SuiteError(f"suite file {path} holds no prompt; fix: add at least one line")
    with_image = [str(n) for n, item in numbered if item.image]
    without_image = [str(n) for n, item in numbered if not item.image]
    if with_image and without_image:
        raise SuiteError(
            f"suite file {path} mixes items with and without an image: lines "
            f"{', '.join(without_image)} have no image but lines "
            f"{', '.join(with_image)} do; fix: give every line an image (i2v) or "
            "none (t2v), or split the file"
        )
    items = tuple(item for _, item in numbered)
    task = "i2v" if with_image else "t2v"
    bench = get_benchmark(benchmark or BY_TASK[task])
    if bench.task != task:
        raise SuiteError(
            f"suite file {path} is {task} (its items {'have' if with_image else 'have no'} images), but "
            f"suite.benchmark is {bench.name}, a {bench.task} benchmark; fix: set suite.benchmark={BY_TASK[task]} "
            "or leave it unset"
        )
    return Suite(name=name, task=task, items=items, source=str(path), benchmark=bench.name)


def load_custom(path: str, image_root: str | None = None, samples: int = 5, benchmark: str | None = None) -> Suite:
    """The suite in your file ``path``, named after the file's stem."""
    return read_suite_file(Path(path), Path(path).stem, image_root, samples, benchmark)
