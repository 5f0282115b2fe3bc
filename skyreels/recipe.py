"""SkyReels V1's sampling recipe and the settings that change pixels, validated up front.

diffusers' HunyuanVideoPipeline defaults (true_cfg_scale=1.0, guidance_scale=6.0) are the
distilled-HunyuanVideo recipe; SkyReels V1 is sampled with true CFG 6.0 against a negative prompt
and embedded guidance 1.0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

FPS_PREFIX = "FPS-24, "
DEFAULT_NEGATIVE_PROMPT = (
    "Aerial view, aerial view, overexposed, low quality, deformation, a poor composition, "
    "bad hands, bad teeth, bad eyes, bad limbs, distortion"
)
# diffusers' HunyuanVideo prompt template (same text in both pipelines); crop_start=95 is the
# number of Llama tokens (with BOS) before the user prompt.
PROMPT_TEMPLATE = {
    "template": (
        "<|start_header_id|>system<|end_header_id|>\n\nDescribe the video by detailing the following aspects: "
        "1. The main content and theme of the video."
        "2. The color, shape, size, texture, quantity, text, and spatial relationships of the objects."
        "3. Actions, events, behaviors temporal relationships, physical movement changes of the objects."
        "4. background environment, light, style and atmosphere."
        "5. camera angles, movements, and transitions used in the video:<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
    ),
    "crop_start": 95,
}
TEMPLATE_SPECIAL_TOKENS = ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")

TASKS = ("t2v", "i2v")
DTYPES = ("auto", "bfloat16", "float16", "float32")
CFG_MODES = ("sequential", "batched")
# diffusers attention backends that run without CUDA.
CPU_ATTENTION_BACKENDS = ("native", "_native_math", "flex")


def resolved_dtype(dtype: str, device_type: str) -> str:
    """The dtype that ``dtype`` means on a ``device_type`` device: ``auto`` is bf16 on a GPU, fp32 on a CPU."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if device_type == "cuda" else "float32"


class SettingsError(ValueError):
    """A generation setting that SkyReels cannot honour; the message says which and how to fix it."""


@dataclass(frozen=True)
class GenerationSettings:
    """Every knob that changes pixels (plus execution knobs that may), recorded with each video."""

    height: int = 544
    width: int = 960
    num_frames: int = 97
    fps: int = 24
    num_inference_steps: int = 30
    true_cfg_scale: float = 6.0
    guidance_scale: float = 1.0
    negative_prompt: str = DEFAULT_NEGATIVE_PROMPT
    prompt_prefix: str = FPS_PREFIX
    max_sequence_length: int = 256
    dtype: str = "auto"
    vae_tiling: bool = True
    cpu_offload: bool = False
    cfg_mode: str = "sequential"
    compile: bool = False
    attention_backend: str = "native"
    quality: float = 5.0  # imageio/libx264 quality, the same default as diffusers' export_to_video

    def __post_init__(self) -> None:
        problems = []
        for name in ("height", "width"):
            value = getattr(self, name)
            if value <= 0 or value % 16:
                problems.append(f"{name}={value} must be a positive multiple of 16 (VAE x8, patch x2); "
                                f"try {max(16, round(value / 16) * 16)}")
        if self.num_frames < 1 or (self.num_frames - 1) % 4:
            lower = (max(self.num_frames, 1) - 1) // 4 * 4 + 1
            problems.append(f"num_frames={self.num_frames} must be 4k+1 (the VAE compresses time by 4); "
                            f"try {lower} or {lower + 4} (diffusers would silently round it down)")
        if self.fps <= 0:
            problems.append(f"fps={self.fps} must be positive")
        if self.num_inference_steps < 1:
            problems.append(f"num_inference_steps={self.num_inference_steps} must be >= 1")
        if self.true_cfg_scale > 1 and not self.negative_prompt:
            problems.append("true_cfg_scale > 1 needs a negative_prompt: without one diffusers silently "
                            "turns CFG off; set negative_prompt or true_cfg_scale=1")
        if self.dtype not in DTYPES:
            problems.append(f"dtype={self.dtype!r} is not one of {', '.join(DTYPES)}")
        if self.cfg_mode not in CFG_MODES:
            problems.append(f"cfg_mode={self.cfg_mode!r} is not one of {', '.join(CFG_MODES)}")
        if problems:
            raise SettingsError("; ".join(problems))

    @property
    def do_true_cfg(self) -> bool:
        return self.true_cfg_scale > 1

    def model_prompt(self, prompt: str) -> str:
        """The prompt as SkyReels is conditioned on it: prefixed with ``"FPS-24, "`` exactly once."""
        prompt = prompt.strip()
        if not prompt:
            raise SettingsError("empty prompt: give a non-empty text prompt")
        if self.prompt_prefix and prompt.startswith(self.prompt_prefix):
            return prompt
        return self.prompt_prefix + prompt

    def to_json(self) -> dict:
        return asdict(self)
