"""Write and inspect mp4 files: the container fps is the configured fps, bytes are reproducible."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Bit-exact muxing and single-threaded x264 so that the same frames give the same bytes.
_FFMPEG_PARAMS = ["-threads", "1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-map_metadata", "-1"]


def write_mp4(frames: np.ndarray, path: str | os.PathLike, *, fps: int, quality: float = 5.0) -> Path:
    """Encode ``frames`` (T, H, W, 3) uint8 RGB to ``path`` atomically (temp file in the same folder, then rename)."""
    import imageio.v2 as imageio

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames of shape (T, H, W, 3), got {frames.dtype} {frames.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.partial.mp4")
    try:
        with imageio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=quality,
                                macro_block_size=16, ffmpeg_log_level="error",
                                output_params=_FFMPEG_PARAMS) as writer:
            for frame in frames:
                writer.append_data(frame)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


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
