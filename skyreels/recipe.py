"""SkyReels V1's sampling recipe and the settings that change pixels, validated up front.

diffusers' HunyuanVideoPipeline defaults (true_cfg_scale=1.0, guidance_scale=6.0) are the
distilled-HunyuanVideo recipe; SkyReels V1 is sampled with true CFG 6.0 against a negative prompt
and embedded guidance 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass

from videogen.device import SettingsError
from videogen.settings import VideoSettings

__all__ = ["GenerationSettings", "SettingsError", "DEFAULT_NEGATIVE_PROMPT", "PROMPT_TEMPLATE"]

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
CFG_MODES = ("sequential", "batched")


@dataclass(frozen=True)
class GenerationSettings(VideoSettings):
    """SkyReels V1's recipe: every knob that changes pixels (plus execution knobs that may)."""

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
    vae_tiling: bool = True
    cpu_offload: bool = False
    cfg_mode: str = "sequential"

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.true_cfg_scale > 1 and not self.negative_prompt:
            problems.append(
                "true_cfg_scale > 1 needs a negative_prompt: without one diffusers silently "
                "turns CFG off; set negative_prompt or true_cfg_scale=1"
            )
        if self.cfg_mode not in CFG_MODES:
            problems.append(f"cfg_mode={self.cfg_mode!r} is not one of {', '.join(CFG_MODES)}")
        return problems

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
