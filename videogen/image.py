"""Conditioning images as SkyReels' reference prepares them: center-cropped to the target aspect, then
resized as diffusers' ``VideoProcessor`` resizes (``VaeImageProcessor.resize``: PIL, its default
``resample="lanczos"``, ``reducing_gap=None``; diffusers 0.39.0 ``image_processor.py``)."""

from __future__ import annotations

from PIL import Image


def center_crop_to_aspect(image: Image.Image, width: int, height: int) -> Image.Image:
    """Largest centered crop of ``image`` with aspect ``width:height`` (diffusers itself only resizes, which
    distorts)."""
    src_w, src_h = image.size
    if src_w * height > src_h * width:  # too wide: trim the sides
        crop_w, crop_h = round(src_h * width / height), src_h
    else:  # too tall: trim top and bottom
        crop_w, crop_h = src_w, round(src_w * height / width)
    left, top = (src_w - crop_w) // 2, (src_h - crop_h) // 2
    return image.crop((left, top, left + crop_w, top + crop_h))


def load_conditioning_image(path: str, width: int, height: int) -> Image.Image:
    """Open ``path`` as RGB, center-cropped to the target aspect and resized (lanczos) to ``width`` x ``height``."""
    with Image.open(path) as img:
        rgb = img.convert("RGB")
    return center_crop_to_aspect(rgb, width, height).resize(
        (width, height), Image.Resampling.LANCZOS, reducing_gap=None
    )
