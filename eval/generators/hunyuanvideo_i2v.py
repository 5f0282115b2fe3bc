"""HunyuanVideo-I2V (the 16-channel ``token_replace`` model) through diffusers' ``HunyuanVideoImageToVideoPipeline``,
sampled with the official recipe.

Sources (read at these commits):

- Official code, github.com/Tencent-Hunyuan/HunyuanVideo-I2V @ 1481c1d5ae88e9905f54f2a3c6a1b68ef2a10528
  (the repository formerly at Tencent/HunyuanVideo-I2V; its code is unchanged since e44c1d9):
  ``README.md:231-249`` and ``scripts/run_sample_image2video_stability.sh`` (the "stable" command:
  ``--i2v-resolution 720p --i2v-stability --infer-steps 50 --video-length 129 --flow-reverse --flow-shift 7.0
  --embedded-cfg-scale 6.0``); ``hyvideo/config.py`` (``--cfg-scale`` 1.0 :479, ``--text-len`` 256 :231,
  ``--i2v-condition-type`` token_replace :527, ``--latent-channels`` 16 :155, ``vae_tiling`` on :208);
  ``hyvideo/constants.py:61-99`` (the ``dit-llm-encode-video-i2v`` template, crop_start 103, image tokens
  5..581, ``NEGATIVE_PROMPT_I2V`` :73); ``hyvideo/inference.py:805-861`` (the 720p bucket and the reference
  image transform), ``:265`` (image_embed_interleave 4 for token_replace), ``:787`` (no negative prompt at
  cfg 1); ``sample_image2video.py:61`` (videos saved at 24 fps).
- diffusers v0.39.0 (commit a3608b512ed7248499a44c61d954965ed9bdae4d, the pinned release), ``pipelines/hunyuan_video/
  pipeline_hunyuan_video_image2video.py``: ``DEFAULT_PROMPT_TEMPLATE`` (:84, the same template), the image-token
  expansion and crop (:329-402), the stability-mode start latents ``0.999 * noise + 0.001 * image`` (:593,
  always on: the official ``--i2v-stability``, ``pipeline_hunyuan_video.py:597-605``), embedded guidance x1000
  (:927); ``scripts/convert_hunyuan_video_to_diffusers.py`` (``HYVideo-T/2-I2V-16ch`` :184, scheduler
  ``shift=7.0`` :281/:340). The docstring's ``export_to_video(..., fps=15)`` (:79) is only an example; the
  official sampler saves 24 fps.

Where diffusers and the official sampler differ, the official one is followed:

- **Size**: the official sampler picks each video's size from the reference image's aspect (720p: bucket base
  960 in 32-pixel steps, ``bucket_size``), resizes its short side and center-crops to that bucket; diffusers
  only resizes to a given size. So ``height``/``width`` are None (per video) and ``load_image`` does the
  official transform. A 16:9 image gives 1248x704 (not 1280x720: 720 is no multiple of 32).
- **Reference image for the text encoder**: the official code gives the Llava the image as loaded
  (``semantic_images``, inference.py:814), diffusers the image it is called with; the prompt is therefore
  encoded here (``pipe.encode_prompt`` with the original image) and the pipeline gets the bucket-cropped one.
  With true CFG (not the recipe) the negative prompt is encoded here too, against a black image and with the
  same image-token interleave as the prompt (diffusers' own negative encoding, :902-914, leaves the interleave at
  encode_prompt's default 2; the official code uses the model's 4 for both).

One dtype for every component (``dtype``); the official sampler runs the transformer in bf16 and the VAE and
text encoders in fp16.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from eval.generators.diffusers_model import DiffusersVideoModel
from videogen.device import SettingsError
from videogen.settings import VideoSettings
from videogen.weights import Repo

HUB_ID = "hunyuanvideo-community/HunyuanVideo-I2V"

# hyvideo/constants.py:61-71 PROMPT_TEMPLATE_ENCODE_VIDEO_I2V (= diffusers' DEFAULT_PROMPT_TEMPLATE["template"]).
TEMPLATE = (
    "<|start_header_id|>system<|end_header_id|>\n\n<image>\nDescribe the video by detailing the following aspects "
    "according to the reference image: "
    "1. The main content and theme of the video."
    "2. The color, shape, size, texture, quantity, text, and spatial relationships of the objects."
    "3. Actions, events, behaviors temporal relationships, physical movement changes of the objects."
    "4. background environment, light, style and atmosphere."
    "5. camera angles, movements, and transitions used in the video:<|eot_id|>\n\n"
    "<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)
TEMPLATE_SPECIAL_TOKENS = ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<image>")
IMAGE_TOKEN = "<image>"
CROP_START = 103  # Llama tokens (with BOS, <image> as one token) before the user prompt
IMAGE_EMB_START = 5  # where <image> sits: <|begin_of_text|> <|start_header_id|> system <|end_header_id|> \n\n
IMAGE_EMB_LEN = 576  # CLIP ViT-L/14 at 336 px: 24 x 24 patch tokens (CLS dropped)
# diffusers' crop drops the 4 tokens before the assistant's "\n\n": <|eot_id|> <|start_header_id|> assistant
# <|end_header_id|> (pipeline_hunyuan_video_image2video.py:372-375), so the suffix must be exactly these 5 tokens.
SUFFIX_TOKENS = 5
# token_replace: every 4th image token goes to the transformer (inference.py:265; diffusers :836).
IMAGE_EMBED_INTERLEAVE = 4

# --i2v-resolution -> bucket_hw_base_size (inference.py:805-812); buckets step by 32 px (:817) and have sides at
# most 4x apart (data_utils.py:64).
RESOLUTIONS = {"720p": 960, "540p": 720, "360p": 480}
BUCKET_STEP = 32
BUCKET_MAX_RATIO = 4.0

NEGATIVE_PROMPT_I2V = "deformation, a poor composition and deformed video, bad teeth, bad eyes, bad limbs"


def prompt_template(image_emb_len: int = IMAGE_EMB_LEN) -> dict:
    """The template dict diffusers takes, for a Llava whose vision tower gives ``image_emb_len`` image tokens
    (576 for the real one; the tiny checkpoint's is smaller). Every other number is the official template's."""
    return {
        "template": TEMPLATE,
        "crop_start": CROP_START,
        "image_emb_start": IMAGE_EMB_START,
        "image_emb_end": IMAGE_EMB_START + image_emb_len,
        "image_emb_len": image_emb_len,
    }


def buckets(base: int) -> list[tuple[int, int]]:
    """The official bucket list for ``base`` as (height, width): every (h, w) on the 32-px grid whose area in
    grid cells is maximal for its shape (at most (base/32)^2 cells) and whose sides differ by at most 4x, in
    the order ``generate_crop_size_list`` (data_utils.py:64) walks them: heights descending."""
    cells = round((base / BUCKET_STEP) ** 2)
    out, a, b = [], cells, 1
    while a > 0:
        if max(a, b) / min(a, b) <= BUCKET_MAX_RATIO:
            out.append((a * BUCKET_STEP, b * BUCKET_STEP))
        if (b + 1) * a <= cells:
            b += 1
        else:
            a -= 1
    return out


def bucket_size(image_width: int, image_height: int, base: int = RESOLUTIONS["720p"]) -> tuple[int, int]:
    """(width, height) of the video for a reference image of that size, as ``get_closest_ratio`` picks it
    (data_utils.py:37) from the buckets of ``base``: among buckets whose h/w (rounded to 5 places) is <= the
    image's for a portrait or square image, or > it for a landscape one, the closest; the first on a tie."""
    sizes = buckets(base)
    aspect = image_height / image_width
    diffs = [round(h / w, 5) - aspect for h, w in sizes]
    allowed = [i for i, d in enumerate(diffs) if (d <= 0 if aspect >= 1 else d > 0)]
    if not allowed:
        raise SettingsError(
            f"a {image_width}x{image_height} image is beyond the buckets' aspect range "
            f"(1:{BUCKET_MAX_RATIO:g} to {BUCKET_MAX_RATIO:g}:1); crop it first"
        )
    h, w = sizes[min(allowed, key=lambda i: abs(diffs[i]))]
    return w, h


@dataclass(frozen=True)
class HunyuanVideoI2VSettings(VideoSettings):
    """The official "stable" I2V recipe (module docstring); every field changes pixels."""

    height: int | None = None  # None: per image, from the bucket (official); both set: a fixed size instead
    width: int | None = None
    resolution: str = "720p"  # --i2v-resolution: 720p, 540p or 360p (bucket base 960, 720, 480 px)
    bucket_base: int | None = None  # a bucket base side in px instead of the resolution's (small test runs)
    num_frames: int = 129  # --video-length 129
    fps: int = 24  # sample_image2video.py saves fps=24
    num_inference_steps: int = 50  # --infer-steps 50
    guidance_scale: float = 6.0  # --embedded-cfg-scale 6.0 (the transformer's guidance embedding)
    true_cfg_scale: float = 1.0  # --cfg-scale 1.0: no true CFG
    negative_prompt: str = NEGATIVE_PROMPT_I2V  # the official default, used only with true_cfg_scale > 1
    flow_shift: float = 7.0  # --flow-shift 7.0 with --i2v-stability
    max_sequence_length: int = 256  # --text-len 256 (prompt tokens after the template crop)
    image_emb_len: int = IMAGE_EMB_LEN  # the Llava's image tokens (576 real; the tiny checkpoint's fewer)
    vae_tiling: bool = True  # vae_tiling on by default (config.py:208)

    size_from_image = True

    def problems(self) -> list[str]:
        problems = super().problems()
        if (self.height is None) != (self.width is None):
            problems.append("set both height and width (a fixed size) or neither (the official per-image bucket)")
        if self.resolution not in RESOLUTIONS:
            problems.append(
                f"resolution={self.resolution!r} must be one of {', '.join(RESOLUTIONS)} (the official bucket families)"
            )
        b = self.bucket_base
        if b is not None and (isinstance(b, bool) or not isinstance(b, int) or b <= 0 or b % BUCKET_STEP):
            problems.append(
                f"bucket_base={b!r} must be null (the resolution's) or a positive multiple of {BUCKET_STEP} px"
            )
        if self.true_cfg_scale < 1:
            problems.append(f"true_cfg_scale={self.true_cfg_scale} must be >= 1 (1 = off, the official recipe)")
        if self.true_cfg_scale > 1 and not self.negative_prompt:
            problems.append(
                "true_cfg_scale > 1 needs a negative_prompt: without one diffusers silently turns CFG "
                "off; set negative_prompt or true_cfg_scale=1"
            )
        if self.flow_shift <= 0:
            problems.append(f"flow_shift={self.flow_shift} must be positive (7.0 is the official stable mode)")
        if self.max_sequence_length < 1:
            problems.append(f"max_sequence_length={self.max_sequence_length} must be >= 1")
        if self.image_emb_len < 1:
            problems.append(f"image_emb_len={self.image_emb_len} must be >= 1 (576 for the real text encoder)")
        return problems

    @property
    def base(self) -> int:
        """The bucket base side in px: ``bucket_base`` if set, else the official one for ``resolution``."""
        return self.bucket_base or RESOLUTIONS[self.resolution]

    @property
    def prompt_template(self) -> dict:
        return prompt_template(self.image_emb_len)


class TemplateMismatchError(SettingsError):
    """The tokenizer or the Llava do not give the template's token counts, so the crop would be silently wrong."""


PROBE_PROMPT = "A red fox runs across a snowy field at dawn, camera panning left."


def check_template(tokenizer, text_encoder, image_processor, template: dict, prompt: str = PROBE_PROMPT) -> None:
    """Refuse a text encoder whose tokens do not line up with ``template`` (diffusers crops by fixed positions).

    - the prefix before the prompt is exactly ``crop_start`` tokens, and the prompt's own tokens follow it;
    - ``<image>`` appears once, at ``image_emb_start``, and is the Llava's ``image_token_index``;
    - the suffix is exactly <|eot_id|> <|start_header_id|> assistant <|end_header_id|> "\\n\\n";
    - the vision tower gives ``image_emb_len`` tokens for the image processor's crop;
    - the tokenizer pads with the Llava's ``pad_token_id`` (diffusers masks the expanded sequence by it).
    """
    crop_start, start, length = template["crop_start"], template["image_emb_start"], template["image_emb_len"]
    problems = []
    text = template["template"]
    prefix, suffix = text.split("{}", 1)
    full = tokenizer(text.format(prompt)).input_ids
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    suffix_ids = tokenizer(suffix, add_special_tokens=False).input_ids
    n_prefix = len(tokenizer(prefix).input_ids)
    if n_prefix != crop_start or full[crop_start:] != prompt_ids + suffix_ids:
        problems.append(
            f"the template's prefix is {n_prefix} tokens, not crop_start={crop_start} (first kept tokens "
            f"{tokenizer.convert_ids_to_tokens(full[crop_start : crop_start + 6])}): prompts would be "
            "mis-cropped; use transformers<5 (pinned in pyproject.toml) and the checkpoint's own tokenizer"
        )
    if len(suffix_ids) != SUFFIX_TOKENS or tokenizer.convert_ids_to_tokens(suffix_ids[-2:-1]) != ["<|end_header_id|>"]:
        problems.append(
            f"the template's suffix is {tokenizer.convert_ids_to_tokens(suffix_ids)}, not the "
            f"{SUFFIX_TOKENS} tokens diffusers' assistant crop removes"
        )
    image_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
    positions = [i for i, t in enumerate(full) if t == image_id]
    config = text_encoder.config
    if positions != [start] or image_id != config.image_token_index:
        problems.append(
            f"{IMAGE_TOKEN} is at token(s) {positions} with id {image_id}; the template puts it at "
            f"image_emb_start={start} and the Llava reads id {config.image_token_index}"
        )
    vision = config.vision_config
    patches = (vision.image_size // vision.patch_size) ** 2
    tokens = patches + (1 if config.vision_feature_select_strategy == "full" else 0)
    crop = image_processor.crop_size
    crop = (crop["height"], crop["width"]) if isinstance(crop, dict) else (crop, crop)
    if tokens != length:
        problems.append(
            f"the Llava's vision tower gives {tokens} image tokens ({vision.image_size} px / patch "
            f"{vision.patch_size}), but image_emb_len={length}; set generator.image_emb_len={tokens} "
            "(576 for the real HunyuanVideo-I2V text encoder)"
        )
    if crop != (vision.image_size, vision.image_size):
        problems.append(
            f"the image processor crops {crop[1]}x{crop[0]} but the vision tower takes {vision.image_size} px"
        )
    if tokenizer.pad_token_id != config.pad_token_id:
        problems.append(
            f"the tokenizer pads with id {tokenizer.pad_token_id} but the Llava's pad_token_id is "
            f"{config.pad_token_id}: padding would be attended to"
        )
    if problems:
        raise TemplateMismatchError(
            "HunyuanVideo-I2V text encoder does not match its prompt template: " + "; ".join(problems)
        )


class ConditioningImage:
    """The reference image as loaded (for the Llava, as the official code gives it) and its video frame."""

    def __init__(self, original, frame):
        self.original, self.frame = original, frame


def official_frame(image, width: int, height: int):
    """The official reference transform (inference.py:844-851): resize the short side to min(height, width)
    (torchvision ``Resize``, bilinear), then center-crop to height x width (torchvision ``CenterCrop``)."""
    from torchvision import transforms

    return transforms.CenterCrop((height, width))(transforms.Resize(min(height, width))(image))


class HunyuanVideoI2V(DiffusersVideoModel):
    Settings = HunyuanVideoI2VSettings
    tasks = ("i2v",)
    pipeline_class = "HunyuanVideoImageToVideoPipeline"
    hub_id = HUB_ID
    repo = Repo(
        what="HunyuanVideo-I2V pipeline",
        setting="generator.weights",
        required=(
            "model_index.json",
            "transformer/config.json",
            "vae/config.json",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json",
            "tokenizer/tokenizer_config.json",
            "text_encoder_2/config.json",
            "tokenizer_2/tokenizer_config.json",
            "image_processor/preprocessor_config.json",
        ),
    )
    title = "HunyuanVideo-I2V"
    baseline = "HunyuanVideo-I2V"  # reports/baselines/vbench_i2v.csv
    tiny_builder: ClassVar[str] = "eval.generators.hunyuanvideo_i2v:tiny"

    def configure(self, pipe) -> None:
        from diffusers import FlowMatchEulerDiscreteScheduler

        s = self.s
        tfm, latent = pipe.transformer.config, pipe.vae.config.latent_channels
        if tfm.image_condition_type != "token_replace" or tfm.in_channels != latent or not tfm.guidance_embeds:
            raise SettingsError(
                f"{self.weights.source}: transformer has image_condition_type={tfm.image_condition_type!r}, "
                f"in_channels={tfm.in_channels}, guidance_embeds={tfm.guidance_embeds}; this recipe is the "
                f"{latent}-channel token_replace model with embedded guidance ({HUB_ID}), not the 33-channel "
                "latent_concat one (HunyuanVideo-I2V-33ch, another recipe)"
            )
        check_template(pipe.tokenizer, pipe.text_encoder, pipe.image_processor, s.prompt_template)
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(pipe.scheduler.config, shift=s.flow_shift)
        if s.vae_tiling:
            pipe.vae.enable_tiling()

    def load_image(self, path: str) -> ConditioningImage:
        """The image as loaded (RGB) and its frame at the bucket's size (or the fixed size, if one is set)."""
        from PIL import Image

        from videogen.image import load_conditioning_image

        with Image.open(path) as img:
            original = img.convert("RGB")
        s = self.s
        if s.width is not None:
            return ConditioningImage(original, load_conditioning_image(path, s.width, s.height))
        width, height = bucket_size(*original.size, s.base)
        return ConditioningImage(original, official_frame(original, width, height))

    def call_settings(self, image: ConditioningImage) -> dict:
        """The pipeline call's arguments besides the prompt embeddings: the video's frame, size and recipe."""
        s = self.s
        width, height = image.frame.size
        return dict(
            image=image.frame,
            height=height,
            width=width,
            num_frames=s.num_frames,
            num_inference_steps=s.num_inference_steps,
            guidance_scale=s.guidance_scale,
            true_cfg_scale=s.true_cfg_scale,
            prompt_template=s.prompt_template,
            max_sequence_length=s.max_sequence_length,
            image_embed_interleave=IMAGE_EMBED_INTERLEAVE,
        )

    def encode(self, image, prompt: str):
        """(embeddings, pooled embeddings, attention mask) of ``prompt`` with ``image`` through the Llava."""
        import torch

        s, pipe = self.s, self.pipe
        with torch.inference_mode():
            return pipe.encode_prompt(
                image=image,
                prompt=prompt,
                prompt_template=s.prompt_template,
                device=pipe._execution_device,
                max_sequence_length=s.max_sequence_length,
                image_embed_interleave=IMAGE_EMBED_INTERLEAVE,
            )

    def call_kwargs(self, prompt: str, image: ConditioningImage) -> dict:
        embeds, pooled, mask = self.encode(image.original, prompt)
        kwargs = dict(
            **self.call_settings(image), prompt_embeds=embeds, pooled_prompt_embeds=pooled, prompt_attention_mask=mask
        )
        if self.s.true_cfg_scale > 1:  # the official unconditional input: a black image of the reference's size
            from PIL import Image

            neg, neg_pooled, neg_mask = self.encode(Image.new("RGB", image.original.size), self.s.negative_prompt)
            kwargs.update(
                negative_prompt_embeds=neg,
                negative_pooled_prompt_embeds=neg_pooled,
                negative_prompt_attention_mask=neg_mask,
            )
        return kwargs


__all__ = [
    "HunyuanVideoI2V",
    "HunyuanVideoI2VSettings",
    "bucket_size",
    "buckets",
    "check_template",
    "prompt_template",
    "TemplateMismatchError",
]


def tiny():
    """The tiny checkpoint, its tokenizer trained on the official template."""
    from videogen.builders.hunyuanvideo_i2v import ensure_tiny

    return ensure_tiny(TEMPLATE, TEMPLATE_SPECIAL_TOKENS, IMAGE_TOKEN)
