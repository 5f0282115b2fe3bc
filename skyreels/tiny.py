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

from videogen.tiny import ensure_built, tiny_root
from videogen.tokenizers import write_clip_tokenizer, write_llama_tokenizer

from .recipe import PROMPT_TEMPLATE, TEMPLATE_SPECIAL_TOKENS

TINY_VERSION = 1
BASE_DIR = "HunyuanVideo"
TRANSFORMER_DIRS = {"t2v": "SkyReels-V1-Hunyuan-T2V", "i2v": "SkyReels-V1-Hunyuan-I2V"}

LATENT_CHANNELS = 4
LLAMA_HIDDEN = 16
CLIP_HIDDEN = 8
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
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoTransformer3DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    base = root / BASE_DIR
    llama_tok = write_llama_tokenizer(
        base / "tokenizer", [PROMPT_TEMPLATE["template"].replace("{}", "")], TEMPLATE_SPECIAL_TOKENS
    )
    clip_tok = write_clip_tokenizer(base / "tokenizer_2", CLIP_WORDS)

    torch.manual_seed(0)
    LlamaModel(
        LlamaConfig(
            vocab_size=len(llama_tok),
            hidden_size=LLAMA_HIDDEN,
            intermediate_size=32,
            num_hidden_layers=3,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=8,
            max_position_embeddings=512,
            bos_token_id=llama_tok.bos_token_id,
            eos_token_id=llama_tok.eos_token_id,
            pad_token_id=llama_tok.pad_token_id,
        )
    ).save_pretrained(base / "text_encoder")

    torch.manual_seed(1)
    CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(clip_tok),
            hidden_size=CLIP_HIDDEN,
            intermediate_size=16,
            projection_dim=CLIP_HIDDEN,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            bos_token_id=clip_tok.bos_token_id,
            eos_token_id=clip_tok.eos_token_id,
            pad_token_id=clip_tok.pad_token_id,
        )
    ).save_pretrained(base / "text_encoder_2")

    torch.manual_seed(2)
    AutoencoderKLHunyuanVideo(
        latent_channels=LATENT_CHANNELS,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
    ).save_pretrained(base / "vae")

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
        HunyuanVideoTransformer3DModel(
            in_channels=in_channels,
            out_channels=LATENT_CHANNELS,
            num_attention_heads=2,
            attention_head_dim=12,
            num_layers=1,
            num_single_layers=1,
            num_refiner_layers=1,
            patch_size=2,
            patch_size_t=1,
            guidance_embeds=True,
            text_embed_dim=LLAMA_HIDDEN,
            pooled_projection_dim=CLIP_HIDDEN,
            rope_axes_dim=(4, 4, 4),
        ).save_pretrained(folder)

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
