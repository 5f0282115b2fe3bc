"""Write and inspect mp4 files: the container fps is the configured fps, bytes are reproducible, and a file
is in place only once ffmpeg has finished it and it decodes back in full."""

from __future__ import annotations

import errno
import os
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np

# Bit-exact muxing and single-threaded x264 so that the same frames give the same bytes.
_FFMPEG_PARAMS = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


class VideoWriteError(OSError):
    """ffmpeg did not finish the file (e.g. no space left on device), or it does not decode back in full."""


def write_mp4(frames: np.ndarray, path: str | os.PathLike, *, fps: int, quality: float = 5.0) -> Path:
    """Encode ``frames`` (T, H, W, 3) uint8 RGB to ``path`` atomically.

    ffmpeg writes a temp file in the same folder; only if it exits 0 and the fsynced file decodes back to
    all T frames is it renamed into place. Otherwise ``VideoWriteError`` (ffmpeg's own words, e.g. "No space
    left on device") and nothing at ``path``. The command is the one imageio's FFMPEG writer builds.
    """
    import imageio_ffmpeg

    frames = np.ascontiguousarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames of shape (T, H, W, 3), got {frames.dtype} {frames.shape}")
    count, height, width, _ = frames.shape
    if height % 16 or width % 16:
        raise ValueError(f"frame size {width}x{height} must be a multiple of 16 (libx264 macro blocks)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial.mp4")
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-f",
        "rawvideo",
        "-vcodec",
        "rawvideo",
        "-s",
        f"{width}x{height}",
        "-pix_fmt",
        "rgb24",
        "-r",
        str(Fraction(fps).limit_denominator()),
        "-i",
        "-",
        "-an",
        "-vcodec",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        str(int((1 - quality / 10) * 51)),
        "-v",
        "error",
        *_FFMPEG_PARAMS,
        str(tmp),
    ]
    try:
        done = subprocess.run(
            cmd, input=memoryview(frames).cast("B"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if done.returncode:
            said = done.stderr.decode(errors="replace").strip().splitlines()
            no_space = any("No space left on device" in line for line in said)
            raise VideoWriteError(
                errno.ENOSPC if no_space else errno.EIO,
                f"ffmpeg exited with status {done.returncode}: {said[-1] if said else 'no message'}",
                str(path),
            )
        _fsync(tmp)
        decoded = probe_mp4(tmp)["frames"]
        if decoded != count:
            raise VideoWriteError(errno.EIO, f"the written file decodes to {decoded} of {count} frames", str(path))
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _decode(path: str | os.PathLike):
    """Container metadata, then each frame as (H, W, 3) uint8 RGB."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    yield meta
    for buf in reader:
        yield np.frombuffer(buf, np.uint8).reshape(height, width, 3)


def read_frames(path: str | os.PathLike) -> np.ndarray:
    """All frames of a video as (T, H, W, 3) uint8 RGB."""
    frames = _decode(path)
    next(frames)
    return np.stack(list(frames))


def probe_mp4(path: str | os.PathLike) -> dict:
    """Container facts of an mp4: fps, frame count, width, height (decodes every frame, so it also checks integrity)."""
    frames = _decode(path)
    meta = next(frames)
    width, height = meta["size"]
    return {"fps": meta["fps"], "frames": sum(1 for _ in frames), "width": width, "height": height}
