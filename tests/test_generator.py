"""The SkyReels generator on the tiny checkpoint, through the same loading code as the real weights."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from skyreels.recipe import DEFAULT_NEGATIVE_PROMPT, GenerationSettings, SettingsError
from videogen.mp4 import probe_mp4, read_frames

PROMPT = "A cat walks on the grass"


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def image_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "wide.png"
    arr = np.zeros((100, 200, 3), np.uint8)
    arr[:, :, 0] = np.linspace(0, 255, 200, dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return path


def test_t2v_writes_playable_mp4_with_configured_fps(t2v, tmp_path):
    info = t2v.generate(PROMPT, seed=1, out_path=tmp_path / "a.mp4")
    assert probe_mp4(info.path) == {"fps": 24.0, "frames": 9, "width": 64, "height": 64}
    assert info.frames == 9 and info.fps == 24 and info.seconds > 0 and info.peak_rss_bytes > 0


def test_fps_in_container_follows_setting(load_generator, tiny_settings, tmp_path):
    gen = load_generator("t2v", replace(tiny_settings, fps=8))
    info = gen.generate(PROMPT, seed=1, out_path=tmp_path / "a.mp4")
    assert probe_mp4(info.path)["fps"] == 8.0


def test_i2v_writes_mp4(i2v, image_path, tmp_path):
    info = i2v.generate(PROMPT, seed=1, image=str(image_path), out_path=tmp_path / "a.mp4")
    assert probe_mp4(info.path) == {"fps": 24.0, "frames": 9, "width": 64, "height": 64}


def test_same_seed_same_bytes_other_seed_other_video(t2v, i2v, image_path, tmp_path):
    a = t2v.generate(PROMPT, seed=7, out_path=tmp_path / "a.mp4")
    b = t2v.generate(PROMPT, seed=7, out_path=tmp_path / "b.mp4")
    c = t2v.generate(PROMPT, seed=8, out_path=tmp_path / "c.mp4")
    assert sha(a.path) == sha(b.path) != sha(c.path)
    d = i2v.generate(PROMPT, seed=7, image=str(image_path), out_path=tmp_path / "d.mp4")
    e = i2v.generate(PROMPT, seed=7, image=str(image_path), out_path=tmp_path / "e.mp4")
    assert sha(d.path) == sha(e.path)


def test_batched_cfg_matches_sequential(load_generator, tiny_settings, t2v, tmp_path):
    batched = load_generator("t2v", replace(tiny_settings, cfg_mode="batched"))
    a = t2v.generate(PROMPT, seed=3, out_path=tmp_path / "seq.mp4")
    b = batched.generate(PROMPT, seed=3, out_path=tmp_path / "bat.mp4")
    fa, fb = read_frames(a.path).astype(int), read_frames(b.path).astype(int)
    assert fa.shape == fb.shape
    assert np.abs(fa - fb).max() <= 2  # same maths, batch of two instead of two calls
    assert "forward" not in batched.pipe.transformer.__dict__  # the batching patch is removed afterwards


def test_cfg_really_runs_against_negative_prompt(load_generator, tiny_settings, t2v, tmp_path):
    no_cfg = load_generator("t2v", replace(tiny_settings, true_cfg_scale=1.0))
    a = t2v.generate(PROMPT, seed=3, out_path=tmp_path / "cfg.mp4")
    b = no_cfg.generate(PROMPT, seed=3, out_path=tmp_path / "nocfg.mp4")
    assert sha(a.path) != sha(b.path)


def test_recipe_defaults_are_skyreels():
    s = GenerationSettings()
    assert (s.height, s.width, s.num_frames, s.fps, s.num_inference_steps) == (544, 960, 97, 24, 30)
    assert (s.true_cfg_scale, s.guidance_scale, s.negative_prompt) == (6.0, 1.0, DEFAULT_NEGATIVE_PROMPT)
    assert s.vae_tiling and s.dtype == "auto" and s.attention_backend == "native"


def test_prompt_prefixed_exactly_once():
    s = GenerationSettings()
    assert s.model_prompt("A dog") == "FPS-24, A dog"
    assert s.model_prompt("FPS-24, A dog") == "FPS-24, A dog"
    with pytest.raises(SettingsError, match="empty prompt"):
        s.model_prompt("   ")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"height": 100}, "height=100 must be a positive multiple of 16"),
        ({"width": 968}, "width=968 must be a positive multiple of 16"),
        ({"num_frames": 96}, "num_frames=96 must be 4k\\+1.*try 93 or 97"),
        ({"num_frames": 0}, "num_frames=0 must be 4k\\+1"),
        ({"fps": 0}, "fps=0 must be positive"),
        ({"num_inference_steps": 0}, "num_inference_steps=0"),
        ({"negative_prompt": ""}, "needs a negative_prompt"),
        ({"dtype": "fp8"}, "dtype='fp8' is not one of"),
        ({"cfg_mode": "parallel"}, "cfg_mode='parallel' is not one of"),
    ],
)
def test_settings_validation(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        GenerationSettings(**kwargs)


def test_true_cfg_off_needs_no_negative_prompt():
    assert not GenerationSettings(true_cfg_scale=1.0, negative_prompt="").do_true_cfg


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"attention_backend": "flash"}, "attention_backend='flash' needs a GPU"),
        ({"cpu_offload": True}, "cpu_offload=true offloads from a GPU"),
    ],
)
def test_cpu_execution_checks(load_generator, tiny_settings, kwargs, message):
    with pytest.raises(SettingsError, match=message):
        load_generator("t2v", replace(tiny_settings, **kwargs))


def test_task_and_image_must_agree(t2v, i2v, image_path, tmp_path):
    with pytest.raises(SettingsError, match="takes no --image"):
        t2v.generate(PROMPT, seed=0, image=str(image_path), out_path=tmp_path / "x.mp4")
    with pytest.raises(SettingsError, match="needs --image"):
        i2v.generate(PROMPT, seed=0, out_path=tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


def test_i2v_transformer_has_twice_the_channels_and_mismatch_is_refused(tiny_root, tiny_settings):
    from skyreels.pipeline import ModelSpec, SkyReelsGenerator

    t2v_cfg = json.loads((tiny_root / "SkyReels-V1-Hunyuan-T2V" / "config.json").read_text())
    i2v_cfg = json.loads((tiny_root / "SkyReels-V1-Hunyuan-I2V" / "config.json").read_text())
    assert i2v_cfg["in_channels"] == 2 * t2v_cfg["in_channels"]
    spec = ModelSpec(task="i2v", base="tiny", transformer=str(tiny_root / "SkyReels-V1-Hunyuan-T2V"), device="cpu")
    with pytest.raises(SettingsError, match="in_channels=4, but task=i2v needs 8"):
        SkyReelsGenerator.load(spec, tiny_settings)


def test_cli_writes_video_and_reports_bad_settings(tiny_root, tmp_path):
    out = tmp_path / "cli.mp4"
    ok = subprocess.run(
        [sys.executable, "-m", "skyreels.generate", "--prompt", PROMPT, "--out", str(out), "--seed", "5"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["provenance"]["weights"]["transformer"]["commit"] == "tiny-v1"
    assert probe_mp4(out)["fps"] == 24.0
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "skyreels.generate",
            "--prompt",
            PROMPT,
            "--out",
            str(tmp_path / "bad.mp4"),
            "--num-frames",
            "10",
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: num_frames=10 must be 4k+1 (the VAE compresses time by 4); try 9 or 13 "
        "(diffusers would silently round it down)"
    ]
    assert not (tmp_path / "bad.mp4").exists()


@pytest.mark.parametrize("size, box", [((200, 100), (50, 0, 150, 100)), ((100, 300), (0, 100, 100, 200))])
def test_center_crop_to_target_aspect(size, box):
    from videogen.image import center_crop_to_aspect

    arr = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    img = Image.fromarray(arr)
    cropped = center_crop_to_aspect(img, 64, 64)
    assert np.array_equal(np.asarray(cropped), np.asarray(img.crop(box)))


def test_center_crop_to_skyreels_aspect():
    from videogen.image import center_crop_to_aspect

    square = Image.new("RGB", (1000, 1000))
    assert center_crop_to_aspect(square, 960, 544).size == (1000, 567)


def test_i2v_conditioning_image_is_cropped_not_squeezed(tmp_path):
    """A wide image with a marker in the centre keeps the marker square after preprocessing."""
    from videogen.image import load_conditioning_image

    arr = np.zeros((100, 300, 3), np.uint8)
    arr[25:75, 125:175] = 255  # a 50x50 white square in the middle
    Image.fromarray(arr).save(tmp_path / "w.png")
    out = np.asarray(load_conditioning_image(str(tmp_path / "w.png"), 64, 64))
    white = np.argwhere(out[..., 0] > 127)
    h = white[:, 0].max() - white[:, 0].min() + 1
    w = white[:, 1].max() - white[:, 1].min() + 1
    assert abs(h - w) <= 1 and 30 <= h <= 34  # stays square: 50/100 of the height -> 32 of 64 pixels


def test_i2v_conditioning_image_is_resized_as_diffusers_resizes(tmp_path):
    """SkyReels' reference crops, then leaves the resize to diffusers' VideoProcessor (lanczos by default)."""
    from diffusers.video_processor import VideoProcessor

    from videogen.image import center_crop_to_aspect, load_conditioning_image

    arr = np.random.default_rng(1).integers(0, 255, (90, 301, 3), dtype=np.uint8)
    Image.fromarray(arr).save(tmp_path / "n.png")
    ours = load_conditioning_image(str(tmp_path / "n.png"), 96, 48)
    theirs = VideoProcessor(vae_scale_factor=8).resize(center_crop_to_aspect(Image.fromarray(arr), 96, 48), 48, 96)
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))
