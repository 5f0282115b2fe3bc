"""What a run shows on the console, and where everything else goes.

Quiet (the default): what a shard worker writes, its own lines and those of VBench, pyiqa, DreamSim, timm,
diffusers and friends (prints, warnings, ``[Local Mode]`` banners, ``pkg_resources`` notices, tqdm bars), down to
what C code and subprocesses write to file descriptors 1 and 2, goes to the shard's log
``<run>/logs/<stage>/<shard>.log`` (``to_log``, for the in-process launchers; on SLURM, submitit's per-task logs).
The console shows the stage lines, one bar per stage (``StageBar``, advanced by the record lines the workers append,
so it works for every launcher), each failure in one line with its log, and the run's summary (``summary``).
``run.verbose=true`` leaves everything on the console, as it was before this module.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import datetime
from pathlib import Path

LOGS = "logs"


def stage_logs(run_dir: Path, stage: str) -> Path:
    """The folder of ``stage``'s shard logs."""
    return Path(run_dir) / LOGS / stage


def shard_log(folder: Path, shard) -> Path:
    """The log of one shard (a score shard's label ``dimension:chunk`` becomes ``dimension-chunk``)."""
    return Path(folder) / f"{str(shard).replace(':', '-')}.log"


_redirected = 0  # to_log blocks open in this process


@contextmanager
def warnings_to_log(path: Path):
    """Python warnings of this process (a ``FutureWarning`` from importing torch, timm, ...; ``pkg_resources``
    notices) into ``path`` until the block ends, except in a ``to_log`` block, where they go with the rest of the
    shard's output. The harness's own lines are prints, which stay on the console."""
    import warnings

    show = warnings.showwarning

    def to_file(message, category, filename, lineno, file=None, line=None):
        if _redirected:
            return show(message, category, filename, lineno, file, line)
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as log:
                log.write(warnings.formatwarning(message, category, filename, lineno, line))
        except OSError:  # a full disk: the warning shows on the console instead
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = to_file
    try:
        yield
    finally:
        warnings.showwarning = show


@contextmanager
def to_log(path: Path):
    """Send this process's output to ``path`` (appended, after a header line) until the block ends: file
    descriptors 1 and 2, which C extensions and subprocesses write to, and ``sys.stdout``/``sys.stderr`` (streams on
    those descriptors meanwhile, so a logging handler made in the block, e.g. by ``logging.basicConfig`` in VBench's
    modules, writes to the console again after it rather than to a closed file). A log that cannot be written (a
    full disk) loses the output, never fails the worker; one that cannot be opened leaves the output on the
    console. Standard input reads as empty meanwhile, since nobody sees a prompt (submitit's DebugExecutor opens
    pdb on a failing job: it ends at once)."""
    global _redirected
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        yield path
        return
    outer = (sys.stdout, sys.stderr)
    for stream in outer:
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    stdin, sys.stdin = sys.stdin, io.StringIO()
    _redirected += 1
    try:
        for target in (1, 2):
            os.dup2(fd, target)
        _FD_STREAMS[2].write(f"==== {datetime.now().isoformat(timespec='seconds')} pid {os.getpid()} ====\n")
        with redirect_stdout(_FD_STREAMS[1]), redirect_stderr(_FD_STREAMS[2]):
            yield path
    finally:
        _redirected -= 1
        sys.stdin = stdin
        for stream in outer:  # what was written to them in the block belongs in the log
            try:
                stream.flush()
            except OSError:
                pass
        for target, copy in zip((1, 2), saved):
            os.dup2(copy, target)
            os.close(copy)
        os.close(fd)


class _Descriptor(io.TextIOBase):
    """A text stream writing straight to file descriptor ``fd`` (no buffer, never closed); a failed write (a full
    disk) is dropped, so that output cannot fail the code that prints it."""

    def __init__(self, fd: int):
        self.fd = fd

    def write(self, text: str) -> int:
        try:
            os.write(self.fd, text.encode("utf-8", "backslashreplace"))
        except OSError:
            pass
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return os.isatty(self.fd)

    @property
    def encoding(self) -> str:
        return "utf-8"


_FD_STREAMS = {1: _Descriptor(1), 2: _Descriptor(2)}


def console_stream():
    """A stream to the console that stays there while ``to_log`` redirects fds 1 and 2: a copy of stderr's fd (or
    ``sys.stderr`` itself where it has none, e.g. pytest's capture). The caller closes it."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, io.UnsupportedOperation):
        return _Unclosed(sys.stderr)


class _Unclosed(io.TextIOBase):
    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()


class AppendedLines:
    """Counts the lines appended to the ``*.jsonl`` files under ``folder`` (at any depth) since it was made, and
    how many of them record a failure (``"status": "failed"``, as ``eval.jsonl.append_line`` writes it). Reads only
    what was appended since the last call."""

    FAILED = b'"status": "failed"'

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.offsets = {path: size for path, size in self._sizes()}
        self.lines = self.failed = 0

    def _sizes(self):
        for path in self.folder.rglob("*.jsonl"):
            try:
                yield path, path.stat().st_size
            except OSError:
                continue

    def poll(self) -> tuple[int, int]:
        for path, size in list(self._sizes()):
            start = self.offsets.get(path, 0)
            if size <= start:
                continue
            with open(path, "rb") as f:
                f.seek(start)
                chunk = f.read(size - start)
            end = chunk.rfind(b"\n") + 1  # a line still being written is counted once it is whole
            self.offsets[path] = start + end
            self.lines += chunk.count(b"\n", 0, end)
            self.failed += chunk.count(self.FAILED, 0, end)
        return self.lines, self.failed


class StageBar:
    """One console bar for a stage: ``total`` units, advanced from a thread by the record lines that its workers
    append under ``folder`` (the manifests, one line per video; the score records, one per video and dimension).
    The records are files, so the bar follows local, debug and SLURM workers alike. On a terminal it is redrawn in
    place every ``interval`` seconds; elsewhere (a batch log) a line is written at most once a minute, and at the
    end. The line is tqdm's (``tqdm.format_meter``); no tqdm bar object is made, since one would shift the bars
    that the workers' libraries draw in this process (tqdm places each new bar below the open ones)."""

    def __init__(self, stage: str, total: int, folder: Path, unit: str, interval: float = 0.5):
        self.stage, self.total, self.folder, self.unit, self.interval = stage, total, Path(folder), unit, interval
        self._stop = threading.Event()

    def __enter__(self) -> StageBar:
        self.stream = console_stream()
        self.tty = self.stream.isatty()
        self.lines = AppendedLines(self.folder)
        self.start = self.written = time.monotonic()
        self.thread = threading.Thread(target=self._follow, name=f"{self.stage}-bar", daemon=True)
        self.thread.start()
        return self

    def _follow(self) -> None:
        if self.tty:
            self.draw()
        while not self._stop.wait(self.interval):
            if self.tty or time.monotonic() - self.written >= 60:
                self.draw()

    def draw(self, last: bool = False) -> None:
        from tqdm import tqdm

        lines, failed = self.lines.poll()
        width = shutil.get_terminal_size().columns if self.tty else None
        meter = tqdm.format_meter(
            min(lines, self.total),
            self.total,
            time.monotonic() - self.start,
            ncols=width,
            prefix=self.stage,
            unit=self.unit,
            postfix=f"{failed} failed" if failed else None,
        )
        self.stream.write(f"\r{meter}" + ("\n" if last else "") if self.tty else f"{meter}\n")
        self.stream.flush()
        self.written = time.monotonic()

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.thread.join()
        self.draw(last=True)
        self.stream.close()


def summary(run_dir: Path, seconds: float) -> list[str]:
    """The run's closing lines, read from its files: videos, scores, results, and where the logs are."""
    from eval.stages import last_shard_count
    from eval.status import summarize

    run_dir = Path(run_dir)
    s = summarize(run_dir, last_shard_count(run_dir))
    parts = [f"{s['done']}/{s['videos']} videos" + (f" ({s['failed']} failed)" if s["failed"] else "")]
    if s["scoring"]:
        scored, failed = (sum(r[k] for r in s["scoring"]) for k in ("scored", "failed"))
        parts.append(
            f"{scored}/{sum(r['expected'] for r in s['scoring'])} scores over {len(s['scoring'])} dimensions"
            + (f" ({failed} failed)" if failed else "")
        )
    results = run_dir / "results.json"
    if results.is_file():
        data = json.loads(results.read_text())
        total = data["total"]["value"]
        parts.append(
            f"results {data['status']}"
            + (f", Total {100 * total:.2f}%" if total is not None else f", {len(data['missing'])} dimension(s) missing")
        )
    lines = [f"summary: {', '.join(parts)}, {_duration(seconds)}"]
    if (run_dir / LOGS).is_dir():
        lines.append(f"  logs: {run_dir / LOGS} (run.verbose=true shows the workers' output on the console)")
    return lines


def _duration(seconds: float) -> str:
    minutes, s = divmod(round(seconds), 60)
    return f"{minutes}m{s:02d}s" if minutes else f"{s}s"
