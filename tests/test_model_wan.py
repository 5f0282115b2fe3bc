"""Wan2.1 T2V 1.3B and I2V 14B (720P / 480P) on the tiny checkpoints, through the registry and the same
loading code as the real weights; the recipes against their cited sources."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from harness import compose, manifest_lines, run_inprocess
from PIL import Image

from eval.errors import HarnessError
from eval.generators import generator_class, load_generator, preflight_generator, resolve_generator
from eval.generators.base import check_facts
from eval.generators.wan import (
    I2V_NEGATIVE_PROMPT,
    MAX_AREAS,
    NEGATIVE_PROMPT,
    WanI2V,
    WanI2VSettings,
    WanT2V,
    WanT2VSettings,
    wan_i2v_size,
)
from videogen.device import SettingsError
from videogen.mp4 import probe_mp4
from videogen.weights import WeightsError

VBENCH_SRC = Path(__file__).resolve().parents[2] / "shared" / "third_party" / "VBench-45e79ec"
PROMPT = "A cat walks on the grass"
# Small and fast on a CPU; the tiny configs themselves are exercised end to end below.
T2V = {
    "name": "wan_t2v",
    "weights": "tiny",
    "device": "cpu",
    "height": 32,
    "width": 32,
    "num_frames": 9,
    "num_inference_steps": 2,
}
I2V = {
    "name": "wan_i2v",
    "weights": "tiny",
    "device": "cpu",
    "max_area": 48 * 48,
    "num_frames": 9,
    "num_inference_steps": 2,
}


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make(gen, tmp_path, name, *, seed=1, image=None, prompt=PROMPT):
    out = tmp_path / f"{name}.mp4"
    facts = gen.generate(SimpleNamespace(prompt=prompt, image=image), SimpleNamespace(seed=seed), out)
    return facts, out


@pytest.fixture(scope="module")
def t2v():
    return load_generator(T2V, "t2v")


@pytest.fixture(scope="module")
def i2v():
    return load_generator(I2V, "i2v")


@pytest.fixture(scope="module")
def smoke_images():
    from eval.suites.smoke import ensure_smoke_images

    return ensure_smoke_images()


# -- the recipes against their sources ---------------------------------------------------------------------
def test_t2v_recipe_is_vbench_sampling_row():
    """VBench 45e79ec sampled_videos/README.md:128 (Wan2.1-T2V-1.3B, 2025-05-03), Wan's shared config."""
    s = WanT2VSettings()
    assert (s.width, s.height, s.num_frames, s.fps) == (832, 480, 81, 16)
    assert (s.num_inference_steps, s.guidance_scale, s.flow_shift, s.max_sequence_length) == (50, 6.0, 3.0, 512)
    # wan/configs/shared_config.py:20 at Wan2.1 9737cba, hashed from that file.
    assert (
        hashlib.sha256(s.negative_prompt.encode()).hexdigest()
        == "ce96e0324e4b54ce4b6e867f669ca520952e1a34cc116543516b1897f0d3c47e"
    )
    assert s.negative_prompt == NEGATIVE_PROMPT and s.vae_dtype == "float32" and s.dtype == "auto"


def test_i2v_recipe_is_wans_default():
    s = WanI2VSettings()
    assert (s.height, s.width, s.max_area, s.num_frames, s.fps) == (None, None, 720 * 1280, 81, 16)
    assert (s.num_inference_steps, s.guidance_scale, s.flow_shift, s.max_sequence_length) == (40, 5.0, 5.0, 512)
    assert s.negative_prompt == I2V_NEGATIVE_PROMPT == "镜头晃动，" + NEGATIVE_PROMPT  # wan_i2v_14B.py:11
    assert (s.vae_dtype, s.image_encoder_dtype) == ("float32", "float32")
    assert MAX_AREAS == {"720P": 921600, "480P": 399360}


@pytest.mark.parametrize(
    "config, settings, overrides",
    [
        ("wan_t2v", WanT2VSettings, {}),
        ("wan_i2v_720p", WanI2VSettings, {}),
        ("wan_i2v_480p", WanI2VSettings, {"max_area": 480 * 832, "flow_shift": 3.0}),
    ],
)
def test_configs_spell_out_the_recipe(config, settings, overrides):
    """Every recipe field is in the real config, at the recipe's value (480P: its area and shift 3.0)."""
    cfg = compose(f"generator={config}").generator
    want = {f.name: getattr(settings(), f.name) for f in fields(settings)}
    present = {k: v for k, v in want.items() if v is not None}  # I2V has no height/width
    assert {k: cfg[k] for k in present} == {**present, **overrides}
    if settings is WanI2VSettings:  # sized per video: no height/width keys (eval.run reads them as a size)
        assert "height" not in cfg and "width" not in cfg


@pytest.mark.skipif(not VBENCH_SRC.is_dir(), reason="needs ../shared/third_party/VBench-45e79ec")
def test_vbench_i2v_sampled_wan_720p_as_the_recipe_does():
    """vbench2_beta_i2v/README.md:329: WAN2.1-I2V-14B (720P weights) at 1280x720, 16 fps, 81 frames; the
    720P recipe gives exactly that on VBench-I2V's 16-9 crops."""
    row = next(
        line
        for line in (VBENCH_SRC / "vbench2_beta_i2v" / "README.md").read_text().splitlines()
        if "WAN2.1-I2V-14B" in line
    )
    cells = [c.strip() for c in row.split("|")]
    assert cells[4:7] == ["1280x720", "16", "81"] and "Wan2.1-I2V-14B-720P" in row
    s = WanI2VSettings()
    assert wan_i2v_size(16 * 80, 9 * 80, s.max_area) == (1280, 720) and (s.fps, s.num_frames) == (16, 81)


@pytest.mark.parametrize(
    "image, area, size",
    [
        ((1280, 720), 720 * 1280, (1280, 720)),
        ((1920, 1080), 480 * 832, (832, 464)),  # 16:9 at 480P: 473.9 px high, floored to 464
        ((1024, 1024), 720 * 1280, (960, 960)),
        ((720, 1280), 720 * 1280, (720, 1280)),
        ((1279, 720), 720 * 1280, (1264, 720)),  # sqrt gives 1279.5: floored (Wan's code), not rounded (its README)
        ((480, 272), 30720, (224, 128)),  # the smoke images in the tiny config
    ],
)
def test_i2v_size_is_wans_computation(image, area, size):
    assert wan_i2v_size(*image, area) == size


def test_i2v_size_matches_wans_formula_for_many_aspects():
    """wan/image2video.py:183-193 (numpy, floor divisions by the VAE stride 8 and the patch 2)."""
    rng = np.random.default_rng(0)
    for w, h in rng.integers(64, 4096, size=(300, 2)):
        for area in MAX_AREAS.values():
            ar = h / w
            lat_h = round(np.sqrt(area * ar) // 8 // 2 * 2)
            lat_w = round(np.sqrt(area / ar) // 8 // 2 * 2)
            assert wan_i2v_size(int(w), int(h), area) == (lat_w * 8, lat_h * 8)
            assert lat_w * lat_h * 64 <= area


# -- validation, names, weights ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, task, overrides, message",
    [
        ("wan_t2v", "t2v", {"height": 100}, "height=100 must be a positive multiple of 16; try 96"),
        ("wan_t2v", "t2v", {"num_frames": 80}, "num_frames=80 must be 4k\\+1 .*try 77 or 81"),
        ("wan_t2v", "t2v", {"flow_shift": 0}, "flow_shift=0 must be positive"),
        ("wan_t2v", "t2v", {"vae_dtype": "fp8"}, "vae_dtype='fp8' is not one of"),
        ("wan_t2v", "t2v", {"max_area": 1000}, "unknown generator setting\\(s\\) max_area"),
        ("wan_i2v", "i2v", {"height": 480, "width": 832}, "sizes each video from max_area.*set max_area"),
        ("wan_i2v", "i2v", {"max_area": 100}, "max_area=100 must be at least 256"),
        ("wan_i2v", "i2v", {"max_sequence_length": 256}, "max_sequence_length=256: Wan2.1 I2V needs 512"),
        ("wan_i2v", "i2v", {"image_encoder_dtype": "half"}, "image_encoder_dtype='half' is not one of"),
        ("wan_i2v", "t2v", {}, "makes I2V videos, not T2V"),
    ],
)
def test_bad_settings_are_refused_with_the_fix(name, task, overrides, message):
    with pytest.raises(HarnessError, match=f"generator {name}: .*{message}"):
        resolve_generator({"name": name, **overrides}, task, {})


def test_names_and_expected_videos():
    real_480 = dict(compose("generator=wan_i2v_480p").generator)
    assert WanT2V.display_name(dict(compose("generator=wan_t2v").generator), "t2v") == "Wan2.1-T2V-1.3B"
    assert WanT2V.display_name(T2V, "t2v") == "Wan2.1-T2V-1.3B (tiny random)"
    assert WanI2V.display_name(dict(compose("generator=wan_i2v_720p").generator), "i2v") == "Wan2.1-I2V-14B-720P"
    assert WanI2V.display_name(real_480, "i2v") == "Wan2.1-I2V-14B-480P"
    assert WanI2V.display_name({"weights": "/data/wan", "max_area": 399360}, "i2v") == "Wan2.1-I2V-14B-480P"
    assert WanI2V.display_name(I2V, "i2v") == "Wan2.1-I2V-14B (tiny random)"
    assert WanI2V.random_weights(I2V) and not WanI2V.random_weights(real_480)
    assert WanI2V.published_as(real_480, "i2v") is None  # no published VBench row for Wan2.1
    e = WanI2V.expected_video(real_480)
    assert (e.fps, e.frames, e.width, e.height) == (16, 81, None, None)
    e = WanT2V.expected_video({})
    assert (e.fps, e.frames, e.width, e.height) == (16, 81, 832, 480)
    assert generator_class("wan_i2v") is WanI2V and generator_class("wan_t2v") is WanT2V


def test_missing_weights_offline_name_the_repo_and_the_download(tmp_path, monkeypatch):
    import huggingface_hub.constants as c

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(HarnessError) as err:
        preflight_generator(dict(compose("generator=wan_i2v_480p").generator), "i2v")
    text = str(err.value)
    assert "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers is not in the Hugging Face cache" in text
    assert "offline mode is on" in text and "generator.weights=/path/to/folder" in text
    assert "huggingface-cli download Wan-AI/Wan2.1-I2V-14B-480P-Diffusers" in text


# -- the tiny checkpoint -------------------------------------------------------------------------------------
def test_tiny_layout_is_the_diffusers_repos(t2v, i2v):
    t2v_root, i2v_root = Path(t2v.weights.path), Path(i2v.weights.path)
    assert t2v.weights.commit == i2v.weights.commit == "tiny-v1"
    base = {
        "scheduler": ["diffusers", "UniPCMultistepScheduler"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "tokenizer": ["transformers", "T5TokenizerFast"],
        "transformer": ["diffusers", "WanTransformer3DModel"],
        "vae": ["diffusers", "AutoencoderKLWan"],
    }
    index = json.loads((t2v_root / "model_index.json").read_text())
    assert index["_class_name"] == "WanPipeline" and {k: index[k] for k in base} == base
    index = json.loads((i2v_root / "model_index.json").read_text())
    assert index["_class_name"] == "WanImageToVideoPipeline" and {k: index[k] for k in base} == base
    assert index["image_encoder"] == ["transformers", "CLIPVisionModel"]
    assert index["image_processor"] == ["transformers", "CLIPImageProcessor"]
    for root in (t2v_root, i2v_root):
        assert {p.name for p in (root / "tokenizer").iterdir()} >= {
            "spiece.model",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
        }
        sched = json.loads((root / "scheduler" / "scheduler_config.json").read_text())
        assert (sched["prediction_type"], sched["use_flow_sigmas"], sched["flow_shift"]) == (
            "flow_prediction",
            True,
            3.0,
        )
    t_cfg = json.loads((t2v_root / "transformer" / "config.json").read_text())
    i_cfg = json.loads((i2v_root / "transformer" / "config.json").read_text())
    assert (t_cfg["in_channels"], i_cfg["in_channels"], t_cfg["patch_size"]) == (16, 36, [1, 2, 2])
    assert t_cfg["image_dim"] is None and i_cfg["image_dim"] == i2v.pipe.image_encoder.config.hidden_size
    assert i_cfg["added_kv_proj_dim"] == i_cfg["num_attention_heads"] * i_cfg["attention_head_dim"]
    assert (i2v_root / "image_processor" / "preprocessor_config.json").exists()


def test_tiny_tokenizer_covers_the_recipes_prompts(t2v):
    tok = t2v.pipe.tokenizer
    assert type(tok).__name__ == "T5TokenizerFast"
    ids = tok(I2V_NEGATIVE_PROMPT).input_ids
    assert tok.unk_token_id not in ids and ids[-1] == tok.eos_token_id and len(ids) > 30


def test_build_is_deterministic(t2v, tmp_path):
    from eval.generators.wan import TINY_CORPUS
    from videogen.builders.wan import build_tiny_wan

    root = Path(t2v.weights.path).parent
    build_tiny_wan(tmp_path / "again", TINY_CORPUS)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.name != ".complete")
    assert len(files) > 25
    for rel in files:
        assert sha(root / rel) == sha(tmp_path / "again" / rel), rel


# -- generation through the registry -------------------------------------------------------------------------
def test_scheduler_is_unipc_with_the_recipes_shift(t2v, i2v):
    for gen, shift in ((t2v, 3.0), (i2v, 5.0)):
        assert type(gen.pipe.scheduler).__name__ == "UniPCMultistepScheduler"
        config = gen.pipe.scheduler.config
        assert (config.flow_shift, config.use_flow_sigmas, config.prediction_type) == (shift, True, "flow_prediction")
    on_disk = json.loads((Path(i2v.weights.path) / "scheduler" / "scheduler_config.json").read_text())
    assert on_disk["flow_shift"] == 3.0  # as the real repos: configure sets the recipe's 5.0


def test_t2v_video_fps_size_and_determinism(t2v, tmp_path):
    a, pa = make(t2v, tmp_path, "a", seed=7)
    _, pb = make(t2v, tmp_path, "b", seed=7)
    _, pc = make(t2v, tmp_path, "c", seed=8)
    assert probe_mp4(pa) == {"fps": 16.0, "frames": 9, "width": 32, "height": 32}
    assert (a.frames, a.fps, a.width, a.height) == (9, 16, 32, 32) and a.seconds > 0
    assert sha(pa) == sha(pb) != sha(pc)
    check_facts(a, pa, WanT2V.expected_video(T2V))


def test_negative_prompt_is_used(t2v, tmp_path, monkeypatch):
    _, a = make(t2v, tmp_path, "neg-wan")
    monkeypatch.setattr(t2v, "s", replace(t2v.s, negative_prompt="blurry"))
    _, b = make(t2v, tmp_path, "neg-other")
    assert sha(a) != sha(b)


def test_i2v_size_follows_each_image_and_determinism(i2v, smoke_images, tmp_path):
    wide = smoke_images / "red_ball.png"  # 480x272
    tall = tmp_path / "tall.png"
    Image.open(wide).transpose(Image.Transpose.ROTATE_90).save(tall)  # 272x480
    a, pa = make(i2v, tmp_path, "wide", image=str(wide))
    _, pb = make(i2v, tmp_path, "wide2", image=str(wide))
    t, pt = make(i2v, tmp_path, "tall", image=str(tall))
    assert probe_mp4(pa) == {"fps": 16.0, "frames": 9, "width": 48, "height": 32}
    assert probe_mp4(pt) == {"fps": 16.0, "frames": 9, "width": 32, "height": 48}
    assert sha(pa) == sha(pb)
    _, pc = make(i2v, tmp_path, "wide3", image=str(wide), seed=2)
    assert sha(pc) != sha(pa)
    check_facts(t, pt, WanI2V.expected_video(I2V))


def test_i2v_image_is_resized_whole_not_cropped(i2v, tmp_path):
    arr = np.random.default_rng(1).integers(0, 255, (100, 301, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "n.png")
    ours = i2v.load_image(str(tmp_path / "n.png"))
    assert ours.size == wan_i2v_size(301, 100, I2V["max_area"]) == (80, 16)
    whole = Image.fromarray(arr).resize(ours.size, Image.Resampling.BICUBIC)
    assert np.array_equal(np.asarray(ours), np.asarray(whole))
    Image.new("RGB", (1000, 10)).save(tmp_path / "sliver.png")
    with pytest.raises(SettingsError, match="too narrow for max_area=2304: its video would be 480x0"):
        i2v.load_image(str(tmp_path / "sliver.png"))
    kwargs = i2v.call_kwargs("p", ours)
    assert (kwargs["width"], kwargs["height"], kwargs["negative_prompt"]) == (80, 16, I2V_NEGATIVE_PROMPT)


def test_vae_and_image_encoder_run_in_float32_beside_bf16(tmp_path, smoke_images):
    gen = load_generator({**I2V, "dtype": "bfloat16", "num_inference_steps": 1}, "i2v")
    dtypes = {
        name: str(getattr(gen.pipe, name).dtype) for name in ("transformer", "text_encoder", "vae", "image_encoder")
    }
    assert dtypes == {
        "transformer": "torch.bfloat16",
        "text_encoder": "torch.bfloat16",
        "vae": "torch.float32",
        "image_encoder": "torch.float32",
    }
    facts, out = make(gen, tmp_path, "bf16", image=str(smoke_images / "sunset.png"))
    assert probe_mp4(out)["frames"] == 9 and facts.width == 48


def test_weights_of_the_other_task_are_refused(t2v, i2v):
    with pytest.raises(SettingsError, match="takes 36 input channels, but Wan2.1-T2V-1.3B needs 16.*generator=wan_i2v"):
        load_generator({**T2V, "weights": i2v.weights.path}, "t2v")
    with pytest.raises(WeightsError, match="Wan2.1-I2V-14B pipeline .* lacks image_encoder/config.json"):
        load_generator({**I2V, "weights": t2v.weights.path}, "i2v")


# -- end to end through Hydra ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "suite, config, size", [("smoke", "wan_i2v_tiny", (224, 128)), ("smoke_t2v", "wan_t2v_tiny", (128, 128))]
)
def test_tiny_config_end_to_end(suite, config, size, tmp_path):
    """The tiny configs as they are (one video per prompt to keep it short), the smoke images at 224x128."""
    run_dir = run_inprocess(f"+suite={suite}", "suite.samples=1", f"generator={config}", f"run.root={tmp_path}")
    lines = manifest_lines(run_dir)
    assert len(lines) == 3 and all(line["status"] == "done" for line in lines)
    assert {(line["width"], line["height"], line["frames"], line["fps"]) for line in lines} == {(*size, 9, 16)}
    assert run_dir.name.startswith(config.rsplit("_", 1)[0] + "-")
    assert math.isclose(probe_mp4(run_dir / lines[0]["video"])["fps"], 16.0)
