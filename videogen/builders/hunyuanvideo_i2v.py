"""A tiny, random-weight HunyuanVideo-I2V checkpoint (16-channel token_replace model) in the hub repo's layout.

The layout is what ``HunyuanVideoImageToVideoPipeline.save_pretrained`` writes, which is how diffusers' converter
made ``hunyuanvideo-community/HunyuanVideo-I2V`` (scripts/convert_hunyuan_video_to_diffusers.py:343-353 at
v0.39.0)::

    model_index.json  transformer/ vae/ scheduler/ text_encoder/ tokenizer/ text_encoder_2/ tokenizer_2/
    image_processor/

Every component is the real class at a tiny size (fixed seeds, no network):

- ``text_encoder``: ``LlavaForConditionalGeneration``, a CLIP vision tower (32 px, patch 8: 16 image tokens, so
  the recipe's ``image_emb_len`` is 16 for this checkpoint; the real one has 336 px, patch 14: 576) and a
  3-layer Llama; ``tokenizer``: a Llama-3-style byte-level BPE trained on the prompt template with its special
  tokens and ``<image>``, so that the template's prefix is exactly crop_start=103 tokens with ``<image>`` at
  5, as the real tokenizer gives; ``image_processor``: ``CLIPImageProcessor`` as the real one (shortest edge,
  center crop, CLIP mean/std, bicubic) at 32 px.
- ``text_encoder_2``/``tokenizer_2``: CLIP text model and a CLIP BPE tokenizer.
- ``transformer``: ``HunyuanVideoTransformer3DModel`` with ``image_condition_type="token_replace"``, in = out =
  the VAE's latent channels, embedded guidance (the real: 16 channels, convert script :184-202; here 4).
- ``vae``: ``AutoencoderKLHunyuanVideo`` (8x spatial, 4x temporal, as the real one).
- ``scheduler``: ``FlowMatchEulerDiscreteScheduler(shift=7.0)``, the converter's default.

Tiny sizes follow diffusers' own fast test (tests/pipelines/hunyuan_video/test_hunyuan_image2video.py at v0.39.0),
with the real prompt template instead of the test's ``"{}"``.
"""

from __future__ import annotations

import os
from pathlib import Path

from videogen.builders import hunyuan_video
from videogen.tiny import ensure_built, tiny_root
from videogen.tokenizers import write_clip_tokenizer, write_llama_tokenizer

TINY_VERSION = 1
VISION_IMAGE_SIZE, VISION_PATCH = 32, 8
IMAGE_EMB_LEN = (VISION_IMAGE_SIZE // VISION_PATCH) ** 2  # the tiny config's image_emb_len (vision "default": no CLS)
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
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
    "red",
    "fox",
    "runs",
    "grass",
    "walks",
    "deformation",
    "poor",
    "composition",
    "bad",
    "teeth",
    "eyes",
    "limbs",
)


def default_root() -> Path:
    return tiny_root(f"tiny-hunyuanvideo-i2v-v{TINY_VERSION}")


def ensure_tiny(
    template: str, special_tokens: tuple[str, ...], image_token: str, root: str | os.PathLike | None = None
) -> tuple[Path, str]:
    """The tiny checkpoint's folder (built on first use) and its version label; its Llama tokenizer is trained
    on the official prompt ``template`` (with ``special_tokens`` and the ``image_token``), which the recipe owns."""
    return (
        ensure_built(
            root if root is not None else default_root(), lambda tmp: build(tmp, template, special_tokens, image_token)
        ),
        f"tiny-v{TINY_VERSION}",
    )


def build(root: Path, template: str, special_tokens: tuple[str, ...], image_token: str) -> None:
    """Write every component into ``root`` (empty or absent)."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoImageToVideoPipeline,
    )
    from transformers import (
        CLIPImageProcessor,
        CLIPVisionConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
    )

    root = Path(root)
    tokenizer = write_llama_tokenizer(root / "tokenizer", [template.replace("{}", "")], special_tokens)
    tokenizer_2 = write_clip_tokenizer(root / "tokenizer_2", CLIP_WORDS)

    torch.manual_seed(0)
    text_encoder = LlavaForConditionalGeneration(
        LlavaConfig(
            vision_config=CLIPVisionConfig(
                hidden_size=8,
                intermediate_size=16,
                projection_dim=8,
                num_hidden_layers=2,
                num_attention_heads=2,
                image_size=VISION_IMAGE_SIZE,
                patch_size=VISION_PATCH,
            ),
            text_config=hunyuan_video.llama_config(tokenizer),
            image_token_index=tokenizer.convert_tokens_to_ids(image_token),
            pad_token_id=tokenizer.pad_token_id,
            image_seq_length=IMAGE_EMB_LEN,
            projector_hidden_act="gelu",
            vision_feature_layer=-2,
            vision_feature_select_strategy="default",
        )
    )
    image_processor = CLIPImageProcessor(
        do_resize=True,
        size={"shortest_edge": VISION_IMAGE_SIZE},
        resample=3,
        do_center_crop=True,
        crop_size={"height": VISION_IMAGE_SIZE, "width": VISION_IMAGE_SIZE},
        do_rescale=True,
        do_normalize=True,
        image_mean=CLIP_MEAN,
        image_std=CLIP_STD,
        do_convert_rgb=True,
    )

    torch.manual_seed(1)
    text_encoder_2 = hunyuan_video.clip_text_encoder(tokenizer_2)

    torch.manual_seed(2)
    vae = hunyuan_video.vae()

    torch.manual_seed(3)
    transformer = hunyuan_video.transformer(image_condition_type="token_replace")

    HunyuanVideoImageToVideoPipeline(
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2,
        image_processor=image_processor,
    ).save_pretrained(root, safe_serialization=True)
