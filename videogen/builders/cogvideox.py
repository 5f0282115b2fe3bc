"""Build a tiny, random-weight CogVideoX-5b-I2V checkpoint with the real hub repo's on-disk layout, offline.

Layout (``THUDM/CogVideoX-5b-I2V``: its ``model_index.json`` names these classes, diffusers 0.31.0.dev0)::

    <root>/model_index.json                 CogVideoXImageToVideoPipeline
    <root>/scheduler/scheduler_config.json  CogVideoXDDIMScheduler (the repo's; the recipe swaps in the DPM one)
    <root>/text_encoder/                    T5EncoderModel (T5 v1.1: gated-gelu)
    <root>/tokenizer/                       T5Tokenizer: spiece.model, added_tokens.json (100 extra ids),
                                            special_tokens_map.json, tokenizer_config.json (no tokenizer.json)
    <root>/transformer/                     CogVideoXTransformer3DModel, I2V: in_channels twice the latent's,
                                            RoPE + learned positional embeddings, 226 text positions
    <root>/vae/                             AutoencoderKLCogVideoX (8x spatial, 4x temporal)

The component configs are the real ones' shape at a tiny width: the transformer and scheduler follow
``scripts/convert_cogvideox_to_diffusers.py`` at diffusers v0.39.0 (``get_transformer_init_kwargs("1.0")``:
patch 2, no temporal patch, sample 60x90 latents x 49 frames; ``use_learned_positional_embeddings=i2v``; the
``CogVideoXDDIMScheduler`` config; 5B: ``snr_shift_scale=1.0``, VAE ``scaling_factor=0.7``;
``T5Tokenizer(model_max_length=226)``); the tiny sizes follow diffusers v0.39.0
``tests/pipelines/cogvideo/test_cogvideox_image2video.py`` (``get_dummy_components``). The transformer's
sample size is the tiny video's (96x64, 9 frames: the real 3:2 aspect, so VBench-I2V's ``3-2`` crops fit), so the
same learned-positional-embedding checks run on it as on the real weights. The build is deterministic (fixed
seeds, single-threaded tokenizer training, no network) and loaded by the same code as the real weights.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from videogen.tiny import ensure_built, tiny_root
from videogen.tokenizers import write_t5_tokenizer

TINY_VERSION = 1
LABEL = f"tiny-v{TINY_VERSION}"

# The tiny video: 96x64 pixels (3:2 like 720x480), 9 frames -> 12x8 latents x 3 latent frames.
WIDTH, HEIGHT, FRAMES = 96, 64, 9
VAE_SPATIAL = 8  # 2 ** (len(block_out_channels) - 1), as the pipeline computes it
VAE_TEMPORAL = 4
LATENT_CHANNELS = 4
T5_DIM = 32
MAX_TEXT_SEQ_LENGTH = 226  # as the real transformer's max_text_seq_length and the tokenizer's model_max_length
T5_EXTRA_IDS = 100  # T5's <extra_id_0..99>, as in the real tokenizer's added_tokens.json

# The components' configs (torch-free, so that preflight can check settings against them before any build).
VAE = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("CogVideoXDownBlock3D",) * 4,
    up_block_types=("CogVideoXUpBlock3D",) * 4,
    block_out_channels=(8, 8, 8, 8),
    latent_channels=LATENT_CHANNELS,
    layers_per_block=1,
    norm_num_groups=2,
    temporal_compression_ratio=VAE_TEMPORAL,
    scaling_factor=0.7,
    # sample_height/width stay the real 480x720: they size the VAE's tiles (half of them), so tiling is on as in
    # the official recipe but a 96x64 video fits one tile (smaller tiles would not cover it exactly).
)
TRANSFORMER = dict(
    num_attention_heads=2,
    attention_head_dim=16,  # RoPE needs head_dim % 16 == 0
    in_channels=2 * LATENT_CHANNELS,
    out_channels=LATENT_CHANNELS,
    time_embed_dim=16,
    text_embed_dim=T5_DIM,
    num_layers=2,
    sample_width=WIDTH // VAE_SPATIAL,
    sample_height=HEIGHT // VAE_SPATIAL,
    sample_frames=FRAMES,
    patch_size=2,
    patch_size_t=None,
    patch_bias=True,
    temporal_compression_ratio=VAE_TEMPORAL,
    max_text_seq_length=MAX_TEXT_SEQ_LENGTH,
    use_rotary_positional_embeddings=True,
    use_learned_positional_embeddings=True,
)

# The real repo's scheduler folder (convert_cogvideox_to_diffusers.py at v0.39.0, lines 313-326; 5B: 1.0).
SCHEDULER_CONFIG = {
    "snr_shift_scale": 1.0,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "rescale_betas_zero_snr": True,
    "set_alpha_to_one": True,
    "timestep_spacing": "trailing",
}

MODEL_INDEX = {
    "_class_name": "CogVideoXImageToVideoPipeline",
    "_diffusers_version": "0.31.0.dev0",
    "scheduler": ["diffusers", "CogVideoXDDIMScheduler"],
    "text_encoder": ["transformers", "T5EncoderModel"],
    "tokenizer": ["transformers", "T5Tokenizer"],
    "transformer": ["diffusers", "CogVideoXTransformer3DModel"],
    "vae": ["diffusers", "AutoencoderKLCogVideoX"],
}

# What the tiny T5's SentencePiece vocabulary is trained on: prompts like the suites' own.
CORPUS = [
    "The sun sets slowly over a calm sea, the sky glowing orange",
    "A red ball rolls across a grey floor",
    "The camera pans right across a black and white checkerboard",
    "A cat walks on the grass while the camera zooms in",
    "A person is riding a bike down a city street at night",
    "Waves crash against the rocks, the camera pans left, static shot, tilt up, tilt down, zoom out",
    "a dog runs in the park with a blue kite in the wind",
]


def default_root() -> Path:
    return tiny_root(f"tiny-cogvideox-i2v-v{TINY_VERSION}")


def ensure_tiny_cogvideox_i2v(root: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The tiny checkpoint's folder (built once, atomically) and its version label."""
    return ensure_built(root if root is not None else default_root(), build_tiny_cogvideox_i2v), LABEL


def build_tiny_cogvideox_i2v(root: Path) -> None:
    """Write every component of the tiny checkpoint into ``root`` (empty or absent)."""
    import torch
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXTransformer3DModel
    from transformers import T5Config, T5EncoderModel, T5Tokenizer

    root = Path(root)
    with tempfile.TemporaryDirectory() as tmp:
        # The SentencePiece model is trained by the shared helper; the real repo ships the slow T5Tokenizer's
        # files (no tokenizer.json), so that is what is saved. legacy=True is what an unset `legacy` means.
        write_t5_tokenizer(Path(tmp), CORPUS, vocab_size=256, extra_ids=T5_EXTRA_IDS)
        spiece = Path(tmp) / "spiece.model"
        tokenizer = T5Tokenizer(
            vocab_file=str(spiece), extra_ids=T5_EXTRA_IDS, model_max_length=MAX_TEXT_SEQ_LENGTH, legacy=True
        )
        _check_against_sentencepiece(tokenizer, spiece)
    tokenizer.save_pretrained(root / "tokenizer")

    torch.manual_seed(0)
    T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer),
            d_model=T5_DIM,
            d_kv=16,
            d_ff=64,
            num_layers=2,
            num_heads=2,
            relative_attention_num_buckets=8,
            relative_attention_max_distance=32,
            feed_forward_proj="gated-gelu",
            dropout_rate=0.0,
            tie_word_embeddings=False,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            decoder_start_token_id=tokenizer.pad_token_id,
        )
    ).save_pretrained(root / "text_encoder")

    torch.manual_seed(1)
    AutoencoderKLCogVideoX(**VAE).save_pretrained(root / "vae")

    torch.manual_seed(2)
    transformer = CogVideoXTransformer3DModel(**TRANSFORMER)
    with torch.no_grad():  # learned, not the sinusoidal table they are initialised with
        embedding = transformer.patch_embed.pos_embedding
        embedding.add_(0.1 * torch.randn(embedding.shape, generator=torch.Generator().manual_seed(3)))
    transformer.save_pretrained(root / "transformer")

    CogVideoXDDIMScheduler.from_config(SCHEDULER_CONFIG).save_pretrained(root / "scheduler")
    (root / "model_index.json").write_text(json.dumps(MODEL_INDEX, indent=2) + "\n")


def _check_against_sentencepiece(tokenizer, spiece: Path) -> None:
    """The saved tokenizer must tokenize as SentencePiece itself does (plus T5's closing ``</s>``)."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(spiece))
    for text in CORPUS:
        if tokenizer(text).input_ids != sp.encode(text) + [tokenizer.eos_token_id]:
            raise RuntimeError(f"the tiny T5 tokenizer does not tokenize {text!r} as its SentencePiece model does")
