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
import shutil
import tempfile
from pathlib import Path

from .cache import cache_dir
from .recipe import PROMPT_TEMPLATE, TEMPLATE_SPECIAL_TOKENS

TINY_VERSION = 1
BASE_DIR = "HunyuanVideo"
TRANSFORMER_DIRS = {"t2v": "SkyReels-V1-Hunyuan-T2V", "i2v": "SkyReels-V1-Hunyuan-I2V"}

LATENT_CHANNELS = 4
LLAMA_HIDDEN = 16
CLIP_HIDDEN = 8
# Words for the tiny CLIP vocabulary's merges, so that CLIP BPE merging is exercised too.
CLIP_WORDS = (
    "a", "the", "cat", "dog", "on", "in", "of", "and", "video", "camera", "moving", "red", "blue",
    "aerial", "view", "overexposed", "low", "quality", "deformation", "poor", "composition", "bad", "hands",
    "teeth", "eyes", "limbs", "distortion", "fps", "24",
)

_COMPLETE = ".complete"


def default_root() -> Path:
    return cache_dir() / f"tiny-skyreels-v1-v{TINY_VERSION}"


def ensure_tiny_checkpoint(root: str | os.PathLike | None = None) -> Path:
    """Build the tiny checkpoint under ``root`` unless a complete build is already there."""
    root = Path(root) if root is not None else default_root()
    if (root / _COMPLETE).exists():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=root.parent))
    try:
        build_tiny_checkpoint(tmp)
        (tmp / _COMPLETE).write_text("ok\n")
        try:
            tmp.rename(root)
        except OSError:  # another process finished first: keep its build
            if not (root / _COMPLETE).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


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
    llama_tok = _write_llama_tokenizer(base / "tokenizer")
    clip_tok = _write_clip_tokenizer(base / "tokenizer_2")

    torch.manual_seed(0)
    LlamaModel(LlamaConfig(
        vocab_size=len(llama_tok), hidden_size=LLAMA_HIDDEN, intermediate_size=32,
        num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=2, head_dim=8,
        max_position_embeddings=512, bos_token_id=llama_tok.bos_token_id,
        eos_token_id=llama_tok.eos_token_id, pad_token_id=llama_tok.pad_token_id,
    )).save_pretrained(base / "text_encoder")

    torch.manual_seed(1)
    CLIPTextModel(CLIPTextConfig(
        vocab_size=len(clip_tok), hidden_size=CLIP_HIDDEN, intermediate_size=16,
        projection_dim=CLIP_HIDDEN, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=77, bos_token_id=clip_tok.bos_token_id,
        eos_token_id=clip_tok.eos_token_id, pad_token_id=clip_tok.pad_token_id,
    )).save_pretrained(base / "text_encoder_2")

    torch.manual_seed(2)
    AutoencoderKLHunyuanVideo(
        latent_channels=LATENT_CHANNELS, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        norm_num_groups=4, spatial_compression_ratio=8, temporal_compression_ratio=4,
    ).save_pretrained(base / "vae")

    FlowMatchEulerDiscreteScheduler(shift=7.0).save_pretrained(base / "scheduler")

    # The base repo ships HunyuanVideo's own transformer; SkyReels replaces it at load time.
    for seed, (folder, in_channels) in enumerate((
        (base / "transformer", LATENT_CHANNELS),
        (root / TRANSFORMER_DIRS["t2v"], LATENT_CHANNELS),
        (root / TRANSFORMER_DIRS["i2v"], 2 * LATENT_CHANNELS),
    ), start=3):
        torch.manual_seed(seed)
        HunyuanVideoTransformer3DModel(
            in_channels=in_channels, out_channels=LATENT_CHANNELS, num_attention_heads=2,
            attention_head_dim=12, num_layers=1, num_single_layers=1, num_refiner_layers=1,
            patch_size=2, patch_size_t=1, guidance_embeds=True, text_embed_dim=LLAMA_HIDDEN,
            pooled_projection_dim=CLIP_HIDDEN, rope_axes_dim=(4, 4, 4),
        ).save_pretrained(folder)

    (base / "model_index.json").write_text(json.dumps({
        "_class_name": "HunyuanVideoPipeline",
        "_diffusers_version": "0.32.0.dev0",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "text_encoder": ["transformers", "LlamaModel"],
        "text_encoder_2": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "LlamaTokenizerFast"],
        "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "transformer": ["diffusers", "HunyuanVideoTransformer3DModel"],
        "vae": ["diffusers", "AutoencoderKLHunyuanVideo"],
    }, indent=2) + "\n")


# Llama 3's pre-tokenizer split pattern (byte-level BPE, as in the real HunyuanVideo tokenizer).
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _write_llama_tokenizer(folder: Path):
    """A byte-level BPE trained on the prompt template, so the template tokenizes to exactly its crop_start."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaTokenizerFast

    bos, eos = "<|begin_of_text|>", "<|end_of_text|>"
    specials = [bos, eos, *TEMPLATE_SPECIAL_TOKENS]
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_LLAMA3_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    corpus = [PROMPT_TEMPLATE["template"].replace("{}", "")]
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=2048, min_frequency=1, special_tokens=specials, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    ))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))],
    )
    fast = LlamaTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token=eos,
        add_bos_token=True, add_eos_token=False, padding_side="right", legacy=False,
        model_max_length=4096,
    )
    fast.save_pretrained(folder)
    return fast


def _write_clip_tokenizer(folder: Path):
    """A real CLIPTokenizer from a locally written byte-level vocab.json and merges.txt."""
    from transformers import CLIPTokenizer
    from transformers.models.clip.tokenization_clip import bytes_to_unicode

    alphabet = list(bytes_to_unicode().values())
    vocab = alphabet + [c + "</w>" for c in alphabet]
    merges: list[str] = []
    for word in CLIP_WORDS:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            merge = f"{pieces[0]} {pieces[1]}"
            if merge not in merges:
                merges.append(merge)
                vocab.append(pieces[0] + pieces[1])
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
    vocab_file.write_text(json.dumps({t: i for i, t in enumerate(dict.fromkeys(vocab))}, ensure_ascii=False))
    merges_file.write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    clip = CLIPTokenizer(str(vocab_file), str(merges_file), pad_token="<|endoftext|>")
    clip.save_pretrained(folder)
    return clip
