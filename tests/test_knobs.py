"""Speed knobs (videogen.knobs): each is applied, defaults are exact, each is fingerprinted, and what a model or
device cannot do is refused before anything runs. SkyReels through its tiny checkpoint; Wan and CogVideoX on
tiny transformers built from diffusers' own test configs (v0.39.0 tests/models/transformers/)."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from eval.errors import HarnessError
from skyreels.recipe import GenerationSettings, SettingsError
from videogen import knobs
from videogen.mp4 import read_frames

PROMPT = "A cat walks on the grass"
TAIL = "single_transformer_blocks.0.attn"  # the tiny SkyReels transformer's last block's attention


def sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def count_calls(transformer, name: str) -> list:
    """Every real forward of submodule ``name`` (a block a cache skips never calls its attention)."""
    calls = []
    transformer.get_submodule(name).register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.fixture(scope="module")
def exact(t2v, tmp_path_factory):
    """The tiny T2V video with the default (exact) knobs, seed 3."""
    return t2v.generate(PROMPT, seed=3, out_path=tmp_path_factory.mktemp("exact") / "exact.mp4")


@pytest.fixture(scope="module")
def cached(load_generator, tiny_settings):
    """The tiny T2V generator with First Block Cache at a threshold that reuses most steps."""
    return load_generator("t2v", replace(tiny_settings, cache="first_block", cache_threshold=0.9))


@pytest.fixture(scope="module")
def image_path(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("img") / "ramp.png"
    arr = np.zeros((64, 64, 3), np.uint8)
    arr[:, :, 1] = np.linspace(0, 255, 64, dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return path


# -- the tables agree with diffusers ------------------------------------------------------------------------
def test_backend_names_and_maskless_backends_are_diffusers():
    from diffusers.models.attention_dispatch import AttentionBackendName, _AttentionBackendRegistry

    assert set(knobs.ATTENTION_BACKENDS) == {b.value for b in AttentionBackendName}
    maskless = {
        name.value
        for name, fn in _AttentionBackendRegistry._backends.items()
        if re.search(r"attn_mask.{0,40}not supported|not supported.{0,40}attn_mask", inspect.getsource(fn))
    }
    assert set(knobs.MASKLESS_BACKENDS) == maskless


def test_pipeline_transformer_classes_are_diffusers():
    import diffusers

    for pipeline, transformer in knobs.PIPELINE_TRANSFORMERS.items():
        annotation = inspect.signature(getattr(diffusers, pipeline).__init__).parameters["transformer"].annotation
        assert transformer in str(getattr(annotation, "__name__", annotation)), pipeline


def tiny_wan():
    from diffusers import WanTransformer3DModel

    torch.manual_seed(0)  # diffusers v0.39.0 tests/models/transformers/test_models_transformer_wan.py
    model = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=4,
        out_channels=4,
        text_dim=16,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )

    def inputs(g):
        return dict(
            hidden_states=torch.randn(1, 4, 2, 16, 16, generator=g),
            encoder_hidden_states=torch.randn(1, 12, 16, generator=g),
        )

    return model.eval(), inputs, "blocks.1.attn1"


def tiny_cogvideox():
    from diffusers import CogVideoXTransformer3DModel

    torch.manual_seed(0)  # diffusers v0.39.0 tests/models/transformers/test_models_transformer_cogvideox.py
    model = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=8,
        num_layers=2,
        sample_width=8,
        sample_height=8,
        sample_frames=8,
        patch_size=2,
        patch_size_t=None,
        temporal_compression_ratio=4,
        max_text_seq_length=8,
    )

    def inputs(g):
        return dict(
            hidden_states=torch.randn(1, 1, 4, 8, 8, generator=g),
            encoder_hidden_states=torch.randn(1, 8, 8, generator=g),
        )

    return model.eval(), inputs, "transformer_blocks.1.attn1"


@pytest.mark.parametrize("build", [tiny_wan, tiny_cogvideox])
def test_architecture_table_matches_the_model(build):
    model, _, _ = build()
    arch = knobs.ARCHITECTURES[type(model).__name__]
    assert bool(knobs._dispatching_processors(model)) == arch.dispatches_attention
    assert ("first_block" in arch.caches) == (knobs._unregistered_blocks(model) == [])


def test_hunyuan_table_entry_and_its_attention_mask(t2v, tmp_path, monkeypatch):
    from diffusers.models.attention_dispatch import AttentionBackendName, _AttentionBackendRegistry

    model = t2v.pipe.transformer
    arch = knobs.ARCHITECTURES[type(model).__name__]
    assert arch.dispatches_attention and knobs._dispatching_processors(model)
    assert arch.caches == ("first_block",) and knobs._unregistered_blocks(model) == []
    masked, native = [], _AttentionBackendRegistry._backends[AttentionBackendName.NATIVE]

    def spy(**kwargs):
        masked.append(kwargs.get("attn_mask") is not None)
        return native(**kwargs)

    monkeypatch.setitem(_AttentionBackendRegistry._backends, AttentionBackendName.NATIVE, spy)
    t2v.generate(PROMPT, seed=0, out_path=tmp_path / "v.mp4")
    assert masked and all(masked) == arch.masks_attention  # every dispatched call carries the text mask


# -- defaults are exact ----------------------------------------------------------------------------------------
def test_defaults_are_exact_and_leave_no_hooks(t2v, exact, load_generator, tiny_settings, tmp_path, monkeypatch):
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    import skyreels.pipeline

    model = t2v.pipe.transformer
    # (the T2V pipeline's cache_context gives the transformer an empty hook registry)
    assert not [n for n, m in model.named_modules() if getattr(m, "_diffusers_hook", None) and m._diffusers_hook.hooks]
    assert not model._forward_pre_hooks and not model.is_cache_enabled
    assert {m.processor._attention_backend for m in knobs._dispatching_processors(model)} == {"native"}
    # the same bytes as a pipeline the knobs never touched
    with monkeypatch.context() as m:
        m.setattr(skyreels.pipeline, "apply_knobs", lambda *a: None)
        untouched = load_generator("t2v", tiny_settings).generate(PROMPT, seed=3, out_path=tmp_path / "u.mp4")
    assert sha(untouched.path) == sha(exact.path)
    # ... even with another process-wide backend, as DIFFUSERS_ATTN_BACKEND or another model's
    # set_attention_backend leaves it: native is set on the processors themselves
    with monkeypatch.context() as m:
        m.setattr(_AttentionBackendRegistry, "_active_backend", _AttentionBackendRegistry._active_backend)
        _AttentionBackendRegistry.set_active_backend("_native_math")
        again = load_generator("t2v", tiny_settings).generate(PROMPT, seed=3, out_path=tmp_path / "a.mp4")
    assert sha(again.path) == sha(exact.path)


# -- each knob is applied --------------------------------------------------------------------------------------
def test_attention_backend_reaches_the_dispatcher(load_generator, tiny_settings, exact, tmp_path, monkeypatch):
    from diffusers.models import attention_dispatch

    gen = load_generator("t2v", replace(tiny_settings, attention_backend="_native_math"))
    assert {m.processor._attention_backend for m in knobs._dispatching_processors(gen.pipe.transformer)} == {
        "_native_math"
    }
    used = []
    dispatch = attention_dispatch.dispatch_attention_fn
    monkeypatch.setattr(
        "diffusers.models.transformers.transformer_hunyuan_video.dispatch_attention_fn",
        lambda *a, backend=None, **kw: (used.append(backend), dispatch(*a, backend=backend, **kw))[1],
    )
    info = gen.generate(PROMPT, seed=3, out_path=tmp_path / "math.mp4")
    assert used and set(used) == {"_native_math"}
    diff = np.abs(read_frames(info.path).astype(int) - read_frames(exact.path).astype(int)).max()
    assert diff <= 2  # the math kernel instead of SDPA's fused CPU kernel: fp rounding only


def test_maskless_backend_is_refused_for_hunyuan_before_it_fails_mid_run(t2v, tmp_path):
    from eval.generators.skyreels import split_config

    with pytest.raises(SettingsError, match="'flash' takes no attention mask.*use flash_varlen"):
        split_config({"name": "skyreels", "attention_backend": "flash"}, "t2v")
    # why: diffusers' own kernel raises at the first attention call (here on the CPU, _native_flash)
    model = t2v.pipe.transformer
    try:
        model.set_attention_backend("_native_flash")
        with pytest.raises(ValueError, match="attn_mask"):
            t2v.generate(PROMPT, seed=0, out_path=tmp_path / "v.mp4")
    finally:
        model.set_attention_backend("native")


def test_first_block_cache_skips_blocks_and_is_exact_below_any_change(
    load_generator, tiny_settings, exact, cached, tmp_path
):
    tight = load_generator("t2v", replace(tiny_settings, cache="first_block", cache_threshold=1e-9))
    calls = count_calls(tight.pipe.transformer, TAIL)
    c = tight.generate(PROMPT, seed=3, out_path=tmp_path / "t.mp4")
    full = 2 * tiny_settings.num_inference_steps  # true CFG: two transformer calls a step
    assert len(calls) == full and sha(c.path) == sha(exact.path)  # never reused: exact
    calls = count_calls(cached.pipe.transformer, TAIL)
    a = cached.generate(PROMPT, seed=3, out_path=tmp_path / "c1.mp4")
    assert 2 <= len(calls) < full  # the first step of each CFG branch always computes
    b = cached.generate(PROMPT, seed=3, out_path=tmp_path / "c2.mp4")
    assert sha(a.path) == sha(b.path) != sha(exact.path)  # the cache is reset between videos


def test_first_block_cache_names_cfg_branches_where_the_pipeline_does_not(
    load_generator, tiny_settings, image_path, tmp_path, monkeypatch
):
    from diffusers.hooks.hooks import StateManager

    names = []
    set_context = StateManager.set_context
    monkeypatch.setattr(StateManager, "set_context", lambda self, name: (names.append(name), set_context(self, name)))
    # HunyuanSkyreelsImageToVideoPipeline calls the transformer without cache contexts (diffusers 0.39.0)
    gen = load_generator("i2v", replace(tiny_settings, cache="first_block", cache_threshold=0.9))
    calls = count_calls(gen.pipe.transformer, TAIL)
    gen.generate(PROMPT, seed=3, image=str(image_path), out_path=tmp_path / "i.mp4")
    branches = [n for i, n in enumerate(names) if n is not None and (i == 0 or names[i - 1] != n)]
    assert branches == ["cond", "uncond"] * tiny_settings.num_inference_steps
    assert len(calls) < 2 * tiny_settings.num_inference_steps


def test_a_failed_video_leaves_no_cached_state(cached, tmp_path):
    a = cached.generate(PROMPT, seed=3, out_path=tmp_path / "a.mp4")

    def stop(*_):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), torch.inference_mode():  # a video that dies after its second step
        cached.pipe(
            prompt="FPS-24, a dog",
            negative_prompt="x",
            true_cfg_scale=6.0,
            height=64,
            width=64,
            num_frames=9,
            num_inference_steps=4,
            output_type="latent",
            callback_on_step_end=lambda pipe, i, t, kw: stop() if i == 1 else kw,
        )
    b = cached.generate(PROMPT, seed=3, out_path=tmp_path / "b.mp4")
    assert sha(a.path) == sha(b.path)


@pytest.mark.parametrize("build", [tiny_wan, tiny_cogvideox])
def test_first_block_cache_on_wan_and_cogvideox(build):
    model, inputs, tail = build()
    knobs.apply_knobs(model, knobs.SpeedKnobs(cache="first_block", cache_threshold=0.5), torch.float32)
    calls = count_calls(model, tail)
    g = torch.Generator().manual_seed(0)
    base = inputs(g)
    with torch.inference_mode():
        for step in range(4):  # nearly the same latents each step, as late denoising steps are
            x = {**base, "hidden_states": base["hidden_states"] + 1e-3 * step}
            model(**x, timestep=torch.tensor([500]), return_dict=False)
    assert len(calls) == 1  # computed once, then reused


def test_fp8_layerwise_stores_weights_in_fp8_and_computes_in_dtype(load_generator, tiny_settings, exact, tmp_path):
    from diffusers.hooks.layerwise_casting import DEFAULT_SKIP_MODULES_PATTERN

    gen = load_generator("t2v", replace(tiny_settings, fp8_layerwise=True))
    model = gen.pipe.transformer
    # diffusers keeps the modules its patterns match (embedders, norms, proj_out) in the compute dtype
    skip = (*DEFAULT_SKIP_MODULES_PATTERN, *model._skip_layerwise_casting_patterns)
    linear = {n: m.weight.dtype for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    stored = {n for n in linear if not any(re.search(p, n) for p in skip)}
    assert {"transformer_blocks.0.attn.to_q", "single_transformer_blocks.0.proj_mlp"} <= stored
    assert all(linear[n] == (torch.float8_e4m3fn if n in stored else torch.float32) for n in linear)
    assert model.dtype == torch.float32 and gen.describe()["dtype"] == "torch.float32"
    info = gen.generate(PROMPT, seed=3, out_path=tmp_path / "fp8.mp4")  # fp8 storage, fp32 compute on the CPU
    assert read_frames(info.path).shape == read_frames(exact.path).shape and sha(info.path) != sha(exact.path)


def test_compile_compiles_the_repeated_blocks(load_generator, tiny_settings, cached, tmp_path, monkeypatch):
    """torch.compile with dynamo's eager backend: dynamo traces the blocks, with the cache hooks inside, but runs
    the same kernels, so the video is the uncompiled one's. Inductor itself takes about 95 s on this CPU for the
    tiny model, so it is left to the GPU benchmark (benchmarks/generate_knobs_gpu.py)."""
    import torch._dynamo

    monkeypatch.setattr(knobs, "COMPILE_OPTIONS", {"backend": "eager"})
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    gen = load_generator("t2v", replace(cached.settings, compile=True))
    model = gen.pipe.transformer
    repeated = [m for m in model.modules() if type(m).__name__ in model._repeated_blocks]
    assert repeated and all(m._compiled_call_impl is not None for m in repeated)
    a = gen.generate(PROMPT, seed=3, out_path=tmp_path / "compiled.mp4")
    assert torch._dynamo.utils.counters["frames"]["ok"] > 0
    b = cached.generate(PROMPT, seed=3, out_path=tmp_path / "plain.mp4")
    assert np.abs(read_frames(a.path).astype(int) - read_frames(b.path).astype(int)).max() <= 1
    torch._dynamo.reset()


def test_compile_without_repeated_blocks_compiles_the_whole_model(monkeypatch):
    monkeypatch.setattr(knobs, "COMPILE_OPTIONS", {"backend": "eager"})
    model, _, _ = tiny_cogvideox()
    assert not getattr(model, "_repeated_blocks", None)
    knobs.apply_knobs(model, knobs.SpeedKnobs(compile=True), torch.float32)
    assert model._compiled_call_impl is not None


# -- refusals, before anything runs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cache": "tea"}, "cache='tea' is not one of none, first_block"),
        ({"cache_threshold": 0}, "cache_threshold=0 must be a number between 0 and 1"),
        ({"cache_threshold": 1.5}, "cache_threshold=1.5 must be"),
        ({"attention_backend": "flash2"}, "attention_backend='flash2' is not a diffusers attention backend"),
        ({"compile": "yes"}, "compile='yes' must be true or false"),
    ],
)
def test_knob_validation(kwargs, message):
    with pytest.raises(SettingsError, match=message):
        GenerationSettings(**kwargs)


def test_architecture_refusals():
    cog = "CogVideoXTransformer3DModel"
    assert (
        "calls PyTorch SDPA itself"
        in knobs.architecture_problems(knobs.SpeedKnobs(attention_backend="sage_varlen"), cog)[0]
    )
    assert knobs.architecture_problems(knobs.SpeedKnobs(attention_backend="flash"), "WanTransformer3DModel") == []
    assert knobs.architecture_problems(knobs.SpeedKnobs(attention_backend="sage"), "HunyuanVideoTransformer3DModel")
    assert (
        knobs.architecture_problems(knobs.SpeedKnobs(attention_backend="sage_varlen"), "HunyuanVideoTransformer3DModel")
        == []
    )


def test_base_class_checks_knobs_at_settings_time():
    from eval.generators.diffusers_model import DiffusersVideoModel
    from videogen.settings import VideoSettings

    class Cog(DiffusersVideoModel):  # the knob checks any built-in model gets from the shared base class
        Settings = VideoSettings
        pipeline_class = "CogVideoXImageToVideoPipeline"
        hub_id, title = "THUDM/CogVideoX-5b-I2V", "CogVideoX"

        def __init__(self, config, task):
            raise AssertionError("not loaded here")

    class Wan(Cog):
        pipeline_class = "WanPipeline"

    local = {"name": "local"}
    with pytest.raises(SettingsError, match="CogVideoXTransformer3DModel's attention calls PyTorch SDPA itself"):
        Cog.settings({"attention_backend": "flash_varlen"})
    assert Wan.settings({"attention_backend": "flash"}).attention_backend == "flash"  # Wan passes no mask
    with pytest.raises(SettingsError, match="'flash' needs a GPU"):
        Wan.resolve({"name": "wan", "device": "cpu", "attention_backend": "flash"}, "t2v", local)
    none = Cog.resolve({"name": "cog", "device": "cpu", "cache_threshold": 0.2}, "i2v", local)
    fbc = Cog.resolve({"name": "cog", "device": "cpu", "cache": "first_block", "cache_threshold": 0.2}, "i2v", local)
    assert "cache_threshold" not in none and fbc["cache_threshold"] == 0.2


def planned(tmp_path, *overrides):
    """Plan a smoke run without generating: its directory name and stored generator config."""
    from harness import run_inprocess

    run_dir = run_inprocess("+suite=smoke", f"run.root={tmp_path}", "run.stages=[]", *overrides)
    return run_dir.name, json.loads((run_dir / "plan.json").read_text())["generator"]


def test_each_knob_is_fingerprinted(tmp_path):
    base, cfg = planned(tmp_path)
    assert (cfg["attention_backend"], cfg["compile"], cfg["fp8_layerwise"], cfg["cache"]) == (
        "native",
        False,
        False,
        "none",
    )
    assert "cache_threshold" not in cfg  # it does nothing without a cache
    knobbed = [
        planned(tmp_path, *o)[0]
        for o in (
            ["generator.attention_backend=_native_math"],
            ["generator.compile=true"],
            ["generator.fp8_layerwise=true"],
            ["generator.cache=first_block"],
            ["generator.cache=first_block", "generator.cache_threshold=0.1"],
        )
    ]
    assert base not in knobbed and len(set(knobbed)) == len(knobbed)
    assert planned(tmp_path, "generator.cache_threshold=0.3")[0] == base  # a sweep's exact run is one run
    _, cfg = planned(tmp_path, "generator.cache=first_block", "generator.cache_threshold=0.1")
    assert (cfg["cache"], cfg["cache_threshold"]) == ("first_block", 0.1)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["generator.cache=tea"], "cache='tea' is not one of"),
        (["generator.attention_backend=flash"], "needs a GPU|takes no attention mask"),
        (["generator.device=cuda", "generator.attention_backend=sage"], "'sage' takes no attention mask.*sage_varlen"),
    ],
)
def test_plan_refuses_knobs_it_cannot_run(tmp_path, overrides, message):
    with pytest.raises(HarnessError, match=message):
        planned(tmp_path, *overrides)


def test_a_gpu_backend_with_a_mask_is_planned_for_a_gpu(tmp_path):
    name, cfg = planned(tmp_path, "generator.device=cuda", "generator.attention_backend=sage_varlen")
    assert cfg["attention_backend"] == "sage_varlen" and cfg["device_type"] == "cuda"


# -- the GPU benchmark ---------------------------------------------------------------------------------------------
def gpu_benchmark():
    import importlib.util
    import sys

    from harness import REPO

    if "generate_knobs_gpu" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "generate_knobs_gpu", REPO / "benchmarks" / "generate_knobs_gpu.py"
        )
        sys.modules[spec.name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["generate_knobs_gpu"]


def test_gpu_benchmark_full_size_configs_are_the_published_sizes():
    """Each full-size config builds in diffusers 0.39.0 (on the meta device: no memory) at its model's size."""
    import diffusers

    b = gpu_benchmark()
    cases = [
        ("HunyuanVideoTransformer3DModel", {**b.HUNYUAN, **b.HUNYUAN_TYPES[k]}, (12.7, 12.9))  # "13B"
        for k in b.HUNYUAN_TYPES
    ]
    cases += [
        ("WanTransformer3DModel", {**b.WAN, **b.WAN_TYPES["T2V-14B"]}, (14.2, 14.4)),
        ("WanTransformer3DModel", {**b.WAN, **b.WAN_TYPES["T2V-1.3B"]}, (1.3, 1.5)),
        ("WanTransformer3DModel", {**b.WAN, **b.WAN_TYPES["I2V-14B"]}, (16.3, 16.5)),  # + image projections
        ("CogVideoXTransformer3DModel", b.COGVIDEOX_5B_I2V, (5.5, 5.7)),
    ]
    for cls, config, (low, high) in cases:
        with torch.device("meta"):
            model = getattr(diffusers, cls)(**config)
        billions = sum(p.numel() for p in model.parameters()) / 1e9
        assert low < billions < high, (cls, billions)


def test_gpu_benchmark_runs_tiny(tiny_root, tmp_path):
    """The prepared GPU benchmark's own code, on every built-in model's tiny checkpoint on the CPU."""
    out = tmp_path / "bench.json"
    assert (
        gpu_benchmark().main(
            ["--tiny", "--knobs", "exact,fp8,cache", "--thresholds", "0.9", "--steps", "2", "--json", str(out)]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert not [s for s in report["skipped"] if ": failed:" in s]  # every model's full path runs
    models = {(r["model"], r["task"]) for r in report["rows"] if r["knob"] == "exact"}
    assert models == {
        ("skyreels", "t2v"),
        ("wan_t2v", "t2v"),
        ("wan_i2v", "i2v"),
        ("hunyuanvideo_i2v", "i2v"),
        ("cogvideox_i2v", "i2v"),
    }
    rows = {r["knob"]: r for r in report["rows"] if r["model"] == "skyreels"}
    assert set(rows) == {"exact", "fp8_layerwise", "first_block 0.9"}
    assert rows["exact"]["decode_s"] > 0 and rows["exact"]["reuse_fraction"] == 0 and rows["exact"]["finite_output"]
    assert rows["first_block 0.9"]["reuse_fraction"] > 0 and rows["first_block 0.9"]["s_per_video"] > 0
    assert rows["exact"]["size"] == "128x128x9" and rows["exact"]["recipe_steps"] == 4  # skyreels_tiny.yaml
    assert {r["size"] for r in report["rows"] if r["model"] == "wan_i2v"} == {"224x128x9"}  # its 16:9 image
