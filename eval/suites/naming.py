"""Item ids and VBench video file names, defined once.

VBench finds a video by its file name ``{prompt}-{index}.mp4``, so a prompt may hold neither ``/``
nor a control character (a newline, a tab). ext4 (and most file systems)
limit a name to 255 bytes, so a prompt may use at most ``MAX_PROMPT_BYTES`` bytes of UTF-8:
255 minus room for the longest suffix we allow, ``-9999.mp4``. Longer prompts are refused
unless ``long_prompts="hash"``: their videos are then named by a truncated prompt plus a hash
of the full prompt, and scored through VBench's custom_input mode with ``prompt_map``.
"""

from __future__ import annotations

import hashlib
import unicodedata

from eval.errors import SuiteError
from eval.records import Suite

MAX_FILE_NAME_BYTES = 255
MAX_PROMPT_BYTES = MAX_FILE_NAME_BYTES - len("-9999.mp4")
LONG_PROMPT_MODES = ("error", "hash")
ID_HEX_CHARS = 12


def stable_id(*parts: str) -> str:
    """First 12 hex chars of the sha256 of ``parts`` joined by U+001F.

    Depends only on the parts (e.g. the prompt, or prompt and image name), never on the
    item's position in its file, so reordering a suite keeps every id. 48 bits: a collision
    among a few thousand prompts has odds below 1e-7, and the integrity gate would catch it.
    """
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


def prompt_name_problem(prompt: str, long_prompts: str = "error") -> tuple[str, str] | None:
    """``(problem, fix)`` when ``prompt`` cannot name a VBench video file, else ``None``."""
    if long_prompts not in LONG_PROMPT_MODES:
        raise SuiteError(
            f"long_prompts={long_prompts!r} is not a mode; set long_prompts to one of {', '.join(LONG_PROMPT_MODES)}"
        )
    if "/" in prompt:
        return (
            "prompt contains '/'",
            "VBench names videos '{prompt}-{i}.mp4' and '/' would make a folder: "
            "rewrite the prompt without '/' (e.g. 'or', '-')",
        )
    control = next((c for c in prompt if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return (
            f"prompt contains the control character {control!r} at character {prompt.index(control) + 1}",
            "VBench names videos '{prompt}-{i}.mp4', so it would end up in a file name: write the "
            "prompt on one line, without newlines, tabs or other control characters",
        )
    n_bytes = len(prompt.encode("utf-8"))
    if n_bytes > MAX_PROMPT_BYTES and long_prompts == "error":
        return (
            f"prompt is {n_bytes} bytes in UTF-8, over the {MAX_PROMPT_BYTES}-byte limit for "
            f"VBench's '{{prompt}}-{{i}}.mp4' file names ({MAX_FILE_NAME_BYTES} bytes max)",
            f"shorten the prompt to {MAX_PROMPT_BYTES} bytes, or set long_prompts=hash to name "
            "its videos by a truncated prompt plus a hash (scored via VBench's "
            "custom_input mode)",
        )
    return None


def vbench_video_name(prompt: str, index: int, long_prompts: str = "error") -> str:
    """``f"{prompt}-{index}.mp4"``; for an over-long prompt in ``hash`` mode,
    ``f"{head}~{stable_id(prompt)}-{index}.mp4"`` with ``head`` the prompt cut to fit on a
    UTF-8 character boundary. Raises ``SuiteError`` for a prompt that cannot name a file."""
    problem = prompt_name_problem(prompt, long_prompts)
    if problem:
        what, fix = problem
        raise SuiteError(f"cannot name a video for prompt {prompt[:60]!r}...: {what}; fix: {fix}")
    encoded = prompt.encode("utf-8")
    if len(encoded) <= MAX_PROMPT_BYTES:
        return f"{prompt}-{index}.mp4"
    head_bytes = MAX_PROMPT_BYTES - len("~") - ID_HEX_CHARS
    head = encoded[:head_bytes].decode("utf-8", errors="ignore")
    return f"{head}~{stable_id(prompt)}-{index}.mp4"


def prompt_map(suite: Suite, long_prompts: str = "error") -> dict[str, str]:
    """``{video file name: prompt}`` for every video of ``suite``: the form VBench's
    custom_input mode takes as its prompt file."""
    return {
        vbench_video_name(item.prompt, index, long_prompts): item.prompt
        for item in suite.items
        for index in range(item.samples)
    }
