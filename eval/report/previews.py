"""Small animated previews of videos (WebP) and thumbnails of conditioning images, for the drill-down pages.

Files are named by content hash, so they are made once and a rebuild reuses them; encoding is
deterministic, so a rebuilt report has the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from eval.atomic import sha256_file, write_bytes_atomic

PREVIEW_VERSION = 1  # bump when the preview's look changes, so old files are not reused
MAX_FRAMES = 16
WIDTH = 160


def _fit(image, width: int = WIDTH):
    from PIL import Image

    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS) if image.width > width else image


def video_preview(video: Path, sha256: str, out_dir: Path) -> str | None:
    """``previews/<hash>.webp`` for ``video`` (relative to ``out_dir``), or None if the video is gone."""
    import imageio_ffmpeg
    import numpy as np
    from PIL import Image

    name = f"previews/{sha256[:16]}-v{PREVIEW_VERSION}.webp"
    if (out_dir / name).is_file():
        return name
    if not video.is_file():
        return None
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
    write_bytes_atomic(out_dir / name, buffer.getvalue())
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
