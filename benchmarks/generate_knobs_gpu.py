"""Seconds per video and peak GPU memory of each speed knob (videogen.knobs), per built-in model at full size.

Each model's real diffusers pipeline runs at its official recipe's size and frame count, with a transformer and
VAE built at their real full-size configs (cited below) and RANDOM weights: no download, nothing saved to disk.
The text encoders (Llama 8B, UMT5-XXL, T5-XXL, CLIP) are left out: the pipeline gets random prompt embeddings
of the real shapes instead (their cost is a one-off encode per prompt, far below the denoising loop's), and Wan
I2V random CLIP image embeddings. Per knob it runs ``--steps`` denoising steps (the first one warms up: CUDA
kernels, ``torch.compile``), times every step (``callback_on_step_end`` after a CUDA sync), and extrapolates
s/video = recipe steps x steady s/step + VAE decode (timed once, with the exact knobs: no knob touches the VAE).
Peak GPU memory is ``torch.cuda.max_memory_allocated`` over the denoising steps (weights included).

With random weights, First Block Cache's reuse rate says nothing about real weights (its decisions compare
residuals): its rows report the measured s/step of computed and reused steps, the reuse rate this run happened
to have, and s/video at that rate. ``benchmarks/cache_sweep.py`` measures what a threshold costs on VBench.

Models come from ``eval.generators.REGISTRY``; one whose module is not in this checkout is skipped with a
message. ``--tiny`` runs the same code on the tiny checkpoints at their tiny configs' sizes (on the CPU here),
to check the script without a GPU. ``--budget-s`` stops starting measurements that would not finish in time;
the JSON (``--json``, default ``$OUT/generate_knobs_gpu.json`` or ``./generate_knobs_gpu.json``) is rewritten
after each one, so a run cut short keeps what it measured.

    .venv/bin/python benchmarks/generate_knobs_gpu.py --tiny --models skyreels      # CPU check, tiny
    python benchmarks/generate_knobs_gpu.py --models skyreels --budget-s 520        # one GPU, full size

Full-size configs (github.com/huggingface/diffusers, tag v0.39.0 = a3608b512ed7248499a44c61d954965ed9bdae4d):
- HunyuanVideo (SkyReels V1 = HunyuanVideo T2V fine-tune; HunyuanVideo-I2V): ``scripts/convert_hunyuan_video_to
  _diffusers.py`` ``TRANSFORMER_CONFIGS`` L145-203 ("HYVideo-T/2-cfgdistill", "-I2V-33ch", "-I2V-16ch"), VAE
  ``AutoencoderKLHunyuanVideo()`` defaults L248. SkyReels' I2V transformer takes twice the latent channels (the
  image latents are concatenated: ``pipeline_hunyuan_skyreels_image2video.py`` ``torch.cat([latent_model_input,
  latent_image_input], dim=1)``). ``hunyuanvideo-community/HunyuanVideo-I2V`` is the token-replace (16ch)
  checkpoint and ``-33ch`` the latent-concat one (``pipeline_hunyuan_video_image2video.py`` L57-77).
- Wan 2.1: ``scripts/convert_wan_to_diffusers.py`` ``get_transformer_config`` L328-414 (by hub id: T2V-1.3B,
  T2V-14B, I2V-14B-480p/720p), VAE ``AutoencoderKLWan()`` defaults L844; CLIP image embeddings 257 x
  ``image_dim`` (ViT-H/14 penultimate hidden states, ``pipeline_wan_i2v.py`` ``encode_image``).
- CogVideoX-5b-I2V: ``scripts/convert_cogvideox_to_diffusers.py`` L140-157 (i2v: 32 input channels, learned
  positional embeddings), L200-211 (version 1.0), L249-258 (5B: 42 layers, 48 heads, RoPE, VAE scaling 0.7).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DIFFUSERS_TAG = "v0.39.0 (a3608b512ed7248499a44c61d954965ed9bdae4d)"
HUNYUAN = {  # scripts/convert_hunyuan_video_to_diffusers.py TRANSFORMER_CONFIGS, shared keys
    "out_channels": 16,
    "num_attention_heads": 24,
    "attention_head_dim": 128,
    "num_layers": 20,
    "num_single_layers": 40,
    "num_refiner_layers": 2,
    "mlp_ratio": 4.0,
    "patch_size": 2,
    "patch_size_t": 1,
    "qk_norm": "rms_norm",
    "text_embed_dim": 4096,
    "pooled_projection_dim": 768,
    "rope_theta": 256.0,
    "rope_axes_dim": (16, 56, 56),
}
HUNYUAN_TYPES = {  # ... and per transformer_type
    "HYVideo-T/2-cfgdistill": {"in_channels": 16, "guidance_embeds": True, "image_condition_type": None},
    "HYVideo-T/2-I2V-33ch": {
        "in_channels": 16 * 2 + 1,
        "guidance_embeds": False,
        "image_condition_type": "latent_concat",
    },
    "HYVideo-T/2-I2V-16ch": {"in_channels": 16, "guidance_embeds": True, "image_condition_type": "token_replace"},
}
WAN = {  # scripts/convert_wan_to_diffusers.py get_transformer_config, shared keys
    "attention_head_dim": 128,
    "cross_attn_norm": True,
    "eps": 1e-06,
    "freq_dim": 256,
    "out_channels": 16,
    "patch_size": [1, 2, 2],
    "qk_norm": "rms_norm_across_heads",
    "text_dim": 4096,
}
WAN_TYPES = {
    "T2V-1.3B": {
        "added_kv_proj_dim": None,
        "ffn_dim": 8960,
        "in_channels": 16,
        "num_attention_heads": 12,
        "num_layers": 30,
    },
    "T2V-14B": {
        "added_kv_proj_dim": None,
        "ffn_dim": 13824,
        "in_channels": 16,
        "num_attention_heads": 40,
        "num_layers": 40,
    },
    "I2V-14B": {
        "image_dim": 1280,
        "added_kv_proj_dim": 5120,
        "ffn_dim": 13824,
        "in_channels": 36,
        "num_attention_heads": 40,
        "num_layers": 40,
    },  # the same for 480P and 720P
}
COGVIDEOX_5B_I2V = {  # scripts/convert_cogvideox_to_diffusers.py: i2v, version 1.0, 5B
    "in_channels": 32,
    "num_layers": 42,
    "num_attention_heads": 48,
    "use_rotary_positional_embeddings": True,
    "ofs_embed_dim": None,
    "use_learned_positional_embeddings": True,
    "patch_size": 2,
    "patch_size_t": None,
    "patch_bias": True,
    "sample_height": 480 // 8,
    "sample_width": 720 // 8,
    "sample_frames": 49,
}
TEXT_TOKENS = 64  # valid (unpadded) prompt tokens in the attention mask: a typical VBench prompt
KNOBS = ("exact", "attention", "fp8", "cache", "compile")  # compile last: the longest, the first cut by --budget-s


@dataclass
class Model:
    """One built-in model as the benchmark runs it."""

    name: str  # registry name
    task: str
    pipeline: str  # diffusers pipeline class
    settings: object  # the recipe (VideoSettings subclass), tiny or official
    call: dict  # pipeline arguments besides the prompt (size, frames, guidance ...)
    transformer: tuple[str, dict | None, str]  # class, full-size config (None: tiny), where it is from
    vae: tuple[str, dict | None]
    folders: dict = field(default_factory=dict)  # tiny: component -> folder; scheduler always from the tiny build
    configure: object = None  # the generator's configure(pipe), if it has one

    @property
    def label(self) -> str:
        return f"{self.name} {self.task}"


class Skip(Exception):
    """This model (or knob) cannot be benchmarked here; the message says why."""


# -- the models ----------------------------------------------------------------------------------------------
def discover(names: list[str], tasks: dict[str, list[str]], tiny: bool) -> tuple[list[Model], list[str]]:
    from eval.generators import REGISTRY, generator_class

    models, skipped = [], []
    for name in names:
        if name not in REGISTRY or name == "external":
            skipped.append(f"{name}: not a built-in diffusers model (registry: {', '.join(REGISTRY)})")
            continue
        try:
            cls = generator_class(name)
        except ImportError as err:
            skipped.append(f"{name}: {REGISTRY[name]} is not in this checkout ({err}); skipped")
            continue
        for task in tasks.get(name) or [cls.tasks[0]]:
            try:
                models.append(
                    skyreels_model(task, tiny) if name == "skyreels" else diffusers_model(name, cls, task, tiny)
                )
            except Skip as err:
                skipped.append(f"{name} {task}: {err}")
    return models, skipped


def tiny_config(name: str) -> dict:
    """The generator config (composed by Hydra, defaults included) of ``name``'s tiny yaml under
    configs/generator: the one whose weights are random."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    from eval.generators import generator_class

    cls = generator_class(name)
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        for path in sorted((REPO / "configs" / "generator").glob("*.yaml")):
            cfg = OmegaConf.to_container(
                compose(config_name="config", overrides=[f"generator={path.stem}"]).generator, resolve=True
            )
            if cfg.get("name") == name and cls.random_weights(cfg):
                return cfg
    raise Skip(f"no tiny config for {name} under configs/generator")


def skyreels_model(task: str, tiny: bool) -> Model:
    """SkyReels V1 as ``skyreels.pipeline.SkyReelsGenerator`` calls it (true CFG as two calls, VAE tiling)."""
    from skyreels.recipe import GenerationSettings
    from skyreels.tiny import BASE_DIR, TRANSFORMER_DIRS, ensure_tiny_checkpoint

    names = {f.name for f in fields(GenerationSettings)}
    settings = (
        GenerationSettings(**{k: v for k, v in tiny_config("skyreels").items() if k in names})
        if tiny
        else GenerationSettings()
    )
    call = dict(
        height=settings.height,
        width=settings.width,
        num_frames=settings.num_frames,
        true_cfg_scale=settings.true_cfg_scale,
        guidance_scale=settings.guidance_scale,
    )
    if task == "i2v":
        call["image"] = conditioning_image(settings)
    config = {
        **HUNYUAN,
        **HUNYUAN_TYPES["HYVideo-T/2-cfgdistill"],
        **({"in_channels": 2 * 16} if task == "i2v" else {}),
    }
    source = "convert_hunyuan_video_to_diffusers.py HYVideo-T/2-cfgdistill" + (
        ", in_channels 32" if task == "i2v" else ""
    )
    root = ensure_tiny_checkpoint()  # its scheduler is the real one (FlowMatchEulerDiscreteScheduler, shift 7)
    folders = {"scheduler": root / BASE_DIR / "scheduler"}
    if tiny:
        folders.update(transformer=root / TRANSFORMER_DIRS[task], vae=root / BASE_DIR / "vae")
    return Model(
        "skyreels",
        task,
        "HunyuanSkyreelsImageToVideoPipeline" if task == "i2v" else "HunyuanVideoPipeline",
        settings,
        call,
        ("HunyuanVideoTransformer3DModel", None if tiny else config, "tiny checkpoint" if tiny else source),
        ("AutoencoderKLHunyuanVideo", None if tiny else {}),
        folders,
        configure=(lambda pipe: pipe.vae.enable_tiling()) if settings.vae_tiling else None,
    )


def conditioning_image(settings):
    from PIL import Image

    return Image.new("RGB", (settings.width, settings.height), (120, 90, 60))


def conditioning(generator):
    """The model's own conditioning input (``load_image``) for a 1280x720 image, VBench-I2V's 16-9 crop: a model
    that sizes each video from its image gets the size it would give such a crop (Wan 720P: 1280x720)."""
    import tempfile

    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.png"
        Image.new("RGB", (1280, 720), (120, 90, 60)).save(path)
        return generator.load_image(str(path))


def diffusers_model(name: str, cls, task: str, tiny: bool) -> Model:
    """A ``DiffusersVideoModel`` subclass: its recipe, call arguments and configure, and its full-size config
    chosen by its pipeline and hub id."""
    names = {f.name for f in fields(cls.Settings)}
    settings = cls.Settings(**{k: v for k, v in tiny_config(name).items() if k in names}) if tiny else cls.Settings()
    generator = cls.__new__(cls)  # the recipe's methods without loading anything
    generator.s, generator.task, generator.config = settings, task, {}
    image = conditioning(generator) if task == "i2v" else None
    if cls.pipeline_class == "HunyuanVideoImageToVideoPipeline":  # its call_kwargs encodes with the Llava: not run
        call = generator.call_settings(image)
    else:
        call = generator.call_kwargs("a prompt", image)
    for key in ("prompt", "negative_prompt", "prompt_2", "negative_prompt_2", "num_inference_steps"):
        call.pop(key, None)
    pipeline, hub = cls.pipeline_class, cls.hub_id
    if pipeline.startswith("Wan"):
        kind = next((k for k in WAN_TYPES if k in hub.replace("-480P", "").replace("-720P", "")), None)
        if kind is None:
            raise Skip(f"no Wan full-size config for hub id {hub}")
        transformer = ("WanTransformer3DModel", {**WAN, **WAN_TYPES[kind]}, f"convert_wan_to_diffusers.py Wan-{kind}")
        vae = ("AutoencoderKLWan", {})
    elif pipeline == "HunyuanVideoImageToVideoPipeline":
        kind = "HYVideo-T/2-I2V-33ch" if hub.endswith("-33ch") else "HYVideo-T/2-I2V-16ch"
        transformer = (
            "HunyuanVideoTransformer3DModel",
            {**HUNYUAN, **HUNYUAN_TYPES[kind]},
            f"convert_hunyuan_video_to_diffusers.py {kind}",
        )
        vae = ("AutoencoderKLHunyuanVideo", {})
    elif pipeline.startswith("CogVideoX") and "5b-I2V" in hub:
        transformer = ("CogVideoXTransformer3DModel", COGVIDEOX_5B_I2V, "convert_cogvideox_to_diffusers.py 5B I2V 1.0")
        vae = ("AutoencoderKLCogVideoX", {"scaling_factor": 0.7})
    else:
        raise Skip(f"no full-size config for {pipeline} {hub}")
    root = Path(cls.find_weights({"weights": "tiny"}).path)
    folders = {
        "scheduler": root / "scheduler",
        **({"transformer": root / "transformer", "vae": root / "vae"} if tiny else {}),
    }
    if tiny:
        transformer, vae = (transformer[0], None, "tiny checkpoint"), (vae[0], None)
    return Model(name, task, pipeline, settings, call, transformer, vae, folders, configure=generator.configure)


def embeddings(model: Model, transformer, device, dtype) -> dict:
    """Random prompt (and image) embeddings of the shapes the text (and image) encoders give this model."""
    import torch

    g = torch.Generator("cpu").manual_seed(0)
    cfg, s = transformer.config, model.settings

    def rand(*shape):
        return torch.randn(*shape, generator=g).to(device, dtype)

    def mask(length):
        m = torch.zeros(1, length, dtype=torch.long)
        m[:, : min(TEXT_TOKENS, length)] = 1
        return m.to(device)

    p = model.pipeline
    if p.startswith("Hunyuan"):
        length = s.max_sequence_length
        if p == "HunyuanVideoImageToVideoPipeline":  # 576 image tokens, every 2nd (latent concat) or 4th kept
            length += 576 // (2 if cfg.image_condition_type == "latent_concat" else 4)
        out = dict(
            prompt_embeds=rand(1, length, cfg.text_embed_dim),
            pooled_prompt_embeds=rand(1, cfg.pooled_projection_dim),
            prompt_attention_mask=mask(length),
        )
        if model.call.get("true_cfg_scale", 1.0) > 1:
            out.update(
                negative_prompt_embeds=rand(1, length, cfg.text_embed_dim),
                negative_pooled_prompt_embeds=rand(1, cfg.pooled_projection_dim),
                negative_prompt_attention_mask=mask(length),
            )
        return out
    if p.startswith("Wan"):
        out = dict(prompt_embeds=rand(1, s.max_sequence_length, cfg.text_dim))
        if model.call.get("guidance_scale", 1.0) > 1:
            out["negative_prompt_embeds"] = rand(1, s.max_sequence_length, cfg.text_dim)
        if cfg.image_dim:
            out["image_embeds"] = rand(1, 257, cfg.image_dim)
        return out
    if p.startswith("CogVideoX"):
        out = dict(prompt_embeds=rand(1, s.max_sequence_length, cfg.text_embed_dim))
        if model.call.get("guidance_scale", 1.0) > 1:
            out["negative_prompt_embeds"] = rand(1, s.max_sequence_length, cfg.text_embed_dim)
        return out
    raise Skip(f"no embeddings for {p}")


# -- building ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def built_on(device, dtype):
    """Modules constructed directly on ``device`` in ``dtype`` (random init there, no float32 copy)."""
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(old)


def build_transformer(model: Model, device, dtype):
    import diffusers
    import torch

    cls_name, config, _ = model.transformer
    cls = getattr(diffusers, cls_name)
    if config is None:
        return cls.from_pretrained(model.folders["transformer"], torch_dtype=dtype).to(device)
    torch.manual_seed(0)
    with built_on(device, dtype):
        transformer = cls(**config)
    # as from_pretrained(torch_dtype=...) keeps _keep_in_fp32_modules in float32
    # (diffusers models/model_loading_utils.py, load_model_dict_into_meta: module in param_name.split("."))
    keep = getattr(cls, "_keep_in_fp32_modules", None) or []
    for name, param in transformer.named_parameters():
        if any(m in name.split(".") for m in keep):
            param.data = param.data.float()
    return transformer.eval()


def build_vae(model: Model, device, dtype):
    import diffusers
    import torch

    cls_name, config = model.vae
    cls = getattr(diffusers, cls_name)
    if config is None:
        return cls.from_pretrained(model.folders["vae"], torch_dtype=dtype).to(device)
    torch.manual_seed(1)
    with built_on(device, dtype):
        return cls(**config).eval()


def build_pipeline(model: Model, transformer, vae):
    import inspect

    import diffusers

    cls = getattr(diffusers, model.pipeline)
    scheduler_cls = json.loads((Path(model.folders["scheduler"]) / "scheduler_config.json").read_text())["_class_name"]
    scheduler = getattr(diffusers, scheduler_cls).from_pretrained(model.folders["scheduler"])
    parts = {"transformer": transformer, "vae": vae, "scheduler": scheduler}
    params = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    pipe = cls(**{p: parts.get(p) for p in params})  # no text or image encoders: embeddings are given
    notes = []
    if model.configure is not None:
        try:
            model.configure(pipe)
        except Exception as err:  # a check that needs the text encoders, say: the timing does not depend on it
            notes.append(f"configure(pipe) failed without text encoders ({type(err).__name__}: {err})")
    pipe.set_progress_bar_config(disable=True)
    return pipe, notes


# -- one measurement -----------------------------------------------------------------------------------------
def knob_variants(names: list[str], thresholds: list[float], model: Model, device_type: str) -> list[tuple[str, dict]]:
    """(label, SpeedKnobs fields) for each requested knob on this model."""
    out = []
    for name in names:
        if name == "exact":
            out.append(("exact", {}))
        elif name == "attention":
            backend = best_backend(model, device_type)
            out.append((f"attention={backend}" if backend else "attention (none)", {"attention_backend": backend}))
        elif name == "compile":
            out.append(("compile", {"compile": True}))
        elif name == "fp8":
            out.append(("fp8_layerwise", {"fp8_layerwise": True}))
        elif name == "cache":
            out += [(f"first_block {t:g}", {"cache": "first_block", "cache_threshold": t}) for t in thresholds]
        else:
            raise SystemExit(f"unknown knob {name!r}; use {', '.join(KNOBS)}")
    return out


def best_backend(model: Model, device_type: str) -> str | None:
    """The fastest attention backend installed that this model takes: flash-attn 3, sage, flash-attn 2 (their
    varlen forms where the model masks its text), else cuDNN SDPA; on a CPU, the math kernel."""
    from videogen import knobs

    if device_type != "cuda":
        candidates = ["_native_math"]
    else:
        candidates = ["_flash_varlen_3", "sage_varlen", "flash_varlen", "_flash_3", "sage", "flash", "_native_cudnn"]
    from diffusers.models.attention_dispatch import AttentionBackendName, _check_attention_backend_requirements

    for backend in candidates:
        if knobs.architecture_problems(knobs.SpeedKnobs(attention_backend=backend), model.transformer[0]):
            continue
        try:
            _check_attention_backend_requirements(AttentionBackendName(backend))
        except (RuntimeError, ImportError):
            continue
        return backend
    return None


def tail_linear(transformer):
    """The first Linear of the last transformer block (First Block Cache's tail): it runs only when the
    block really computes."""
    import torch
    from diffusers.hooks._common import _ALL_TRANSFORMER_BLOCK_IDENTIFIERS

    blocks = [
        b
        for n, c in transformer.named_children()
        if n in _ALL_TRANSFORMER_BLOCK_IDENTIFIERS and isinstance(c, torch.nn.ModuleList)
        for b in c
    ]
    return next(m for m in blocks[-1].modules() if isinstance(m, torch.nn.Linear))


def measure(model: Model, label: str, knob: dict, vae, steps: int, device, dtype, decode: bool) -> dict:
    import torch

    from videogen.device import SettingsError
    from videogen.knobs import SpeedKnobs, apply_knobs, check_knobs

    cuda = device.type == "cuda"
    if knob.get("attention_backend", "native") is None:
        raise Skip("no other attention backend is installed here that this model takes")
    knobs = SpeedKnobs(**knob)
    problems = knobs.knob_problems() + check_knobs(knobs, device)
    if problems:
        raise Skip("; ".join(problems))
    start = time.perf_counter()
    transformer = build_transformer(model, device, dtype)
    try:
        apply_knobs(transformer, knobs, dtype)
    except SettingsError as err:
        raise Skip(str(err)) from None
    pipe, notes = build_pipeline(model, transformer, vae)
    built_s = time.perf_counter() - start
    calls = []  # the tail block's real computations, where a cache may skip it (a hook elsewhere would only
    if knobs.cache != "none":  # add dynamo guards to compiled blocks)
        tail_linear(transformer).register_forward_hook(lambda *_: calls.append(1))
    kwargs = {**model.call, **embeddings(model, transformer, device, dtype), "num_inference_steps": steps}
    if "image_embeds" in kwargs and "image" in kwargs:
        # diffusers' Wan I2V refuses image and image_embeds together, yet needs the image for its latents: the
        # CLIP image encoder (run once per video, like the text encoder) gives the random embeddings instead
        image_embeds = kwargs.pop("image_embeds")
        pipe.encode_image = lambda image, device=None: image_embeds
    if cuda:
        torch.cuda.synchronize()
        weights = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
    marks, denoise_peak = [], [None]

    def step_done(pipe_, i, t, tensors):
        if cuda:
            torch.cuda.synchronize()
        marks.append((time.perf_counter(), len(calls)))
        if i == steps - 1 and cuda:
            denoise_peak[0] = torch.cuda.max_memory_allocated()
            torch.cuda.reset_peak_memory_stats()
        return tensors

    t0 = time.perf_counter()
    with torch.inference_mode():
        out = pipe(
            **kwargs,
            generator=torch.Generator("cpu").manual_seed(0),
            output_type="np" if decode else "latent",
            callback_on_step_end=step_done,
        ).frames
    if cuda:
        torch.cuda.synchronize()
    end = time.perf_counter()
    times = [b - a for a, b in zip([t0] + [m[0] for m in marks], [m[0] for m in marks])]
    counts = [b - a for a, b in zip([0] + [m[1] for m in marks], [m[1] for m in marks])] if calls else [1] * len(marks)
    per_step = max(counts) if counts else 0  # tail computations a step (2 with CFG as two calls)
    steady = times[1:] or times
    computed = [t for t, c in zip(times[1:], counts[1:]) if c == per_step]
    reused = [t for t, c in zip(times[1:], counts[1:]) if c == 0]
    finite = bool(torch.isfinite(torch.as_tensor(out[0] if decode else out).float()).all())
    row = {
        "model": model.name,
        "task": model.task,
        "knob": label,
        "knobs": knobs.__dict__,
        "size": f"{model.call['width']}x{model.call['height']}x{model.call['num_frames']}",
        "recipe_steps": model.settings.num_inference_steps,
        "steps_run": steps,
        "build_s": round(built_s, 2),
        "first_step_s": round(times[0], 3),
        "s_per_step": round(statistics.mean(steady), 3),
        "s_per_step_computed": round(statistics.mean(computed), 3) if computed else None,
        "s_per_step_reused": round(statistics.mean(reused), 3) if reused else None,
        "reuse_fraction": round(1 - sum(counts[1:]) / (per_step * len(counts[1:])), 3)
        if per_step and counts[1:]
        else None,
        "decode_s": round(end - marks[-1][0], 3) if decode else None,
        "weights_gib": round(weights / 2**30, 2) if cuda else None,
        "peak_gib": round((denoise_peak[0] or torch.cuda.max_memory_allocated()) / 2**30, 2) if cuda else None,
        "decode_peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda and decode else None,
        "finite_output": finite,
        "transformer_config": model.transformer[2],
        "notes": notes,
    }
    del pipe, transformer, out
    return row


def release():
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    torch._dynamo.reset()


# -- the report ----------------------------------------------------------------------------------------------
def finish(rows: list[dict]) -> None:
    """s/video per row: recipe steps x steady s/step + the model's exact-knob VAE decode; speed-up over exact."""
    decode = {(r["model"], r["task"]): r["decode_s"] for r in rows if r.get("decode_s") is not None}
    exact = {(r["model"], r["task"]): r for r in rows if r["knob"] == "exact"}
    for r in rows:
        key = (r["model"], r["task"])
        d = decode.get(key) or 0.0
        r["s_per_video"] = round(r["recipe_steps"] * r["s_per_step"] + d, 1)
        base = exact.get(key)
        r["speedup"] = round(base["s_per_video"] / r["s_per_video"], 2) if base and "s_per_video" in base else None


def table(rows: list[dict]) -> str:
    head = [
        "model",
        "knob",
        "size",
        "s/step",
        "computed",
        "reused",
        "reuse",
        "1st step",
        "decode",
        "s/video",
        "speed-up",
        "peak GiB",
        "weights GiB",
    ]
    lines = [head] + [
        [
            f"{r['model']} {r['task']}",
            r["knob"],
            r["size"],
            _s(r["s_per_step"]),
            _s(r["s_per_step_computed"]),
            _s(r["s_per_step_reused"]),
            _s(r["reuse_fraction"], 2),
            _s(r["first_step_s"]),
            _s(r["decode_s"]),
            _s(r.get("s_per_video"), 1),
            _s(r.get("speedup"), 2) + ("x" if r.get("speedup") else ""),
            _s(r["peak_gib"], 1),
            _s(r["weights_gib"], 1),
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))) for line in lines
    )


def _s(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tiny", action="store_true", help="the tiny checkpoints at their tiny sizes (a CPU check)")
    p.add_argument(
        "--models",
        default="skyreels,wan_t2v,wan_i2v,hunyuanvideo_i2v,cogvideox_i2v",
        help="registry names, in order (default: every built-in model)",
    )
    p.add_argument("--tasks", default="", help="e.g. skyreels=t2v+i2v (default: each model's first task)")
    p.add_argument("--knobs", default=",".join(KNOBS), help=f"of {', '.join(KNOBS)}")
    p.add_argument("--thresholds", default="0.05,0.1", help="First Block Cache thresholds (default 0.05,0.1)")
    p.add_argument("--steps", type=int, default=3, help="denoising steps run per knob; the first warms up")
    p.add_argument("--budget-s", type=float, default=None, help="start no measurement that would end after this")
    p.add_argument(
        "--compile-backend",
        default=None,
        help="torch.compile backend (default inductor; with --tiny on a CPU: eager, as inductor takes "
        "minutes to compile there)",
    )
    p.add_argument("--device", default="auto")
    p.add_argument("--json", default=str(Path(os.environ.get("OUT", ".")) / "generate_knobs_gpu.json"))
    args = p.parse_args(argv)
    if args.steps < 2:
        raise SystemExit("--steps must be at least 2 (the first step warms up)")
    os.environ.setdefault("SKYREELS_CACHE", str(Path(os.environ.get("TMPDIR", "/tmp")) / "knobs-bench-cache"))
    import diffusers
    import torch

    from videogen import knobs as knob_module
    from videogen.device import resolve_device, torch_dtype

    device = resolve_device(args.device)
    dtype = torch_dtype("auto", device)
    backend = args.compile_backend or ("eager" if args.tiny and device.type == "cpu" else None)
    if backend:
        knob_module.COMPILE_OPTIONS.update(backend=backend)
    tasks = {k: v.split("+") for k, v in (t.split("=") for t in args.tasks.split(",") if t)}
    models, skipped = discover([m for m in args.models.split(",") if m], tasks, args.tiny)
    for line in skipped:
        print(f"skip: {line}")
    started = time.perf_counter()
    report = {
        "mode": "tiny" if args.tiny else "full size, random weights",
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "dtype": str(dtype),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "configs_from": f"diffusers {DIFFUSERS_TAG}",
        "compile_options": dict(knob_module.COMPILE_OPTIONS),
        "text_encoders": "not run: random embeddings",
        "rows": [],
        "skipped": list(skipped),
    }
    thresholds = [float(t) for t in args.thresholds.split(",") if t]

    def save():
        finish(report["rows"])
        report["elapsed_s"] = round(time.perf_counter() - started, 1)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))

    for model in models:
        vae = None
        estimate = None
        for label, knob in knob_variants(args.knobs.split(","), thresholds, model, device.type):
            elapsed = time.perf_counter() - started
            guess = (estimate or 0) * (3 if knob.get("compile") else 1.2)
            if args.budget_s and elapsed + guess > args.budget_s:
                report["skipped"].append(
                    f"{model.label} {label}: not run, budget ({elapsed:.0f} s + ~{guess:.0f} s > {args.budget_s:.0f} s)"
                )
                print(f"skip: {report['skipped'][-1]}")
                continue
            t = time.perf_counter()
            try:
                if vae is None:
                    vae = build_vae(model, device, dtype)
                row = measure(model, label, knob, vae, args.steps, device, dtype, decode=label == "exact")
            except Skip as err:
                report["skipped"].append(f"{model.label} {label}: {err}")
                print(f"skip: {report['skipped'][-1]}")
                continue
            except Exception as err:  # one knob failing must not lose the others' figures
                report["skipped"].append(f"{model.label} {label}: failed: {type(err).__name__}: {err}")
                print(f"fail: {report['skipped'][-1]}")
                continue
            finally:
                release()
            estimate = estimate or (time.perf_counter() - t)
            report["rows"].append(row)
            save()
            print(
                f"done: {model.label} {label}: {row['s_per_step']:.3f} s/step"
                + (f", peak {row['peak_gib']} GiB" if row["peak_gib"] is not None else ""),
                flush=True,
            )
        del vae
        release()
    save()
    print(
        f"\nspeed knobs, {report['mode']}, {report['gpu'] or report['device']} ({report['dtype']}); s/video = recipe "
        f"steps x s/step + decode; text encoders not run"
    )
    print(table(report["rows"]))
    print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
