"""HunyuanVideo-I2V: the official recipe, its per-image bucket, the template guard, and the tiny checkpoint loaded
through the registry and the real loading code."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from eval.generators import generator_class, load_generator
from eval.generators.hunyuanvideo_i2v import (
    HUB_ID,
    NEGATIVE_PROMPT_I2V,
    HunyuanVideoI2V,
    HunyuanVideoI2VSettings,
    TemplateMismatchError,
    bucket_size,
    buckets,
    check_template,
    prompt_template,
)
from videogen.mp4 import probe_mp4, read_frames

REPO = Path(__file__).resolve().parents[1]
PROMPT = "A cat walks on the grass"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def generator_config(name: str = "hunyuanvideo_i2v_tiny", **overrides) -> dict:
    from harness import compose
    from omegaconf import OmegaConf

    config = OmegaConf.to_container(compose("+suite=smoke", f"generator={name}").generator, resolve=True)
    small = {"bucket_base": 96} if name.endswith("_tiny") else {}  # smaller than the tiny config's 192, for speed
    return {**config, "device": "cpu", **small, **overrides}


@pytest.fixture(scope="module")
def tiny(skyreels_cache) -> Path:
    from eval.generators.hunyuanvideo_i2v import tiny as ensure_tiny

    return ensure_tiny()[0]


@pytest.fixture(scope="module")
def gen(tiny):
    return load_generator(generator_config(), "i2v")


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hy-images")
    out = {}
    for name, (w, h) in {"wide": (200, 100), "tall": (100, 200)}.items():
        arr = np.zeros((h, w, 3), np.uint8)
        arr[:, :, 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
        arr[:, :, 1] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
        Image.fromarray(arr).save(folder / f"{name}.png")
        out[name] = folder / f"{name}.png"
    return out


def make(gen, image: Path, out: Path, seed: int = 1):
    from eval.generators.base import check_facts

    facts = gen.generate(SimpleNamespace(prompt=PROMPT, image=str(image)), SimpleNamespace(seed=seed), out)
    return check_facts(facts, out, gen.expected_video(gen.config))


# -- the recipe, torch-free -------------------------------------------------------------------------------------
def test_recipe_defaults_are_the_official_stable_recipe():
    s = HunyuanVideoI2VSettings()
    assert (s.resolution, s.bucket_base, s.base, s.height, s.width) == ("720p", None, 960, None, None)
    assert (s.num_frames, s.fps, s.num_inference_steps) == (129, 24, 50)
    assert (s.guidance_scale, s.true_cfg_scale, s.flow_shift, s.max_sequence_length) == (6.0, 1.0, 7.0, 256)
    assert s.negative_prompt == NEGATIVE_PROMPT_I2V and s.image_emb_len == 576 and s.vae_tiling and s.dtype == "auto"
    # The yaml users read is the same recipe, field by field.
    config = generator_config("hunyuanvideo_i2v")
    assert config["weights"] == HUB_ID == "hunyuanvideo-community/HunyuanVideo-I2V" and config["revision"] is None
    assert HunyuanVideoI2V.settings(config) == HunyuanVideoI2VSettings(attention_backend="native")
    assert set(HunyuanVideoI2VSettings.__dataclass_fields__) <= set(config)


def test_template_is_the_official_and_diffusers_template():
    from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video_image2video import DEFAULT_PROMPT_TEMPLATE

    assert prompt_template() == DEFAULT_PROMPT_TEMPLATE  # crop_start 103, image tokens 5..581, 576 of them
    assert prompt_template(16) == {**DEFAULT_PROMPT_TEMPLATE, "image_emb_end": 21, "image_emb_len": 16}


def test_720p_buckets_follow_the_image_aspect():
    sizes = buckets(960)
    assert len(sizes) == 91 and all(h % 32 == 0 and w % 32 == 0 and h * w <= 960 * 960 for h, w in sizes)
    assert bucket_size(1920, 1080) == (1248, 704)  # 16:9 -> 1248x704, not 1280x720
    assert bucket_size(1080, 1920) == (704, 1248)
    assert bucket_size(1024, 1024) == (960, 960)
    assert bucket_size(1600, 1000) == (1184, 768)
    assert bucket_size(1920, 1080, 720) == (928, 544) and bucket_size(1920, 1080, 480) == (608, 352)
    assert bucket_size(200, 100, 96) == (96, 64) and bucket_size(480, 272, 192) == (224, 128)  # tiny bases


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"num_frames": 128}, r"num_frames=128 must be 4k\+1.*try 125 or 129"),
        ({"height": 704}, "set both height and width"),
        ({"height": 100, "width": 96}, "height=100 must be a positive multiple of 16; try 96"),
        ({"resolution": "1080p"}, "resolution='1080p' must be one of 720p, 540p, 360p"),
        ({"bucket_base": 100}, "bucket_base=100 must be null .* or a positive multiple of 32"),
        ({"resolution": 720}, "resolution=720 must be one of"),
        ({"true_cfg_scale": 4.0, "negative_prompt": ""}, "needs a negative_prompt"),
        ({"flow_shift": 0.0}, "flow_shift=0.0 must be positive"),
        ({"fps": 0}, "fps=0 must be positive"),
        ({"num_inference_steps": 0}, "num_inference_steps=0"),
        ({"guidance": 6}, "unknown generator setting"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(overrides, message):
    with pytest.raises(ValueError, match=message):
        HunyuanVideoI2V.resolve(generator_config(**overrides), "i2v", {})


def test_t2v_is_refused_and_the_expected_video_has_no_fixed_size():
    config = generator_config()
    with pytest.raises(ValueError, match="makes I2V videos, not T2V"):
        HunyuanVideoI2V.resolve(config, "t2v", {})
    expected = HunyuanVideoI2V.expected_video(config)
    assert (expected.fps, expected.frames, expected.width, expected.height) == (24, 9, None, None)
    fixed = HunyuanVideoI2V.expected_video(generator_config(height=64, width=64))
    assert (fixed.width, fixed.height) == (64, 64)


def test_names_and_the_published_row():
    assert generator_class("hunyuanvideo_i2v") is HunyuanVideoI2V
    real, tiny = generator_config("hunyuanvideo_i2v"), generator_config()
    assert HunyuanVideoI2V.display_name(real, "i2v") == "HunyuanVideo-I2V"
    assert HunyuanVideoI2V.display_name(tiny, "i2v") == "HunyuanVideo-I2V (tiny random)"
    assert HunyuanVideoI2V.published_as(tiny, "i2v") is None and HunyuanVideoI2V.random_weights(tiny)
    rows = list(csv.DictReader((REPO / "reports" / "baselines" / "vbench_i2v.csv").open()))
    assert HunyuanVideoI2V.published_as(real, "i2v") in {row["model"] for row in rows}


def test_missing_weights_offline_name_the_repo_and_the_download(tmp_path, monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(OSError) as err:
        HunyuanVideoI2V.preflight(generator_config("hunyuanvideo_i2v", revision="main"), "i2v")
    text = str(err.value)
    assert f"{HUB_ID}@main is not in the Hugging Face cache" in text and "offline mode is on" in text
    assert f"huggingface-cli download {HUB_ID} --revision main" in text and "generator.weights=/path/to/folder" in text


def test_vbench_i2v_suite_takes_its_default_ratio_without_a_fixed_size(tmp_path):
    """With width/height null the suite keeps its 16-9 crops; the run stops at the missing suite data, not a crash."""
    from harness import run_inprocess

    from eval.errors import HarnessError

    with pytest.raises(HarnessError, match="VBench-I2V prompt list not found"):
        run_inprocess(
            "+suite=vbench_i2v",
            "generator=hunyuanvideo_i2v_tiny",
            f"suite.data_dir={tmp_path}",
            f"run.root={tmp_path / 'runs'}",
        )


# -- the tiny checkpoint ------------------------------------------------------------------------------------------
def test_tiny_layout_is_the_hub_repos(tiny):
    index = json.loads((tiny / "model_index.json").read_text())
    assert index["_class_name"] == "HunyuanVideoImageToVideoPipeline"
    assert index["text_encoder"] == ["transformers", "LlavaForConditionalGeneration"]
    assert index["tokenizer"] == ["transformers", "LlamaTokenizerFast"]
    assert index["image_processor"] == ["transformers", "CLIPImageProcessor"]
    assert index["text_encoder_2"] == ["transformers", "CLIPTextModel"]
    for path in HunyuanVideoI2V.repo.required:
        assert (tiny / path).is_file(), path
    tfm = json.loads((tiny / "transformer" / "config.json").read_text())
    vae = json.loads((tiny / "vae" / "config.json").read_text())
    assert tfm["image_condition_type"] == "token_replace" and tfm["guidance_embeds"]
    assert tfm["in_channels"] == tfm["out_channels"] == vae["latent_channels"]
    assert json.loads((tiny / "scheduler" / "scheduler_config.json").read_text())["shift"] == 7.0
    llava = json.loads((tiny / "text_encoder" / "config.json").read_text())
    assert llava["vision_config"]["image_size"] // llava["vision_config"]["patch_size"] == 4  # 16 image tokens
    assert generator_config()["image_emb_len"] == 16


def test_tiny_build_is_deterministic(tiny, tmp_path):
    from eval.generators.hunyuanvideo_i2v import IMAGE_TOKEN, TEMPLATE, TEMPLATE_SPECIAL_TOKENS
    from videogen.builders.hunyuanvideo_i2v import build

    build(tmp_path / "again", TEMPLATE, TEMPLATE_SPECIAL_TOKENS, IMAGE_TOKEN)
    files = sorted(p.relative_to(tiny) for p in tiny.rglob("*") if p.is_file() and p.name != ".complete")
    assert len(files) > 15
    for rel in files:
        assert sha(tiny / rel) == sha(tmp_path / "again" / rel), rel


def test_template_crop_and_image_tokens_through_the_pipeline(gen):
    """Through diffusers' own encoding: 16 image tokens (every 4th kept: 4), then exactly the prompt's tokens and
    the assistant's "\\n\\n" (diffusers drops <|eot_id|><|start_header_id|>assistant<|end_header_id|>)."""
    pipe, template = gen.pipe, gen.s.prompt_template
    tokenizer = pipe.tokenizer
    ids = tokenizer(template["template"].format(PROMPT)).input_ids
    assert len(tokenizer(template["template"].split("{}")[0]).input_ids) == 103
    assert ids[5] == pipe.text_encoder.config.image_token_index and ids.count(ids[5]) == 1
    assert tokenizer.decode(ids[103:]) == PROMPT + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    embeds, pooled, mask = pipe.encode_prompt(
        image=Image.new("RGB", (64, 48)),
        prompt=PROMPT,
        prompt_template=template,
        device="cpu",
        max_sequence_length=32,
        image_embed_interleave=4,
    )
    n_prompt = len(tokenizer(PROMPT, add_special_tokens=False).input_ids)
    assert embeds.shape == (1, 4 + 32 - 4, 16) and pooled.shape == (1, 8)  # the 4 assistant tokens are cut
    assert mask[0, :4].tolist() == [1, 1, 1, 1] and int(mask[0, 4:].sum()) == n_prompt + 1


def test_guard_refuses_a_mismatched_text_encoder(gen):
    from tokenizers import pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    pipe = gen.pipe
    check_template(pipe.tokenizer, pipe.text_encoder, pipe.image_processor, prompt_template(16))
    with pytest.raises(TemplateMismatchError, match="gives 16 image tokens.*image_emb_len=576.*image_emb_len=16"):
        check_template(pipe.tokenizer, pipe.text_encoder, pipe.image_processor, prompt_template(576))
    backend = type(pipe.tokenizer.backend_tokenizer).from_str(pipe.tokenizer.backend_tokenizer.to_str())
    # A sentencepiece-style pre-tokenizer, as transformers>=5 rebuilds the Llama tokenizer.
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    broken = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<|begin_of_text|>", pad_token="<|end_of_text|>"
    )
    with pytest.raises(TemplateMismatchError, match="not crop_start=103"):
        check_template(broken, pipe.text_encoder, pipe.image_processor, prompt_template(16))


def test_load_refuses_the_wrong_image_token_count(tiny):
    with pytest.raises(ValueError, match="set generator.image_emb_len=16"):
        load_generator(generator_config(image_emb_len=576), "i2v")


def test_load_refuses_the_33_channel_latent_concat_model(gen):
    cfg = SimpleNamespace(image_condition_type="latent_concat", in_channels=33, guidance_embeds=False)
    fake = SimpleNamespace(
        transformer=SimpleNamespace(config=cfg), vae=SimpleNamespace(config=SimpleNamespace(latent_channels=16))
    )
    with pytest.raises(ValueError, match="not the 33-channel latent_concat one"):
        HunyuanVideoI2V.configure(gen, fake)


def test_recipe_reaches_the_pipeline(gen):
    assert gen.pipe.scheduler.config.shift == 7.0 and gen.pipe.vae.use_tiling
    assert gen.pipe.transformer.config.image_condition_type == "token_replace"


# -- videos -------------------------------------------------------------------------------------------------------
def test_i2v_video_size_follows_the_image_and_fps_is_in_the_container(gen, images, tmp_path):
    wide = make(gen, images["wide"], tmp_path / "wide.mp4")
    assert (wide.width, wide.height, wide.frames, wide.fps) == (96, 64, 9, 24)
    assert probe_mp4(tmp_path / "wide.mp4") == {"fps": 24.0, "frames": 9, "width": 96, "height": 64}
    make(gen, images["tall"], tmp_path / "tall.mp4")  # 1:2 -> the 1:2 bucket
    assert probe_mp4(tmp_path / "tall.mp4") == {"fps": 24.0, "frames": 9, "width": 64, "height": 128}


def test_same_seed_same_bytes_other_seed_other_video(gen, images, tmp_path):
    make(gen, images["wide"], tmp_path / "a.mp4", seed=7)
    make(gen, images["wide"], tmp_path / "b.mp4", seed=7)
    make(gen, images["wide"], tmp_path / "c.mp4", seed=8)
    assert sha(tmp_path / "a.mp4") == sha(tmp_path / "b.mp4") != sha(tmp_path / "c.mp4")


def test_fps_setting_and_true_cfg(gen, images, tmp_path):
    cfg = load_generator(generator_config(fps=8, true_cfg_scale=3.0), "i2v")
    make(cfg, images["wide"], tmp_path / "cfg.mp4", seed=3)
    make(gen, images["wide"], tmp_path / "plain.mp4", seed=3)
    assert probe_mp4(tmp_path / "cfg.mp4")["fps"] == 8.0
    assert not np.array_equal(read_frames(tmp_path / "cfg.mp4"), read_frames(tmp_path / "plain.mp4"))


def test_same_pixels_as_diffusers_own_call_for_a_bucket_sized_image(gen, tmp_path):
    """For an image already at its bucket's size (so the Llava's image and the frame are the same), the adapter's
    call (prompt encoded beforehand, recipe kwargs) gives exactly what diffusers' own call with the prompt gives."""
    import torch

    path = tmp_path / "bucket.png"
    Image.fromarray((np.random.RandomState(0).rand(64, 96, 3) * 255).astype(np.uint8)).save(path)
    image = gen.load_image(str(path))
    assert image.frame.size == image.original.size == (96, 64)
    ours = gen.pipe(
        **gen.call_kwargs(PROMPT, image), generator=torch.Generator("cpu").manual_seed(5), output_type="np"
    ).frames[0]
    theirs = gen.pipe(
        image=image.frame,
        prompt=PROMPT,
        height=64,
        width=96,
        num_frames=9,
        num_inference_steps=4,
        guidance_scale=6.0,
        prompt_template=gen.s.prompt_template,
        max_sequence_length=256,
        generator=torch.Generator("cpu").manual_seed(5),
        output_type="np",
    ).frames[0]
    assert np.array_equal(ours, theirs)


def test_fixed_size_instead_of_the_bucket(tiny, images, tmp_path):
    fixed = load_generator(generator_config(height=64, width=64), "i2v")
    facts = make(fixed, images["wide"], tmp_path / "fixed.mp4")
    assert (facts.width, facts.height) == (64, 64)


def test_hydra_end_to_end_generate(tiny, tmp_path):
    from harness import manifest_lines, run_inprocess

    run_dir = run_inprocess(
        "+suite=smoke", "generator=hunyuanvideo_i2v_tiny", "suite.samples=1", f"run.root={tmp_path}"
    )
    lines = manifest_lines(run_dir)
    assert len(lines) == 3 and run_dir.name.startswith("hunyuanvideo_i2v-")
    for line in lines:
        assert line["status"] == "done"
        video = probe_mp4(run_dir / line["video"])
        assert (video["fps"], video["frames"], video["width"], video["height"]) == (24.0, 9, 224, 128)  # 480x272 images
