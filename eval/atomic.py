"""Atomic file writes: temp files in the same folder, fsynced, then renamed into place.

A failed write (no space, read-only folder) raises ``WriteError`` naming the file and replaces nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import WriteError

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def writing(path: str | os.PathLike):
    """Turn an ``OSError`` raised while writing ``path`` into a one-line ``WriteError`` naming it."""
    try:
        yield
    except WriteError:
        raise
    except OSError as err:
        raise WriteError(err.errno, err.strerror or str(err), str(err.filename or path)) from None


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_files_atomic(files: dict[Path, bytes]) -> None:
    """Write every file to a temp name first, then rename them all: if any write fails, none is replaced."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            with writing(path):
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as f:
                    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; results and reports are meant to be shared
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
        for tmp, path in staged:
            with writing(path):
                os.replace(tmp, path)
        for folder in {path.parent for _, path in staged}:
            with writing(folder):
                fsync_dir(folder)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    write_files_atomic({Path(path): data})
    return Path(path)


def link_atomic(source: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Put ``source``'s bytes at ``path`` as a hard link (a copy across file systems), renamed into place."""
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.link")
        try:
            os.link(source, tmp)
        except OSError:  # another file system, or one without hard links
            write_bytes_atomic(path, Path(source).read_bytes())
            return path
        os.replace(tmp, path)
    return path


def json_bytes(obj) -> bytes:
    return (json.dumps(obj, indent=1, ensure_ascii=False) + "\n").encode()


def write_json_atomic(path: str | os.PathLike, obj) -> Path:
    return write_bytes_atomic(path, json_bytes(obj))


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
