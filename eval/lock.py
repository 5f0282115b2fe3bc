"""One process at a time per run directory: an advisory ``flock`` on ``<run>/.lock``."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from .atomic import writing
from .errors import HarnessError


@contextmanager
def run_lock(run_dir: Path):
    path = run_dir / ".lock"
    with writing(path):
        run_dir.mkdir(parents=True, exist_ok=True)
        f = open(path, "a+")
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise HarnessError(
                f"{run_dir} is in use by another run ({holder}); wait for it to finish, "
                "or stop it, then rerun the same command to resume"
            ) from None
        with writing(path):
            f.seek(0)
            f.truncate()
            f.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
            f.flush()
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
