"""Small animated previews of videos (WebP) and thumbnails of conditioning images, for the drill-down pages.

A video's preview is made once, where the video is made (the generate worker, which also imports external
videos: ``make_run_preview`` into ``<run>/previews/``); the report links it into its own folder and makes only
the missing ones (runs made before previews moved to the worker, a failed preview). Files are named by content
hash, so they are made once per distinct video and a rebuild reuses them; encoding is deterministic, so a
rebuilt report has the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from eval.atomic import link_atomic, sha256_file, write_bytes_atomic

PREVIEW_VERSION = 1  # bump when the preview's look changes, so old files are not reused
PREVIEW_DIR = "previews"  # in the run directory and in each report folder
MAX_FRAMES = 16
WIDTH = 160


def _fit(image, width: int = WIDTH):
    from PIL import Image

    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS) if image.width > width else image


def preview_name(sha256: str) -> str:
    """``previews/<hash>-v<version>.webp``, relative to the run directory or the report folder."""
    return f"{PREVIEW_DIR}/{sha256[:16]}-v{PREVIEW_VERSION}.webp"


def encode_preview(video: Path) -> bytes:
    """An animated WebP of at most ``MAX_FRAMES`` evenly spaced frames of ``video``, ``WIDTH`` px wide."""
    import imageio_ffmpeg
    import numpy as np
    from PIL import Image

    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(buf, np.uint8).reshape(height, width, 3).copy() for buf in reader]
    step = max(1, -(-len(frames) // MAX_FRAMES))
    images = [_fit(Image.fromarray(f)) for f in frames[::step]]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        "WEBP",
        save_all=True,
        append_images=images[1:],
        loop=0,
        quality=70,
        method=4,
        duration=round(1000 * step / (meta.get("fps") or 24)),
    )
    return buffer.getvalue()


def make_run_preview(run_dir: Path, video: Path, sha256: str) -> Path:
    """``<run>/previews/<hash>.webp`` for ``video`` (whose sha256 is ``sha256``), unless it is there."""
    path = Path(run_dir) / preview_name(sha256)
    if not path.is_file():
        write_bytes_atomic(path, encode_preview(video))
    return path


def video_preview(video: Path, sha256: str, out_dir: Path, run_dir: Path | None = None) -> str | None:
    """The preview's path relative to ``out_dir``: linked from ``run_dir``'s previews, else made from ``video``;
    None if neither is there."""
    name = preview_name(sha256)
    target, made = out_dir / name, None if run_dir is None else Path(run_dir) / name
    if target.is_file():
        return name
    if made is not None and made.is_file():
        link_atomic(made, target)
    elif video.is_file():
        write_bytes_atomic(target, encode_preview(video))
    else:
        return None
    return name


def image_thumbnail(image: Path, out_dir: Path) -> str | None:
    """``images/<hash>.png``, a small copy of a conditioning image, or None if there is none."""
    from PIL import Image

    if not image.is_file():
        return None
    name = f"images/{sha256_file(image)[:16]}-v{PREVIEW_VERSION}.png"
    if not (out_dir / name).is_file():
        buffer = io.BytesIO()
        with Image.open(image) as img:
            _fit(img.convert("RGB")).save(buffer, "PNG")
        write_bytes_atomic(out_dir / name, buffer.getvalue())
    return name
