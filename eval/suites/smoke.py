"""The built-in smoke suites: 3 prompts, 2 samples each, for end-to-end checks in minutes.

``smoke`` (i2v) reads ``prompts/smoke.jsonl`` with images drawn here by PIL, with no
randomness, into ``cache_dir()/smoke_images/``: the same bytes on every run, so their
sha256 (and everything keyed on it) is stable. ``smoke_t2v`` reads ``prompts/smoke_t2v.txt``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from eval.records import Suite
from eval.suites.custom import read_suite_file
from videogen.cache import cache_dir

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
SMOKE_SIZE = (480, 272)  # the 960x544 aspect at half size


def vertical_gradient(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    width, height = SMOKE_SIZE
    image = Image.new("RGB", SMOKE_SIZE)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        draw.line([(0, y), (width - 1, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return image


def draw_sunset() -> Image.Image:
    image = vertical_gradient((40, 60, 150), (250, 150, 60))
    draw = ImageDraw.Draw(image)
    draw.ellipse([200, 120, 280, 200], fill=(255, 220, 90))
    draw.rectangle([0, 180, 479, 271], fill=(20, 40, 90))
    return image


def draw_red_ball() -> Image.Image:
    image = vertical_gradient((200, 200, 200), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse([150, 215, 250, 235], fill=(70, 70, 70))
    draw.ellipse([160, 135, 240, 215], fill=(210, 30, 30))
    return image


def draw_checkerboard() -> Image.Image:
    image = Image.new("RGB", SMOKE_SIZE, (245, 245, 245))
    draw = ImageDraw.Draw(image)
    tile = 34
    for row in range(SMOKE_SIZE[1] // tile + 1):
        for col in range(SMOKE_SIZE[0] // tile + 1):
            if (row + col) % 2:
                draw.rectangle(
                    [col * tile, row * tile, col * tile + tile - 1, row * tile + tile - 1], fill=(15, 15, 15)
                )
    return image


SMOKE_IMAGES: dict[str, Callable[[], Image.Image]] = {
    "sunset.png": draw_sunset,
    "red_ball.png": draw_red_ball,
    "checkerboard.png": draw_checkerboard,
}


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=9)
    return buffer.getvalue()


def ensure_smoke_images(folder: Path | None = None) -> Path:
    """Draw the smoke images into ``folder`` (default ``cache_dir()/smoke_images``), rewriting
    any file whose bytes differ; each write is atomic, so concurrent loads are safe."""
    folder = folder or cache_dir() / "smoke_images"
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in SMOKE_IMAGES.items():
        data, target = png_bytes(draw()), folder / name
        if not target.is_file() or target.read_bytes() != data:
            partial = folder / f".{name}.{os.getpid()}.part"
            partial.write_bytes(data)
            os.replace(partial, target)
    return folder


def load_smoke(samples: int = 2) -> Suite:
    """3 prompts with drawn images, i2v."""
    return read_suite_file(
        PROMPTS_DIR / "smoke.jsonl",
        "smoke",
        image_root=str(ensure_smoke_images()),
        samples=samples,
        benchmark="vbench_i2v",
    )


def load_smoke_t2v(samples: int = 2) -> Suite:
    """3 prompts, t2v."""
    return read_suite_file(PROMPTS_DIR / "smoke_t2v.txt", "smoke_t2v", samples=samples, benchmark="vbench")
