"""Tiny components of the HunyuanVideo architecture, shared by the tiny SkyReels V1 and HunyuanVideo-I2V builders
(the callers seed torch before each, so each checkpoint's weights are its own)."""

from __future__ import annotations

LATENT_CHANNELS = 4
LLAMA_HIDDEN = 16
CLIP_HIDDEN = 8


def llama_config(tokenizer):
    """A 3-layer Llama text config for ``tokenizer``'s vocabulary and special tokens."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=LLAMA_HIDDEN,
        intermediate_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def clip_text_encoder(tokenizer):
    """The second text encoder: a 2-layer CLIP text model for ``tokenizer``."""
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=CLIP_HIDDEN,
            intermediate_size=16,
            projection_dim=CLIP_HIDDEN,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )


def vae():
    """HunyuanVideo's causal 3D VAE with the real compression (8x space, 4x time), 4 latent channels."""
    from diffusers import AutoencoderKLHunyuanVideo

    return AutoencoderKLHunyuanVideo(
        latent_channels=LATENT_CHANNELS,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        norm_num_groups=4,
        spatial_compression_ratio=8,
        temporal_compression_ratio=4,
    )


def transformer(in_channels: int = LATENT_CHANNELS, **extra):
    """A one-block-of-each HunyuanVideo transformer (double, single, refiner) taking ``in_channels``."""
    from diffusers import HunyuanVideoTransformer3DModel

    return HunyuanVideoTransformer3DModel(
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
        **extra,
    )
