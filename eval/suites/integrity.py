"""The integrity gate, run before any generation: every problem of a suite in one error.

Checks ids (unique), prompts (non-empty, usable as VBench video file names: no ``/``, no control
characters, not too long; unique since VBench names videos by prompt), ``samples`` (at least 1),
and images (present, readable, a decodable image); records each image's sha256 in ``image_sha256``.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageFile

from eval.errors import SuiteError
from eval.records import Suite
from eval.suites.locations import location_of
from eval.suites.naming import prompt_name_problem


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a suite: where (``file:line``), what, and how to fix it."""

    where: str
    what: str
    fix: str


def image_digest(path: Path) -> tuple[str | None, tuple[str, str] | None]:
    """``(sha256, None)`` for a decodable image file, else ``(None, (problem, fix))``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, (
            f"image not found: {path}",
            "add the file, or correct the image path (relative paths resolve "
            "against the suite file's folder, or against suite.image_root when set)",
        )
    except OSError as e:
        return None, (
            f"image unreadable: {path} ({e.strerror})",
            "make the file readable by this user, or point the suite elsewhere",
        )
    # VBench's AMT code (and pyiqa) set PIL's LOAD_TRUNCATED_IMAGES globally on import, which would
    # let a cut file pass: check with it off, whatever was imported before.
    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.draft(image.mode, (1, 1))  # JPEG: decode at 1/8 scale, still reading every byte
            image.load()
    except Exception as e:  # PIL signals corrupt data with many exception types
        return None, (
            f"image corrupt: {path} ({type(e).__name__}: {e})",
            "replace it with a valid image (download or export it again)",
        )
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return hashlib.sha256(data).hexdigest(), None


def problems_message(suite_name: str, problems: list[Problem]) -> str:
    """A summary line, then each problem with its location and fix."""
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    lines = [f"suite '{suite_name}': {count} — first: {problems[0].where}: {problems[0].what}"]
    for n, problem in enumerate(problems, 1):
        lines += [f"  {n}. {problem.where}: {problem.what}", f"     fix: {problem.fix}"]
    return "\n".join(lines)


def check_suite(suite: Suite, long_prompts: str = "error") -> Suite:
    """``suite`` with ``image_sha256`` filled in, or one ``SuiteError`` listing every problem.

    ``long_prompts`` is the naming mode of ``eval.suites.naming``: ``"hash"`` accepts prompts
    too long for ``{prompt}-{i}.mp4`` file names.
    """
    problems: list[Problem] = []
    first_id_at: dict[str, str] = {}
    first_prompt_at: dict[str, str] = {}
    digests: dict[str, tuple[str | None, tuple[str, str] | None]] = {}
    checked = []
    for item in suite.items:
        where = location_of(item)
        found = []
        duplicate_id = item.id in first_id_at
        if duplicate_id:
            found.append(
                (
                    f"duplicate id {item.id!r} (first at {first_id_at[item.id]})",
                    "give each item its own id, or delete the repeated line",
                )
            )
        first_id_at.setdefault(item.id, where)
        if not item.prompt.strip():
            found.append(("empty prompt", "write a prompt on that line, or delete the line"))
        else:
            found.append(prompt_name_problem(item.prompt, long_prompts))
            if item.prompt in first_prompt_at and not duplicate_id:
                found.append(
                    (
                        f"duplicate prompt (first at {first_prompt_at[item.prompt]})",
                        "VBench names videos '{prompt}-{i}.mp4', so both items would "
                        "write the same files: merge the two lines, or reword one prompt",
                    )
                )
        first_prompt_at.setdefault(item.prompt, where)
        if item.samples < 1:
            found.append((f"samples is {item.samples}", "set samples to 1 or more"))
        sha256 = None
        if item.image is not None:
            if item.image not in digests:
                digests[item.image] = image_digest(Path(item.image))
            sha256, image_problem = digests[item.image]
            found.append(image_problem)
        elif suite.task == "i2v":
            found.append(("no image, but the suite is i2v", "give the item an image"))
        problems += [Problem(where, what, fix) for what, fix in filter(None, found)]
        checked.append(replace(item, image_sha256=sha256))
    if problems:
        raise SuiteError(problems_message(suite.name, problems))
    return replace(suite, items=tuple(checked))
