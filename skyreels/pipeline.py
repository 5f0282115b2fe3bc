"""The SkyReels V1 generator: diffusers' HunyuanVideo pipelines with SkyReels' recipe, one video per call."""

from __future__ import annotations

import os
import resource
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from videogen.device import resolve_device, torch_dtype
from videogen.knobs import apply_knobs, check_knobs, reset_cache

from .recipe import PROMPT_TEMPLATE, GenerationSettings, SettingsError
from .weights import DEFAULT_BASE, DEFAULT_TRANSFORMERS, ResolvedWeights, resolve_base, resolve_transformer


@dataclass(frozen=True)
class ModelSpec:
    """Which weights to load, and where to run. ``transformer=None`` means the official repo for ``task``."""

    task: str = "t2v"
    base: str = DEFAULT_BASE
    base_revision: str | None = None
    transformer: str | None = None
    transformer_revision: str | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.task not in DEFAULT_TRANSFORMERS:
            raise SettingsError(f"task={self.task!r} must be 't2v' or 'i2v'")

    @property
    def transformer_source(self) -> str:
        return self.transformer or DEFAULT_TRANSFORMERS[self.task]


@dataclass(frozen=True)
class VideoInfo:
    """What one ``generate`` call wrote and what it cost."""

    path: str
    seed: int
    frames: int
    fps: int
    width: int
    height: int
    seconds: float
    peak_rss_bytes: int
    peak_gpu_bytes: int | None = None


@dataclass
class SkyReelsGenerator:
    """Load once, then ``generate`` many videos. Each video has its own seed on a CPU ``torch.Generator``."""

    spec: ModelSpec
    settings: GenerationSettings
    weights: dict[str, ResolvedWeights] = field(default_factory=dict)
    pipe: object = None

    @classmethod
    def load(cls, spec: ModelSpec, settings: GenerationSettings, *, offline: bool | None = None) -> SkyReelsGenerator:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # ffmpeg subprocesses fork after tokenizing
        from diffusers import HunyuanSkyreelsImageToVideoPipeline, HunyuanVideoPipeline, HunyuanVideoTransformer3DModel

        from .tokenizer_guard import check_template_crop

        device = resolve_device(spec.device)
        _check_execution(settings, device)
        dtype = torch_dtype(settings.dtype, device)
        base = resolve_base(spec.base, spec.base_revision, offline=offline)
        tfm = resolve_transformer(spec.transformer_source, spec.task, spec.transformer_revision, offline=offline)

        transformer = HunyuanVideoTransformer3DModel.from_pretrained(tfm.path, torch_dtype=dtype)
        expected = 2 * _latent_channels(base.path) if spec.task == "i2v" else _latent_channels(base.path)
        if transformer.config.in_channels != expected:
            raise SettingsError(
                f"transformer {tfm.source} has in_channels={transformer.config.in_channels}, but task={spec.task} "
                f"needs {expected}; use the {DEFAULT_TRANSFORMERS[spec.task]} weights for {spec.task}"
            )
        pipeline_cls = HunyuanSkyreelsImageToVideoPipeline if spec.task == "i2v" else HunyuanVideoPipeline
        pipe = pipeline_cls.from_pretrained(base.path, transformer=transformer, torch_dtype=dtype)
        check_template_crop(pipe.tokenizer, PROMPT_TEMPLATE)

        if settings.vae_tiling:
            pipe.vae.enable_tiling()
        apply_knobs(pipe.transformer, settings, dtype)
        if settings.cpu_offload:
            pipe.enable_model_cpu_offload(device=device)
        else:
            pipe.to(device)
        pipe.set_progress_bar_config(disable=True)
        return cls(spec=spec, settings=settings, weights={"base": base, "transformer": tfm}, pipe=pipe)

    def generate(self, prompt: str, *, seed: int, out_path: str | Path, image: str | None = None) -> VideoInfo:
        """Generate one video for ``prompt`` (and ``image`` for I2V) and write it as an mp4 at ``out_path``."""
        import numpy as np
        import torch

        from videogen.image import load_conditioning_image
        from videogen.mp4 import write_mp4

        s, pipe = self.settings, self.pipe
        if (self.spec.task == "i2v") != (image is not None):
            raise SettingsError(f"task={self.spec.task} {'needs' if image is None else 'takes no'} --image")
        reset_cache(pipe.transformer)
        cuda = pipe._execution_device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        kwargs = dict(
            prompt=s.model_prompt(prompt),
            height=s.height,
            width=s.width,
            num_frames=s.num_frames,
            num_inference_steps=s.num_inference_steps,
            true_cfg_scale=s.true_cfg_scale,
            guidance_scale=s.guidance_scale,
            generator=torch.Generator("cpu").manual_seed(seed),
            output_type="np",
            prompt_template=PROMPT_TEMPLATE,
            max_sequence_length=s.max_sequence_length,
        )
        if image is not None:
            kwargs["image"] = load_conditioning_image(image, s.width, s.height)
        with torch.inference_mode(), self._cfg(kwargs):
            video = pipe(**kwargs).frames[0]
        frames = (np.clip(video, 0.0, 1.0) * 255).round().astype(np.uint8)
        path = write_mp4(frames, out_path, fps=s.fps, quality=s.quality)
        return VideoInfo(
            path=str(path),
            seed=seed,
            frames=len(frames),
            fps=s.fps,
            width=s.width,
            height=s.height,
            seconds=time.perf_counter() - start,
            peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            peak_gpu_bytes=torch.cuda.max_memory_allocated() if cuda else None,
        )

    @contextmanager
    def _cfg(self, kwargs: dict):
        """True CFG against the negative prompt: two transformer passes per step, or one batch of two."""
        s = self.settings
        if not s.do_true_cfg:
            yield
            return
        if s.cfg_mode == "sequential":
            kwargs["negative_prompt"] = s.negative_prompt
            yield
            return
        embeds, pooled, mask = self.pipe.encode_prompt(
            prompt=s.negative_prompt,
            prompt_template=PROMPT_TEMPLATE,
            device=self.pipe._execution_device,
            max_sequence_length=s.max_sequence_length,
        )
        kwargs.update(
            negative_prompt_embeds=embeds, negative_pooled_prompt_embeds=pooled, negative_prompt_attention_mask=mask
        )
        with batched_cfg(self.pipe.transformer, embeds, mask, pooled):
            yield

    def describe(self) -> dict:
        """Provenance: resolved weights (with commits), settings, device and library versions."""
        import diffusers
        import torch
        import transformers

        return {
            "task": self.spec.task,
            "weights": {name: w.to_json() for name, w in self.weights.items()},
            "weights_summary": {
                name: f"{w.source}@{w.commit or w.revision or 'local'}" for name, w in self.weights.items()
            },
            "settings": self.settings.to_json(),
            "device": str(self.pipe._execution_device),
            "dtype": str(self.pipe.transformer.dtype),
            "versions": {
                "torch": torch.__version__,
                "diffusers": diffusers.__version__,
                "transformers": transformers.__version__,
            },
        }

    def close(self) -> None:
        self.pipe = None


@contextmanager
def batched_cfg(transformer, negative_embeds, negative_mask, negative_pooled):
    """Run the pipeline's conditional and unconditional transformer calls as one batch of two.

    The pipeline calls the transformer twice per step (conditional, then unconditional, with the same
    latents). The first call computes both halves in one batch; the second returns the stored half.
    """
    import torch

    original = transformer.__dict__.get("forward")  # accelerate's offload hook, if any
    call = transformer.forward
    pending: list = []

    def forward(
        hidden_states,
        timestep,
        encoder_hidden_states,
        encoder_attention_mask,
        pooled_projections,
        guidance=None,
        **kwargs,
    ):
        if pending:
            latents, uncond = pending.pop()
            if latents is not hidden_states:
                raise RuntimeError("batched CFG: the unconditional call did not follow its conditional call")
            return (uncond,)
        dtype = encoder_hidden_states.dtype
        out = call(
            hidden_states=torch.cat([hidden_states, hidden_states]),
            timestep=torch.cat([timestep, timestep]),
            encoder_hidden_states=torch.cat([encoder_hidden_states, negative_embeds.to(dtype)]),
            encoder_attention_mask=torch.cat([encoder_attention_mask, negative_mask.to(encoder_attention_mask.dtype)]),
            pooled_projections=torch.cat([pooled_projections, negative_pooled.to(dtype)]),
            guidance=None if guidance is None else torch.cat([guidance, guidance]),
            **{**kwargs, "return_dict": False},
        )[0]
        cond, uncond = out.chunk(2)
        pending.append((hidden_states, uncond))
        return (cond,)

    transformer.forward = forward
    try:
        yield
    finally:
        if original is None:
            del transformer.forward
        else:
            transformer.forward = original


def _check_execution(settings: GenerationSettings, device) -> None:
    problems = check_knobs(settings, device)
    if device.type == "cpu" and settings.cpu_offload:
        problems.append(
            "cpu_offload=true offloads from a GPU; the model already runs on the CPU, set cpu_offload=false"
        )
    if problems:
        raise SettingsError("; ".join(problems))


def _latent_channels(base_path: str) -> int:
    import json

    return json.loads((Path(base_path) / "vae" / "config.json").read_text())["latent_channels"]
