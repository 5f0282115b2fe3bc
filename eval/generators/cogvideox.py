"""The built-in CogVideoX-5b-I2V generator (diffusers ``CogVideoXImageToVideoPipeline``, ``THUDM/CogVideoX-5b-I2V``).

The recipe is the official one, read at THUDM/CogVideo e519eced782c08db81f45e5eb40baa45958087ae
(``inference/cli_demo.py``, the diffusers path of the model's own repo; ``README.md``'s model table) and
diffusers v0.39.0 (cc92165331e1b20afc1a47e03f63e8f3a930f8cc):

- 720x480: cli_demo.py:46 ``RESOLUTION_MAP["cogvideox-5b-i2v"] = (480, 720)``; README.md:202 "720 * 480"; the
  transformer's sample size, 90x60 latents x the VAE's 8 (convert_cogvideox_to_diffusers.py:200-210).
- 49 frames: README.md:207 "default 49"; cli_demo.py:80 "CogVideoX1.0 generates 49 frames ... at 8 fps" (its own
  ``--num_frames`` default, 81, is CogVideoX1.5's); the transformer's ``sample_frames=49``.
- 8 fps: README.md:248-250 "8 frames / second"; cli_demo.py:80.
- 50 steps, guidance 6.0: cli_demo.py:62-63 and 225-227; ``use_dynamic_cfg=True``: cli_demo.py:166.
- scheduler: ``CogVideoXDPMScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")``,
  cli_demo.py:134-142 ("using CogVideoXDPMScheduler for CogVideoX-5B / CogVideoX-5B-I2V"). The repo's own
  scheduler folder is a ``CogVideoXDDIMScheduler`` (its model_index.json), configured as
  convert_cogvideox_to_diffusers.py:313-326 writes it (5B: ``snr_shift_scale=1.0``, lines 259-260).
- 226 text tokens: README.md:240 "226 Tokens"; the pipeline's ``max_sequence_length=226``; the transformer's
  ``max_text_seq_length=226``; convert_cogvideox_to_diffusers.py:120 ``TOKENIZER_MAX_LENGTH = 226``.
- negative prompt "": cli_demo.py passes none and the pipeline uses ``negative_prompt or ""``
  (pipeline_cogvideox_image2video.py:319).
- bf16 on a GPU: cli_demo.py:65 and 253; README.md "BF16 (Recommended)" for CogVideoX-5B-I2V.
- VAE tiling on: cli_demo.py:151-152 ``pipe.vae.enable_slicing()``, ``pipe.vae.enable_tiling()`` (tiles are blended,
  so tiling changes pixels at 720x480; slicing does not at batch 1).
- seed: a CPU ``torch.Generator().manual_seed(seed)``, cli_demo.py:168.
- image: ``diffusers.utils.load_image`` (cli_demo.py:120), passed as is (cli_demo.py:161); the pipeline's
  ``VideoProcessor`` resizes it to height x width (lanczos).

Checks the architecture demands (the transformer's learned positional embeddings, diffusers v0.39.0
``models/embeddings.py`` ``CogVideoXPatchEmbed.forward``, lines 749-770): they exist for one latent grid only, so the
size must be ``sample_width/height x`` the VAE's spatial scale (else diffusers raises), the frames must be
``sample_frames`` (with any other count diffusers silently replaces the learned table by a sinusoidal one: the model
would run without the embeddings it was trained with), and the prompt length must be ``max_text_seq_length`` (the
table starts with that many text positions). They are read from the loaded config (and in ``preflight`` from the
weights folder's JSON), and refused naming the fix instead of rounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from eval.generators.diffusers_model import DiffusersVideoModel
from videogen.settings import VideoSettings
from videogen.weights import TINY, Repo

HUB_ID = "THUDM/CogVideoX-5b-I2V"


@dataclass(frozen=True)
class CogVideoXI2VSettings(VideoSettings):
    """CogVideoX-5b-I2V's official recipe (module docstring for the sources)."""

    height: int = 480
    width: int = 720
    num_frames: int = 49
    fps: int = 8
    num_inference_steps: int = 50
    guidance_scale: float = 6.0
    use_dynamic_cfg: bool = True
    negative_prompt: str = ""
    max_sequence_length: int = 226
    vae_tiling: bool = True

    # The VAE compresses time by 4 and space by 8; the transformer's patches are 2x2 latents.
    temporal_step = 4
    size_step = 16

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.guidance_scale < 0:
            problems.append(f"guidance_scale={self.guidance_scale} must be >= 0 (1 or less turns guidance off)")
        if self.max_sequence_length < 1:
            problems.append(f"max_sequence_length={self.max_sequence_length} must be >= 1 (the recipe's is 226)")
        return problems


def architecture_problems(s: VideoSettings, transformer: dict, vae: dict) -> list[str]:
    """What the weights (their transformer and VAE configs) cannot run with settings ``s``, each with its fix."""
    spatial = 2 ** (len(vae["block_out_channels"]) - 1)  # as CogVideoXImageToVideoPipeline computes it
    temporal = vae.get("temporal_compression_ratio", 4)
    latent = vae.get("latent_channels", 16)
    problems = []
    if transformer.get("in_channels") != 2 * latent:
        problems.append(
            f"the transformer takes in_channels={transformer.get('in_channels')}, but image-to-video "
            f"needs {2 * latent} (noise and image latents); these are not CogVideoX I2V weights: "
            f"use {HUB_ID}"
        )
    if transformer.get("patch_size_t") is not None:
        problems.append(
            "these are CogVideoX1.5 weights (patch_size_t is set); this generator runs "
            f"CogVideoX-5b-I2V's recipe: use {HUB_ID}"
        )
    if not transformer.get("use_learned_positional_embeddings"):
        return problems
    frames = transformer.get("sample_frames", 49)
    width = transformer.get("sample_width", 90) * spatial
    height = transformer.get("sample_height", 60) * spatial
    text = transformer.get("max_text_seq_length", 226)
    why = "the transformer's learned positional embeddings"
    if (s.width, s.height) != (width, height):
        problems.append(
            f"width={s.width} height={s.height}: {why} exist for {width}x{height} only (sample "
            f"{transformer.get('sample_width')}x{transformer.get('sample_height')} latents x the VAE's "
            f"{spatial}x); set width={width} height={height}"
        )
    if s.num_frames != frames:
        problems.append(
            f"num_frames={s.num_frames}: {why} cover {frames} frames ({(frames - 1) // temporal + 1} "
            f"latent frames) only, and with any other count diffusers silently replaces them by "
            f"sinusoidal ones; set num_frames={frames}"
        )
    if s.max_sequence_length != text:
        problems.append(
            f"max_sequence_length={s.max_sequence_length}: {why} start with {text} text positions; "
            f"set max_sequence_length={text}"
        )
    return problems


class CogVideoXI2V(DiffusersVideoModel):
    """CogVideoX-5b-I2V with its official recipe, or its tiny random-weight checkpoint (``weights: tiny``)."""

    tasks = ("i2v",)
    Settings = CogVideoXI2VSettings
    pipeline_class = "CogVideoXImageToVideoPipeline"
    hub_id = HUB_ID
    repo = Repo(
        what="CogVideoX-5b-I2V pipeline",
        setting="generator.weights",
        required=(
            "model_index.json",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json",
            "tokenizer/spiece.model",
            "tokenizer/tokenizer_config.json",
            "transformer/config.json",
            "vae/config.json",
        ),
    )
    title = "CogVideoX-5b-I2V"
    baseline = "CogVideoX-5b-I2V"  # its row in reports/baselines/vbench_i2v.csv
    tiny_builder = "videogen.builders.cogvideox:ensure_tiny_cogvideox_i2v"
    WEIGHT_FOLDERS: ClassVar[tuple[str, ...]] = ("text_encoder", "transformer", "vae")

    @classmethod
    def preflight(cls, config: dict, task: str) -> None:
        """Besides the base checks: every weights folder has its safetensors, and the settings fit the
        transformer's learned positional embeddings, read from the folder's JSON (the tiny checkpoint's from its
        builder, which is not run here), so in seconds and before anything is launched."""
        from videogen.device import SettingsError

        cls.check_task(task)
        s = cls.settings(config)
        if config.get("weights", cls.hub_id) == TINY:
            from videogen.builders import cogvideox as tiny

            transformer, vae = tiny.TRANSFORMER, tiny.VAE
        else:
            from videogen.weights import require_safetensors

            resolved = cls.find_weights(config)
            for folder in cls.WEIGHT_FOLDERS:
                require_safetensors(resolved, cls.repo, folder)
            transformer, vae = (
                json.loads((Path(resolved.path) / name / "config.json").read_text()) for name in ("transformer", "vae")
            )
        problems = architecture_problems(s, transformer, vae)
        if problems:
            raise SettingsError("; ".join(problems))

    def configure(self, pipe) -> None:
        from diffusers import CogVideoXDPMScheduler

        from videogen.device import SettingsError

        problems = architecture_problems(self.s, dict(pipe.transformer.config), dict(pipe.vae.config))
        if problems:
            raise SettingsError("; ".join(problems))
        # cli_demo.py:140-142: the DPM scheduler on the repo's (DDIM) scheduler config, trailing timesteps.
        pipe.scheduler = CogVideoXDPMScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")
        pipe.vae.enable_slicing()  # cli_demo.py:151 (memory only at batch 1)
        if self.s.vae_tiling:
            pipe.vae.enable_tiling()  # cli_demo.py:152 (changes pixels: tiles are blended)

    def call_kwargs(self, prompt: str, image) -> dict:
        return {**super().call_kwargs(prompt, image), "use_dynamic_cfg": self.s.use_dynamic_cfg}

    def load_image(self, path: str):
        """As cli_demo.py loads it (``diffusers.utils.load_image``: EXIF orientation applied, RGB), then center-
        cropped to the video's aspect and resized as the pipeline's ``VideoProcessor`` resizes (lanczos). For an
        image already at 3:2 (VBench-I2V's ``3-2`` crops) the crop keeps it whole, so the pixels the pipeline
        encodes are the official path's; other aspects are cropped where the official path would stretch."""
        from diffusers.utils import load_image
        from PIL import Image

        from videogen.image import center_crop_to_aspect

        w, h = self.s.width, self.s.height
        return center_crop_to_aspect(load_image(path), w, h).resize((w, h), Image.Resampling.LANCZOS, reducing_gap=None)
