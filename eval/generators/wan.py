"""The built-in Wan2.1 generators: Wan2.1-T2V-1.3B (``WanPipeline``) and Wan2.1-I2V-14B at 720P or 480P
(``WanImageToVideoPipeline``; the two I2V checkpoints are one architecture, so one adapter with two configs).

Sources, read at these commits (``path:line``):

- Wan: github.com/Wan-Video/Wan2.1 at 9737cba9c1c3c4d04b33fcad41c111989865d315 (``generate.py``,
  ``wan/configs/*.py``, ``wan/image2video.py``, ``README.md``).
- VBench: github.com/Vchitect/VBench at 45e79ec14e69a2187202c675d2dbce1a71843d53, whose
  ``sampled_videos/README.md:128`` is the VBench team's own sampling row for Wan2.1-T2V-1.3B (2025-05-03):
  832x480, 16 fps, 81 frames, ``guidance_scale=6.0, flow_shift=3.0, num_inference_steps=50, sampler=unipc``
  and Wan's Chinese negative prompt; ``vbench2_beta_i2v/README.md:329``: Wan2.1-I2V-14B-720P sampled by
  the VBench team at 1280x720, 16 fps, 81 frames (no sampler settings given: Wan's defaults).
- diffusers v0.39.0 (cc92165): ``pipelines/wan/``, ``scripts/convert_wan_to_diffusers.py:1183-1193`` (the
  hub repos' text encoder and scheduler: UniPC, flow prediction, ``flow_shift=3.0`` for every Wan2.1 T2V and
  I2V repo, so the recipe's shift is set on the scheduler here).

Wan2.1-T2V-1.3B (``WanT2VSettings``), the VBench row where it gives a value:
- 832x480, 81 frames (``generate.py:83-85``), 16 fps (``wan/configs/shared_config.py:18``);
- 50 steps (VBench row; also ``generate.py:71``), UniPC (VBench row; ``generate.py:228-233``);
- guidance 6.0 (VBench row; Wan's README.md:180 recommends 6 for the 1.3B model, the CLI default is 5.0);
- flow shift 3.0 (VBench row; the CLI default is 5.0, ``generate.py:76-81``, and README.md:180 suggests 8-12);
- negative prompt ``sample_neg_prompt`` (``shared_config.py:20``), 512 text tokens (``shared_config.py:11``);
- VAE in float32, the rest in ``dtype`` (Wan's diffusers example, README.md:241-244).

Wan2.1-I2V-14B-720P / -480P (``WanI2VSettings``), Wan's defaults:
- the image's aspect within ``max_area`` 720*1280 / 480*832 (``wan/configs/__init__.py:38-43``; the CLI's
  ``--size`` is an area for I2V, README.md:317), each side floored to VAE stride 8 x patch 2 = 16
  (``wan/image2video.py:183-193``): width and height are per video;
- 81 frames, 16 fps; 40 steps (``generate.py:70-74``; diffusers' pipeline defaults to 50); guidance 5.0
  (``generate.py:241-245``); UniPC with shift 5.0 at 720P, 3.0 at 480P (``generate.py:76-81``,
  ``image2video.py:157-159``);
- negative prompt ``"镜头晃动，"`` (camera shake) + ``sample_neg_prompt`` (``wan/configs/wan_i2v_14B.py:11``;
  the official code uses it when no negative prompt is given, ``image2video.py:219-220``), 512 text tokens
  (diffusers' I2V attention also assumes 512);
- VAE and CLIP image encoder in float32, the rest in ``dtype`` (README.md:354-356; Wan's native code runs
  its VAE in float32 too, ``wan/modules/vae.py:624``).

The I2V image is resized whole (no crop) to its video size with bicubic resampling, as Wan does
(``image2video.py:240-248``: torch bicubic on the tensor; here PIL's bicubic, which also antialiases when
it shrinks, as in Wan's README diffusers example, README.md:367). diffusers then encodes that image for CLIP
with the repo's ``CLIPImageProcessor`` (shortest edge 224, centre crop) where Wan's native code squeezes the
whole image to 224x224 (``wan/modules/clip.py:527-537``): a difference of the diffusers port, kept.
Prompts are cleaned by diffusers as by Wan's tokenizer (ftfy, HTML unescape, whitespace).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from eval.generators.diffusers_model import DiffusersVideoModel
from videogen.device import DTYPES, SettingsError
from videogen.settings import VideoSettings
from videogen.weights import Repo

# wan/configs/shared_config.py:20 (Wan2.1 9737cba).
NEGATIVE_PROMPT = (
    "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，最差质量，低质量，JPEG压缩残留，丑陋的，"
    "残缺的，多余的手指，画得不好的手部，画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，杂乱的背景，"
    "三条腿，背景人很多，倒着走"
)
# wan/configs/wan_i2v_14B.py:11 ("camera shake, " first).
I2V_NEGATIVE_PROMPT = "镜头晃动，" + NEGATIVE_PROMPT
# wan/configs/__init__.py:38-43: the I2V sizes are areas (width*height), the aspect follows the image.
MAX_AREAS = {"720P": 720 * 1280, "480P": 480 * 832}
I2V_HUB_IDS = {"720P": "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers", "480P": "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"}
# wan/configs/wan_*.py: vae_stride (4, 8, 8), patch_size (1, 2, 2); diffusers: the VAE's scale factors.
VAE_STRIDE_T, VAE_STRIDE, PATCH = 4, 8, 2
# diffusers' WanAttnProcessor splits the I2V context as "image tokens, then 512 text tokens" (hardcoded).
I2V_TEXT_TOKENS = 512

_PIPELINE = (
    "model_index.json",
    "transformer/config.json",
    "vae/config.json",
    "text_encoder/config.json",
    "tokenizer/tokenizer_config.json",
    "scheduler/scheduler_config.json",
)
# The tiny tokenizer is trained on these, so that the recipes' prompts are real tokens, not <unk>.
TINY_CORPUS = (
    I2V_NEGATIVE_PROMPT,
    "A cat walks on the grass. The camera pans right across a black and white "
    "checkerboard. The sun sets slowly over a calm sea, the sky glowing orange. A red ball rolls "
    "across a grey floor. A dog runs on the beach, in a city, at night.",
)


def wan_i2v_size(image_width: int, image_height: int, max_area: int) -> tuple[int, int]:
    """``(width, height)`` of Wan2.1 I2V's video for an image of that size: the image's aspect within
    ``max_area``, each side floored to a multiple of VAE stride x patch size, exactly as ``WanI2V.generate``
    computes it (``wan/image2video.py:183-193``; Wan's README diffusers example rounds instead)."""
    aspect_ratio = image_height / image_width
    lat_h = round(math.sqrt(max_area * aspect_ratio) // VAE_STRIDE // PATCH * PATCH)
    lat_w = round(math.sqrt(max_area / aspect_ratio) // VAE_STRIDE // PATCH * PATCH)
    return lat_w * VAE_STRIDE, lat_h * VAE_STRIDE


@dataclass(frozen=True)
class WanSettings(VideoSettings):
    """What both Wan2.1 recipes share (the module docstring cites each value)."""

    num_frames: int = 81
    fps: int = 16
    max_sequence_length: int = 512
    flow_shift: float = 3.0
    vae_dtype: str = "float32"
    # {setting: pipeline component} for the components the recipe runs in their own dtype.
    COMPONENT_DTYPES: ClassVar[dict[str, str]] = {"vae_dtype": "vae"}

    def problems(self) -> list[str]:
        problems = super().problems()
        if not self.flow_shift > 0:
            problems.append(f"flow_shift={self.flow_shift} must be positive (Wan: 3.0 at 480P, 5.0 at 720P)")
        if self.max_sequence_length < 1:
            problems.append(f"max_sequence_length={self.max_sequence_length} must be >= 1 (Wan: 512)")
        problems += [
            f"{name}={getattr(self, name)!r} is not one of {', '.join(DTYPES)}"
            for name in self.COMPONENT_DTYPES
            if getattr(self, name) not in DTYPES
        ]
        return problems


@dataclass(frozen=True)
class WanT2VSettings(WanSettings):
    """Wan2.1-T2V-1.3B as the VBench team sampled it (sampled_videos/README.md:128)."""

    height: int = 480
    width: int = 832
    num_inference_steps: int = 50
    guidance_scale: float = 6.0
    negative_prompt: str = NEGATIVE_PROMPT
    flow_shift: float = 3.0


@dataclass(frozen=True)
class WanI2VSettings(WanSettings):
    """Wan2.1-I2V-14B with Wan's own defaults (720P; the 480P config sets max_area and flow_shift)."""

    height: int | None = None  # per video: max_area and the image's aspect
    width: int | None = None
    size_from_image = True
    max_area: int = MAX_AREAS["720P"]
    num_inference_steps: int = 40
    guidance_scale: float = 5.0
    negative_prompt: str = I2V_NEGATIVE_PROMPT
    flow_shift: float = 5.0
    image_encoder_dtype: str = "float32"
    COMPONENT_DTYPES: ClassVar[dict[str, str]] = {"vae_dtype": "vae", "image_encoder_dtype": "image_encoder"}

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.height is not None or self.width is not None:
            problems.append(
                f"height={self.height}, width={self.width}: Wan2.1 I2V sizes each video from "
                "max_area and its image's aspect (as Wan's image2video.py does); leave height and "
                f"width unset and set max_area ({MAX_AREAS['720P']} for 720P, "
                f"{MAX_AREAS['480P']} for 480P)"
            )
        side = VAE_STRIDE * PATCH
        if self.max_area < side * side:
            problems.append(
                f"max_area={self.max_area} must be at least {side * side} ({side}x{side} pixels); "
                f"Wan: {MAX_AREAS['720P']} (720P) or {MAX_AREAS['480P']} (480P)"
            )
        if self.max_sequence_length != I2V_TEXT_TOKENS:
            problems.append(
                f"max_sequence_length={self.max_sequence_length}: Wan2.1 I2V needs "
                f"{I2V_TEXT_TOKENS} (diffusers' attention takes the last {I2V_TEXT_TOKENS} context "
                "tokens as the text and the rest as the image); set it to 512"
            )
        return problems


class _Wan(DiffusersVideoModel):
    """What the two Wan2.1 adapters share: the UniPC scheduler with the recipe's shift, the component dtypes
    and the architecture checks."""

    in_channels: ClassVar[int]  # the transformer's input channels: 16 latents (+ 16 image latents + 4 mask)

    def torch_dtypes(self):
        from videogen.device import torch_dtype

        return {
            "default": self.dtype,
            **{
                component: torch_dtype(getattr(self.s, name), self.device)
                for name, component in self.s.COMPONENT_DTYPES.items()
            },
        }

    def configure(self, pipe) -> None:
        from diffusers import UniPCMultistepScheduler

        transformer = pipe.transformer.config
        layout = (pipe.vae_scale_factor_temporal, pipe.vae_scale_factor_spatial, tuple(transformer.patch_size))
        if layout != (VAE_STRIDE_T, VAE_STRIDE, (1, PATCH, PATCH)):
            raise SettingsError(
                f"{self.weights.path}: VAE strides {layout[:2]} and patch size {layout[2]} are "
                f"not Wan2.1's ({VAE_STRIDE_T}, {VAE_STRIDE}) and (1, {PATCH}, {PATCH}); point "
                "generator.weights at a Wan2.1 diffusers-format repo"
            )
        if transformer.in_channels != self.in_channels:
            kind, other = ("I2V", "wan_i2v") if transformer.in_channels > self.in_channels else ("T2V", "wan_t2v")
            raise SettingsError(
                f"{self.weights.path}: its transformer takes {transformer.in_channels} input "
                f"channels, but {self.title} needs {self.in_channels}; these look like {kind} "
                f"weights: use generator={other}, or point generator.weights at {self.hub_id}"
            )
        # Wan samples with UniPC and the recipe's shift; the converted repos' schedulers all say shift 3.0.
        pipe.scheduler = UniPCMultistepScheduler.from_config(
            pipe.scheduler.config, prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=self.s.flow_shift
        )


class WanT2V(_Wan):
    """Wan2.1-T2V-1.3B through diffusers' ``WanPipeline``."""

    tasks = ("t2v",)
    Settings = WanT2VSettings
    pipeline_class = "WanPipeline"
    hub_id = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
    repo = Repo(what=f"Wan2.1-T2V-1.3B pipeline ({hub_id})", setting="generator.weights", required=_PIPELINE)
    title = "Wan2.1-T2V-1.3B"
    tiny_builder = "eval.generators.wan:tiny_t2v"
    in_channels = 16


class WanI2V(_Wan):
    """Wan2.1-I2V-14B (720P or 480P weights and recipe) through diffusers' ``WanImageToVideoPipeline``."""

    tasks = ("i2v",)
    Settings = WanI2VSettings
    pipeline_class = "WanImageToVideoPipeline"
    hub_id = I2V_HUB_IDS["720P"]
    repo = Repo(
        what="Wan2.1-I2V-14B pipeline (Wan-AI/Wan2.1-I2V-14B-720P-Diffusers or -480P-Diffusers)",
        setting="generator.weights",
        required=(*_PIPELINE, "image_encoder/config.json", "image_processor/preprocessor_config.json"),
    )
    title = "Wan2.1-I2V-14B"
    tiny_builder = "eval.generators.wan:tiny_i2v"
    in_channels = 36

    @classmethod
    def display_name(cls, config: dict, task: str) -> str:
        """``Wan2.1-I2V-14B-720P`` or ``-480P``: the hub repo's variant, else (a local folder) the max_area's."""
        if cls.random_weights(config):
            return super().display_name(config, task)
        by_weights = {hub_id: variant for variant, hub_id in I2V_HUB_IDS.items()}
        by_area = {area: variant for variant, area in MAX_AREAS.items()}
        variant = by_weights.get(config.get("weights", cls.hub_id)) or by_area.get(cls.settings(config).max_area)
        return cls.title + (f"-{variant}" if variant else "")

    def configure(self, pipe) -> None:
        super().configure(pipe)
        if pipe.image_encoder is None or pipe.image_processor is None or pipe.transformer.config.image_dim is None:
            raise SettingsError(
                f"{self.weights.path}: Wan2.1 I2V needs image_encoder/ and image_processor/ and a "
                "transformer with image_dim (the Wan-AI/Wan2.1-I2V-14B-*-Diffusers layout)"
            )

    def load_image(self, path: str):
        """The whole image (no crop), resized bicubic to its Wan2.1 I2V video size."""
        from PIL import Image

        with Image.open(path) as img:
            rgb = img.convert("RGB")
        width, height = wan_i2v_size(rgb.width, rgb.height, self.s.max_area)
        if not (width and height):
            raise SettingsError(
                f"image {path} ({rgb.width}x{rgb.height}) is too narrow for max_area="
                f"{self.s.max_area}: its video would be {width}x{height}; crop it or raise max_area"
            )
        return rgb.resize((width, height), Image.Resampling.BICUBIC)

    def call_kwargs(self, prompt: str, image) -> dict:
        return {**super().call_kwargs(prompt, image), "height": image.height, "width": image.width}


def tiny_t2v():
    from videogen.builders.wan import T2V_DIR, TINY_LABEL, ensure_tiny_wan

    return ensure_tiny_wan(TINY_CORPUS) / T2V_DIR, TINY_LABEL


def tiny_i2v():
    from videogen.builders.wan import I2V_DIR, TINY_LABEL, ensure_tiny_wan

    return ensure_tiny_wan(TINY_CORPUS) / I2V_DIR, TINY_LABEL
