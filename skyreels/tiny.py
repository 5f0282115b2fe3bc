"""Build a tiny, random-weight SkyReels V1 checkpoint with the real on-disk layout, offline.

Layout (mirrors the hub repos the real weights come from)::

    <root>/HunyuanVideo/                  # like hunyuanvideo-community/HunyuanVideo
        model_index.json
        transformer/ vae/ text_encoder/ tokenizer/ text_encoder_2/ tokenizer_2/ scheduler/
    <root>/SkyReels-V1-Hunyuan-T2V/       # like Skywork/SkyReels-V1-Hunyuan-T2V: weights at the root
        config.json  diffusion_pytorch_model.safetensors
    <root>/SkyReels-V1-Hunyuan-I2V/       # in_channels twice the T2V's

The build is deterministic (fixed seeds, no network) and is loaded by the same code as real weights.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from videogen.builders import hunyuan_video
from videogen.builders.hunyuan_video import LATENT_CHANNELS
from videogen.tiny import ensure_built, tiny_root
from videogen.tokenizers import write_clip_tokenizer, write_llama_tokenizer

from .recipe import PROMPT_TEMPLATE, TEMPLATE_SPECIAL_TOKENS

TINY_VERSION = 1
BASE_DIR = "HunyuanVideo"
TRANSFORMER_DIRS = {"t2v": "SkyReels-V1-Hunyuan-T2V", "i2v": "SkyReels-V1-Hunyuan-I2V"}

# Words for the tiny CLIP vocabulary's merges, so that CLIP BPE merging is exercised too.
CLIP_WORDS = (
    "a",
    "the",
    "cat",
    "dog",
    "on",
    "in",
    "of",
    "and",
    "video",
    "camera",
    "moving",
    "red",
    "blue",
    "aerial",
    "view",
    "overexposed",
    "low",
    "quality",
    "deformation",
    "poor",
    "composition",
    "bad",
    "hands",
    "teeth",
    "eyes",
    "limbs",
    "distortion",
    "fps",
    "24",
)


def default_root() -> Path:
    return tiny_root(f"tiny-skyreels-v1-v{TINY_VERSION}")


def ensure_tiny_checkpoint(root: str | os.PathLike | None = None) -> Path:
    """Build the tiny checkpoint under ``root`` unless a complete build is already there."""
    return ensure_built(root if root is not None else default_root(), build_tiny_checkpoint)


def build_tiny_checkpoint(root: Path) -> None:
    """Write every component of the tiny checkpoint into ``root`` (which must be empty or absent)."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
    )
    from transformers import LlamaModel

    base = root / BASE_DIR
    llama_tok = write_llama_tokenizer(
        base / "tokenizer", [PROMPT_TEMPLATE["template"].replace("{}", "")], TEMPLATE_SPECIAL_TOKENS
    )
    clip_tok = write_clip_tokenizer(base / "tokenizer_2", CLIP_WORDS)

    torch.manual_seed(0)
    LlamaModel(hunyuan_video.llama_config(llama_tok)).save_pretrained(base / "text_encoder")

    torch.manual_seed(1)
    hunyuan_video.clip_text_encoder(clip_tok).save_pretrained(base / "text_encoder_2")

    torch.manual_seed(2)
    hunyuan_video.vae().save_pretrained(base / "vae")

    FlowMatchEulerDiscreteScheduler(shift=7.0).save_pretrained(base / "scheduler")

    # The base repo ships HunyuanVideo's own transformer; SkyReels replaces it at load time.
    for seed, (folder, in_channels) in enumerate(
        (
            (base / "transformer", LATENT_CHANNELS),
            (root / TRANSFORMER_DIRS["t2v"], LATENT_CHANNELS),
            (root / TRANSFORMER_DIRS["i2v"], 2 * LATENT_CHANNELS),
        ),
        start=3,
    ):
        torch.manual_seed(seed)
        hunyuan_video.transformer(in_channels).save_pretrained(folder)

    (base / "model_index.json").write_text(
        json.dumps(
            {
                "_class_name": "HunyuanVideoPipeline",
                "_diffusers_version": "0.32.0.dev0",
                "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                "text_encoder": ["transformers", "LlamaModel"],
                "text_encoder_2": ["transformers", "CLIPTextModel"],
                "tokenizer": ["transformers", "LlamaTokenizerFast"],
                "tokenizer_2": ["transformers", "CLIPTokenizer"],
                "transformer": ["diffusers", "HunyuanVideoTransformer3DModel"],
                "vae": ["diffusers", "AutoencoderKLHunyuanVideo"],
            },
            indent=2,
        )
        + "\n"
    )
