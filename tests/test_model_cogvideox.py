"""CogVideoX-5b-I2V: the recipe against its sources, the tiny checkpoint through the real loading code (registry,
adapter, diffusers), the official call's pixels, and the checks its learned positional embeddings demand."""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from harness import compose, manifest_lines, run_inprocess
from PIL import Image

from eval.errors import HarnessError
from eval.generators.cogvideox import HUB_ID, CogVideoXI2V, CogVideoXI2VSettings, architecture_problems
from videogen.device import SettingsError
from videogen.mp4 import probe_mp4

PROMPT = "A red ball rolls across a grey floor"
# The real transformer and VAE configs as diffusers' convert script builds them (v0.39.0,
# scripts/convert_cogvideox_to_diffusers.py: get_transformer_init_kwargs("1.0"), i2v=True; VAE defaults).
REAL_TRANSFORMER = {
    "in_channels": 32,
    "patch_size": 2,
    "patch_size_t": None,
    "sample_height": 60,
    "sample_width": 90,
    "sample_frames": 49,
    "max_text_seq_length": 226,
    "use_learned_positional_embeddings": True,
    "use_rotary_positional_embeddings": True,
}
REAL_VAE = {"block_out_channels": [128, 256, 256, 512], "latent_channels": 16, "temporal_compression_ratio": 4}


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def generator_config(name: str, *overrides: str) -> dict:
    from omegaconf import OmegaConf

    return OmegaConf.to_container(compose(f"generator={name}", *overrides).generator, resolve=True)


@pytest.fixture(scope="module")
def tiny_config():
    return {**generator_config("cogvideox_i2v_tiny"), "device": "cpu"}


@pytest.fixture(scope="module")
def cog(skyreels_cache, tiny_config):
    from eval.generators import load_generator

    return load_generator(tiny_config, "i2v")


@pytest.fixture(scope="module")
def tiny_root(cog) -> Path:
    return Path(cog.weights.path)


@pytest.fixture(scope="module")
def image_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cog-img") / "wide.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), dtype=np.uint8)).save(path)
    return path


def item(image) -> SimpleNamespace:
    return SimpleNamespace(prompt=PROMPT, image=str(image))


# -- the recipe ---------------------------------------------------------------------------------------------
def test_recipe_defaults_are_the_official_ones():
    s = CogVideoXI2VSettings()
    assert (s.width, s.height, s.num_frames, s.fps) == (720, 480, 49, 8)
    assert (s.num_inference_steps, s.guidance_scale, s.use_dynamic_cfg) == (50, 6.0, True)
    assert (s.negative_prompt, s.max_sequence_length, s.vae_tiling, s.dtype) == ("", 226, True, "auto")
    assert (s.attention_backend, s.compile, s.fp8_layerwise, s.cache) == ("native", False, False, "none")
    assert architecture_problems(s, REAL_TRANSFORMER, REAL_VAE) == []  # the recipe is what the real weights take


def test_diffusers_pipeline_defaults_agree():
    """What cli_demo.py leaves to the pipeline (negative prompt, text length) is the pipeline's default here too."""
    from diffusers import CogVideoXImageToVideoPipeline

    params = inspect.signature(CogVideoXImageToVideoPipeline.__call__).parameters
    assert params["max_sequence_length"].default == 226 and params["num_frames"].default == 49
    assert params["negative_prompt"].default is None  # -> "" in encode_prompt


def test_configs_list_every_setting_and_the_real_one_is_the_recipe():
    names = {f.name for f in fields(CogVideoXI2VSettings)}
    real, tiny = generator_config("cogvideox_i2v"), generator_config("cogvideox_i2v_tiny")
    assert names <= set(real) and names <= set(tiny)
    assert {k: real[k] for k in names} == CogVideoXI2VSettings().to_json()
    assert (real["name"], real["weights"], real["revision"]) == ("cogvideox_i2v", HUB_ID, None)
    assert (tiny["weights"], tiny["width"], tiny["height"], tiny["num_frames"]) == ("tiny", 96, 64, 9)


def test_names_and_baseline():
    import csv

    real, tiny = generator_config("cogvideox_i2v"), generator_config("cogvideox_i2v_tiny")
    assert CogVideoXI2V.display_name(real, "i2v") == "CogVideoX-5b-I2V"
    assert CogVideoXI2V.display_name(tiny, "i2v") == "CogVideoX-5b-I2V (tiny random)"
    assert CogVideoXI2V.random_weights(tiny) and not CogVideoXI2V.random_weights(real)
    assert CogVideoXI2V.published_as(real, "i2v") == "CogVideoX-5b-I2V"
    assert CogVideoXI2V.published_as(tiny, "i2v") is None
    rows = csv.DictReader(open(Path(__file__).parents[1] / "reports" / "baselines" / "vbench_i2v.csv"))
    assert "CogVideoX-5b-I2V" in {row["model"] for row in rows}


def test_vbench_i2v_uses_the_3_2_crops():
    from eval.suites.vbench_i2v import ratio_for

    assert ratio_for(720, 480) == ratio_for(96, 64) == "3-2"


# -- validation ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_frames": 48}, "num_frames=48 must be 4k\\+1.*try 45 or 49"),
        ({"width": 730}, "width=730 must be a positive multiple of 16"),
        ({"guidance_scale": -1.0}, "guidance_scale=-1.0 must be >= 0"),
        ({"max_sequence_length": 0}, "max_sequence_length=0 must be >= 1"),
    ],
)
def test_settings_refused(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        CogVideoXI2VSettings(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width": 832, "height": 480}, "exist for 720x480 only .*set width=720 height=480"),
        ({"num_frames": 25}, "cover 49 frames \\(13 latent frames\\) only.*silently replaces.*set num_frames=49"),
        ({"num_frames": 81}, "set num_frames=49"),
        ({"max_sequence_length": 512}, "start with 226 text positions; set max_sequence_length=226"),
    ],
)
def test_learned_positional_embeddings_fix_size_frames_and_text(kwargs, message):
    problems = architecture_problems(CogVideoXI2VSettings(**kwargs), REAL_TRANSFORMER, REAL_VAE)
    assert len(problems) == 1 and __import__("re").search(message, problems[0]), problems


def test_other_cogvideox_weights_refused():
    s = CogVideoXI2VSettings()
    t2v = architecture_problems(
        s, {**REAL_TRANSFORMER, "in_channels": 16, "use_learned_positional_embeddings": False}, REAL_VAE
    )
    assert t2v == [
        f"the transformer takes in_channels=16, but image-to-video needs 32 (noise and image latents); "
        f"these are not CogVideoX I2V weights: use {HUB_ID}"
    ]
    v15 = architecture_problems(
        s, {**REAL_TRANSFORMER, "patch_size_t": 2, "use_learned_positional_embeddings": False}, REAL_VAE
    )
    assert v15 and "CogVideoX1.5 weights" in v15[0]


def test_diffusers_would_silently_drop_the_learned_embeddings(cog, image_path, monkeypatch):
    """Why other frame counts are refused: diffusers runs them, on a sinusoidal table instead of the learned one."""
    import torch

    embed = cog.pipe.transformer.patch_embed
    rebuilt = []
    original = embed._get_positional_embeddings
    monkeypatch.setattr(embed, "_get_positional_embeddings", lambda *a, **k: rebuilt.append(a) or original(*a, **k))
    for frames in (9, 5):
        cog.pipe(
            image=cog.load_image(str(image_path)),
            prompt=PROMPT,
            height=64,
            width=96,
            num_frames=frames,
            num_inference_steps=1,
            generator=torch.Generator().manual_seed(0),
            output_type="latent",
        )
        assert bool(rebuilt) == (frames != 9), frames


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"num_frames": 13}, "cover 9 frames \\(3 latent frames\\) only.*set num_frames=9"),
        ({"width": 128, "height": 64}, "exist for 96x64 only.*set width=96 height=64"),
    ],
)
def test_tiny_weights_refuse_what_their_embeddings_do_not_cover(cog, tiny_config, overrides, message):
    from eval.generators import load_generator

    with pytest.raises(SettingsError, match=message):
        load_generator({**tiny_config, **overrides}, "i2v")


def test_tiny_settings_are_checked_before_launch(skyreels_cache, tiny_config, tmp_path):
    """Preflight checks the tiny checkpoint's configs without building it, so a bad run stops in seconds."""
    from eval.generators import preflight_generator

    preflight_generator(tiny_config, "i2v")
    with pytest.raises(HarnessError, match="set num_frames=9"):
        preflight_generator({**tiny_config, "num_frames": 49}, "i2v")
    with pytest.raises(HarnessError, match="set num_frames=9"):
        run_inprocess("+suite=smoke", "generator=cogvideox_i2v_tiny", "generator.num_frames=13", f"run.root={tmp_path}")
    assert not any(tmp_path.iterdir())  # no run directory was made


def test_tiny_builder_configs_are_what_it_builds(tiny_root):
    from videogen.builders.cogvideox import TRANSFORMER, VAE

    for name, expected in (("transformer", TRANSFORMER), ("vae", VAE)):
        built = json.loads((tiny_root / name / "config.json").read_text())
        assert {k: built[k] for k in expected} == {
            k: list(v) if isinstance(v, tuple) else v for k, v in expected.items()
        }, name


def test_t2v_suites_are_refused(tiny_config):
    from eval.generators import resolve_generator

    with pytest.raises(HarnessError, match="makes I2V videos, not T2V"):
        resolve_generator(tiny_config, "t2v", {"name": "local"})


def test_unknown_setting_refused(tiny_config):
    from eval.generators import resolve_generator

    with pytest.raises(HarnessError, match="unknown generator setting\\(s\\) true_cfg_scale"):
        resolve_generator({**tiny_config, "true_cfg_scale": 6.0}, "i2v", {"name": "local"})


# -- weights ------------------------------------------------------------------------------------------------
def snapshot(hf_home: Path, tiny_root: Path, commit: str = "0123456789abcdef0123456789abcdef01234567") -> Path:
    repo = hf_home / "hub" / "models--THUDM--CogVideoX-5b-I2V"
    shutil.copytree(tiny_root, repo / "snapshots" / commit, ignore=shutil.ignore_patterns(".complete"))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return repo / "snapshots" / commit


def test_missing_weights_name_the_repo_and_the_download(empty_hf_home):
    from eval.generators import preflight_generator

    with pytest.raises(HarnessError) as err:
        preflight_generator(generator_config("cogvideox_i2v"), "i2v")
    text = str(err.value)
    assert f"{HUB_ID} is not in the Hugging Face cache" in text and "offline mode is on" in text
    assert f"huggingface-cli download {HUB_ID}" in text and "generator.weights=/path/to/folder" in text


def test_cached_weights_are_checked_before_launch(empty_hf_home, tiny_root):
    """A hub snapshot is found offline; settings its embeddings do not cover, or missing safetensors, are refused
    from the folder's JSON before anything is loaded."""
    from eval.generators import preflight_generator

    folder = snapshot(empty_hf_home, tiny_root)
    at_tiny_size = {**generator_config("cogvideox_i2v"), "width": 96, "height": 64, "num_frames": 9}
    preflight_generator(at_tiny_size, "i2v")
    resolved = CogVideoXI2V.find_weights(at_tiny_size)
    assert resolved.commit == folder.name and resolved.source == HUB_ID
    with pytest.raises(HarnessError, match="exist for 96x64 only .*set width=96 height=64"):
        preflight_generator(generator_config("cogvideox_i2v"), "i2v")  # 720x480 on the tiny transformer
    (folder / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(HarnessError, match="no \\*.safetensors in .*transformer"):
        preflight_generator(at_tiny_size, "i2v")


# -- the tiny checkpoint ------------------------------------------------------------------------------------
def test_tiny_layout_is_the_real_repos(tiny_root):
    index = json.loads((tiny_root / "model_index.json").read_text())
    assert index["_class_name"] == "CogVideoXImageToVideoPipeline"
    assert {k: v[1] for k, v in index.items() if isinstance(v, list)} == {
        "scheduler": "CogVideoXDDIMScheduler",
        "text_encoder": "T5EncoderModel",
        "tokenizer": "T5Tokenizer",
        "transformer": "CogVideoXTransformer3DModel",
        "vae": "AutoencoderKLCogVideoX",
    }
    assert {p.name for p in (tiny_root / "tokenizer").iterdir()} == {
        "added_tokens.json",
        "special_tokens_map.json",
        "spiece.model",
        "tokenizer_config.json",
    }
    t5 = json.loads((tiny_root / "text_encoder" / "config.json").read_text())
    assert t5["architectures"] == ["T5EncoderModel"] and t5["feed_forward_proj"] == "gated-gelu"
    transformer = json.loads((tiny_root / "transformer" / "config.json").read_text())
    vae = json.loads((tiny_root / "vae" / "config.json").read_text())
    assert transformer["use_learned_positional_embeddings"] and transformer["use_rotary_positional_embeddings"]
    assert transformer["in_channels"] == 2 * vae["latent_channels"] and transformer["patch_size_t"] is None
    assert (transformer["sample_width"], transformer["sample_height"], transformer["sample_frames"]) == (12, 8, 9)
    assert transformer["max_text_seq_length"] == 226 and vae["scaling_factor"] == 0.7
    scheduler = json.loads((tiny_root / "scheduler" / "scheduler_config.json").read_text())
    assert scheduler["_class_name"] == "CogVideoXDDIMScheduler" and scheduler["snr_shift_scale"] == 1.0
    assert scheduler["prediction_type"] == "v_prediction" and scheduler["timestep_spacing"] == "trailing"


def test_tiny_build_is_deterministic(tiny_root, tmp_path):
    from videogen.builders.cogvideox import build_tiny_cogvideox_i2v

    build_tiny_cogvideox_i2v(tmp_path / "again")
    files = sorted(p.relative_to(tiny_root) for p in tiny_root.rglob("*") if p.is_file() and p.name != ".complete")
    assert len(files) == 12
    for rel in files:
        assert sha(tiny_root / rel) == sha(tmp_path / "again" / rel), rel


# -- generating ---------------------------------------------------------------------------------------------
def test_loaded_as_cli_demo_sets_it_up(cog):
    from diffusers import CogVideoXDPMScheduler

    scheduler = cog.pipe.scheduler
    assert type(scheduler) is CogVideoXDPMScheduler and scheduler.config.timestep_spacing == "trailing"
    assert scheduler.config.snr_shift_scale == 1.0 and scheduler.config.prediction_type == "v_prediction"
    assert cog.pipe.vae.use_tiling and cog.pipe.vae.use_slicing
    assert type(cog.pipe.tokenizer).__name__ == "T5Tokenizer"
    assert cog.describe().weights_summary == {"pipeline": "tiny@tiny-v1"}


def test_i2v_writes_the_expected_mp4(cog, tiny_config, image_path, tmp_path):
    from eval.generators.base import check_facts

    facts = cog.generate(item(image_path), SimpleNamespace(seed=1), tmp_path / "a.mp4")
    assert probe_mp4(tmp_path / "a.mp4") == {"fps": 8.0, "frames": 9, "width": 96, "height": 64}
    assert check_facts(facts, tmp_path / "a.mp4", CogVideoXI2V.expected_video(tiny_config)) == facts


def test_same_seed_same_bytes_other_seed_other_video(cog, image_path, tmp_path):
    paths = [tmp_path / f"{name}.mp4" for name in "abc"]
    for path, seed in zip(paths, (7, 7, 8)):
        cog.generate(item(image_path), SimpleNamespace(seed=seed), path)
    assert sha(paths[0]) == sha(paths[1]) != sha(paths[2])


def test_pixels_are_the_official_calls(cog, image_path):
    """Our call (recipe kwargs, our image loading) gives the frames cli_demo.py's call gives on the same pipeline."""
    import torch
    from diffusers.utils import load_image

    s = cog.s
    ours = cog.pipe(
        **cog.call_kwargs(PROMPT, cog.load_image(str(image_path))),
        generator=torch.Generator("cpu").manual_seed(3),
        output_type="np",
    ).frames[0]
    official = cog.pipe(
        height=s.height,
        width=s.width,
        prompt=PROMPT,
        image=load_image(str(image_path)),
        num_videos_per_prompt=1,
        num_inference_steps=s.num_inference_steps,
        num_frames=s.num_frames,
        use_dynamic_cfg=True,
        guidance_scale=s.guidance_scale,
        generator=torch.Generator().manual_seed(3),
        output_type="np",
    ).frames[0]
    assert np.array_equal(ours, official)


def _exif_rotated_jpeg(path: Path) -> Path:
    """A 200x300 JPEG whose EXIF says 'rotate 90 degrees': 300x200, i.e. 3:2, once oriented."""
    exif = Image.Exif()
    exif[0x0112] = 6
    arr = np.zeros((300, 200, 3), np.uint8)
    arr[:40] = 255  # a white band at the stored top
    Image.fromarray(arr).save(path, exif=exif, quality=95)
    return path


@pytest.mark.parametrize("kind", ["png", "exif-jpeg"])
def test_conditioning_image_is_the_official_one_at_3_2(cog, image_path, tmp_path, kind):
    """At 3:2 the pipeline encodes exactly the official path's pixels (load_image with EXIF, then its resize)."""
    from diffusers.utils import load_image

    path = image_path if kind == "png" else _exif_rotated_jpeg(tmp_path / "r.jpg")
    pre = cog.pipe.video_processor.preprocess
    assert np.array_equal(pre(cog.load_image(str(path)), 64, 96).numpy(), pre(load_image(str(path)), 64, 96).numpy())


def test_conditioning_image_is_cropped_not_squeezed(cog, tmp_path):
    arr = np.zeros((300, 300, 3), np.uint8)
    arr[125:175, 125:175] = 255  # a 50x50 white square in the middle of a square image
    Image.fromarray(arr).save(tmp_path / "sq.png")
    out = np.asarray(cog.load_image(str(tmp_path / "sq.png")))
    assert out.shape == (64, 96, 3)
    white = np.argwhere(out[..., 0] > 127)
    h, w = np.ptp(white[:, 0]) + 1, np.ptp(white[:, 1]) + 1
    assert abs(h - w) <= 1 and 15 <= w <= 17  # 50/300 of the 96-wide crop: still square


def test_smoke_run_through_hydra(tmp_path):
    run_dir = run_inprocess("+suite=smoke", "suite.samples=1", "generator=cogvideox_i2v_tiny", f"run.root={tmp_path}")
    assert run_dir.name.startswith("cogvideox_i2v-")
    lines = manifest_lines(run_dir)
    assert len(lines) == 3 and {line["status"] for line in lines} == {"done"}
    for line in lines:
        assert probe_mp4(run_dir / line["video"]) == {"fps": 8.0, "frames": 9, "width": 96, "height": 64}
        assert line["weights"] == {"pipeline": "tiny@tiny-v1"}
