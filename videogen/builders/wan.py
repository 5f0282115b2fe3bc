"""Tiny random-weight Wan2.1 checkpoints in the layouts of the diffusers-format hub repos, built offline.

Layout (one root, two repos)::

    <root>/Wan2.1-T2V-1.3B-Diffusers/    # like Wan-AI/Wan2.1-T2V-1.3B-Diffusers
        model_index.json  transformer/ vae/ text_encoder/ tokenizer/ scheduler/
    <root>/Wan2.1-I2V-14B-Diffusers/     # like Wan-AI/Wan2.1-I2V-14B-{720P,480P}-Diffusers (one architecture)
        model_index.json  transformer/ vae/ text_encoder/ tokenizer/ scheduler/ image_encoder/ image_processor/

The class names in ``model_index.json`` are the real repos' (``WanPipeline`` / ``WanImageToVideoPipeline``,
``UMT5EncoderModel``, ``T5TokenizerFast``, ``AutoencoderKLWan``, ``WanTransformer3DModel``,
``UniPCMultistepScheduler``; for I2V ``CLIPVisionModel`` and ``CLIPImageProcessor``, the classes
``WanImageToVideoPipeline`` declares and Wan's README loads, README.md:354 at Wan2.1 9737cba). Every
component is the real class with small sizes (as in diffusers v0.39.0
``tests/pipelines/wan/test_wan_image_to_video.py``) and the real structural settings of the converted repos
(diffusers v0.39.0 ``scripts/convert_wan_to_diffusers.py``): patch size (1, 2, 2), z_dim 16, VAE strides
(4, 8, 8), ``qk_norm="rms_norm_across_heads"``, ``cross_attn_norm``; the I2V transformer takes 36 input
channels (16 noise + 16 image latents + 4 mask), the CLIP image features (``image_dim``) and separate
key/value projections for them (``added_kv_proj_dim`` = its width), which makes diffusers split a 512-token
text context from the image tokens. The scheduler is the conversion script's (UniPC, flow prediction, flow
sigmas, ``flow_shift=3.0``), so that the recipe has to set its own shift as with the real repos.

The build is deterministic (fixed seeds, no network): the UMT5 tokenizer is a SentencePiece model trained on
``corpus`` (``videogen.tokenizers.write_t5_tokenizer``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from videogen.tiny import ensure_built, tiny_root
from videogen.tokenizers import write_t5_tokenizer

TINY_VERSION = 1
TINY_LABEL = f"tiny-v{TINY_VERSION}"
T2V_DIR, I2V_DIR = "Wan2.1-T2V-1.3B-Diffusers", "Wan2.1-I2V-14B-Diffusers"

TEXT_DIM = 32  # UMT5 d_model (4096 in umt5-xxl)
HEADS, HEAD_DIM = 2, 12  # transformer width 24 (1536 / 5120 in the 1.3B / 14B models); RoPE splits 12 as 4+4+4
IMAGE_DIM = 16  # CLIP vision width (1280 in ViT-H/14)
LATENT_CHANNELS = 16  # z_dim of the Wan VAE, as in the real one
I2V_IN_CHANNELS = 2 * LATENT_CHANNELS + 4  # noise + image latents + the 4-frame first-frame mask

# The diffusers-format repos' model_index.json: the same keys and classes (diffusers version of the conversion).
_INDEX = {
    "_diffusers_version": "0.33.0.dev0",
    "scheduler": ["diffusers", "UniPCMultistepScheduler"],
    "text_encoder": ["transformers", "UMT5EncoderModel"],
    "tokenizer": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "WanTransformer3DModel"],
    "vae": ["diffusers", "AutoencoderKLWan"],
}
_I2V_INDEX = {
    "image_encoder": ["transformers", "CLIPVisionModel"],
    "image_processor": ["transformers", "CLIPImageProcessor"],
}


def ensure_tiny_wan(corpus: Sequence[str]) -> Path:
    """The root holding both tiny repos, built once; ``corpus`` (the texts the tiny tokenizer should cover,
    e.g. the recipes' negative prompts) is part of the cache key."""
    digest = hashlib.sha256("\n".join(corpus).encode()).hexdigest()[:8]
    return ensure_built(tiny_root(f"tiny-wan2.1-v{TINY_VERSION}-{digest}"), lambda root: build_tiny_wan(root, corpus))


def build_tiny_wan(root: Path, corpus: Sequence[str]) -> None:
    """Write both tiny repos into ``root``."""
    import torch
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanTransformer3DModel
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel, UMT5Config, UMT5EncoderModel

    def shared(repo: Path) -> None:
        tok = write_t5_tokenizer(repo / "tokenizer", list(corpus), vocab_size=512)
        torch.manual_seed(0)
        UMT5EncoderModel(
            UMT5Config(
                vocab_size=len(tok),
                d_model=TEXT_DIM,
                d_kv=8,
                d_ff=64,
                num_layers=2,
                num_heads=4,
                relative_attention_num_buckets=8,
                relative_attention_max_distance=32,
                feed_forward_proj="gated-gelu",
                pad_token_id=tok.pad_token_id,
                eos_token_id=tok.eos_token_id,
                decoder_start_token_id=tok.pad_token_id,
                tie_word_embeddings=False,
            )
        ).save_pretrained(repo / "text_encoder")
        torch.manual_seed(1)
        AutoencoderKLWan(
            base_dim=4,
            z_dim=LATENT_CHANNELS,
            dim_mult=[1, 1, 1, 1],
            num_res_blocks=1,
            temperal_downsample=[False, True, True],
        ).save_pretrained(repo / "vae")
        UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, num_train_timesteps=1000, flow_shift=3.0
        ).save_pretrained(repo / "scheduler")

    def transformer(folder: Path, seed: int, **kwargs) -> None:
        torch.manual_seed(seed)
        WanTransformer3DModel(
            patch_size=(1, 2, 2),
            num_attention_heads=HEADS,
            attention_head_dim=HEAD_DIM,
            out_channels=LATENT_CHANNELS,
            text_dim=TEXT_DIM,
            freq_dim=256,
            ffn_dim=32,
            num_layers=2,
            cross_attn_norm=True,
            qk_norm="rms_norm_across_heads",
            eps=1e-6,
            **kwargs,
        ).save_pretrained(folder)

    t2v, i2v = root / T2V_DIR, root / I2V_DIR
    for repo in (t2v, i2v):
        shared(repo)
    transformer(t2v / "transformer", 2, in_channels=LATENT_CHANNELS)
    transformer(
        i2v / "transformer", 3, in_channels=I2V_IN_CHANNELS, image_dim=IMAGE_DIM, added_kv_proj_dim=HEADS * HEAD_DIM
    )
    torch.manual_seed(4)
    CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=IMAGE_DIM,
            intermediate_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
            projection_dim=IMAGE_DIM,
        )
    ).save_pretrained(i2v / "image_encoder")
    # CLIP's preprocessing (shortest edge, centre crop, bicubic, CLIP mean/std), at the tiny encoder's 32 px.
    CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(
        i2v / "image_processor"
    )

    for repo, index in (
        (t2v, {"_class_name": "WanPipeline", **_INDEX}),
        (i2v, {"_class_name": "WanImageToVideoPipeline", **_INDEX, **_I2V_INDEX}),
    ):
        (repo / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
