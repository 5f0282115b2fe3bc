"""The settings every video model shares, validated up front; each model's recipe subclasses them and
redeclares the defaults it publishes (``height: int = 480``) and its own settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .device import DTYPES, SettingsError
from .knobs import SpeedKnobs


@dataclass(frozen=True)
class VideoSettings(SpeedKnobs):
    """Every knob that changes pixels (plus execution knobs that may), recorded with each video."""

    height: int = 480
    width: int = 832
    num_frames: int = 81
    fps: int = 16
    num_inference_steps: int = 50
    guidance_scale: float = 5.0
    negative_prompt: str = ""
    max_sequence_length: int = 512
    dtype: str = "auto"
    quality: float = 5.0  # imageio/libx264 quality, the same default as diffusers' export_to_video

    # Frames are ``temporal_step * k + 1`` (the VAE compresses time by it) and sizes multiples of ``size_step``.
    temporal_step = 4
    size_step = 16
    # True where ``height`` and ``width`` may be None: each video's size is then decided from its conditioning
    # image (e.g. an aspect-ratio bucket), and the model computes it per video.
    size_from_image = False

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise SettingsError("; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with these settings, each with its fix (subclasses add their own)."""
        problems = []
        for name in ("height", "width"):
            value, step = getattr(self, name), self.size_step
            if value is None:
                if not self.size_from_image:
                    problems.append(
                        f"{name} must be set (a positive multiple of {step}); this model has no per-image size"
                    )
                continue
            if value <= 0 or value % step:
                problems.append(
                    f"{name}={value} must be a positive multiple of {step}; try {max(step, round(value / step) * step)}"
                )
        t = self.temporal_step
        if self.num_frames < 1 or (self.num_frames - 1) % t:
            lower = (max(self.num_frames, 1) - 1) // t * t + 1
            problems.append(
                f"num_frames={self.num_frames} must be {t}k+1 (the VAE compresses time by {t}); "
                f"try {lower} or {lower + t} (diffusers would silently round it down)"
            )
        if self.fps <= 0:
            problems.append(f"fps={self.fps} must be positive")
        if self.num_inference_steps < 1:
            problems.append(f"num_inference_steps={self.num_inference_steps} must be >= 1")
        if self.dtype not in DTYPES:
            problems.append(f"dtype={self.dtype!r} is not one of {', '.join(DTYPES)}")
        return problems + self.knob_problems()

    def to_json(self) -> dict:
        return asdict(self)
