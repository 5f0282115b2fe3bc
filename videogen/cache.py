"""Where built fixtures (tiny checkpoints, generated images) are cached."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$SKYREELS_CACHE`` or ``~/.cache/skyreels``."""
    return Path(os.environ.get("SKYREELS_CACHE", Path.home() / ".cache" / "skyreels")).expanduser()
