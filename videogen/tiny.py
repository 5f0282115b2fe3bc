"""Build a tiny random-weight checkpoint once, atomically: into a temp folder, marked complete, renamed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .cache import cache_dir

COMPLETE = ".complete"


def tiny_root(name: str) -> Path:
    """Where the tiny checkpoint ``name`` (e.g. ``tiny-cogvideox-i2v-v1``) is cached."""
    return cache_dir() / name


def ensure_built(root: str | os.PathLike, build: Callable[[Path], None]) -> Path:
    """``root`` once ``build(tmp)`` has written a complete checkpoint there (a concurrent build's result is kept)."""
    root = Path(root)
    if (root / COMPLETE).exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        build(tmp)
        (tmp / COMPLETE).write_text("ok\n")
        try:
            tmp.rename(root)
        except OSError:  # another process finished first: keep its build
            if not (root / COMPLETE).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root
