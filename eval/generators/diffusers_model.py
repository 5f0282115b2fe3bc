"""A diffusers video pipeline sampled with its official recipe: what every built-in model but SkyReels shares.

A model module subclasses ``DiffusersVideoModel`` with its recipe (a ``videogen.settings.VideoSettings``
subclass whose defaults are the published recipe, cited there), its pipeline class, its hub repo and its tiny
builder, and overrides ``configure`` (scheduler, architecture checks) and ``call_kwargs`` (the pipeline call).

Config keys: ``name``; ``weights`` (``tiny``, a folder, or a hub id) and ``revision`` (pin a commit for
published runs); ``device`` and ``offline`` (execution only); and every field of the recipe.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import fields
from pathlib import Path
from typing import ClassVar

from eval.generators.base import (
    ExpectedVideo,
    Generator,
    Provenance,
    VideoFacts,
    check_planned_device,
    resolve_device_dtype,
)
from videogen.settings import VideoSettings
from videogen.weights import TINY, Repo

WEIGHT_KEYS = ("weights", "revision")
KNOWN = {"name", "device", "device_type", "offline", *WEIGHT_KEYS}


class DiffusersVideoModel(Generator):
    Settings: ClassVar[type[VideoSettings]]
    pipeline_class: ClassVar[str]  # a class of ``diffusers``
    repo: ClassVar[Repo]  # what the weights folder must hold, and its hub id's setting
    hub_id: ClassVar[str]  # the official diffusers-format repo
    title: ClassVar[str]  # the display name
    baseline: ClassVar[str | None] = None  # the name of its published row, if it has one
    tiny_builder: ClassVar[str]  # "module:function" -> (folder, version label) of the tiny checkpoint
    # The diffusers class of its transformer, for the speed-knob checks (default: the pipeline's, from
    # videogen.knobs.PIPELINE_TRANSFORMERS).
    transformer_class: ClassVar[str | None] = None

    # -- torch-free ------------------------------------------------------------------------------------------
    @classmethod
    def settings(cls, config: dict) -> VideoSettings:
        """The recipe with ``config``'s values; unknown keys, and speed knobs the model cannot take, are refused."""
        from videogen.device import SettingsError
        from videogen.knobs import PIPELINE_TRANSFORMERS, architecture_problems

        names = {f.name for f in fields(cls.Settings)}
        unknown = set(config) - names - KNOWN
        if unknown:
            raise ValueError(
                f"unknown generator setting(s) {', '.join(sorted(unknown))}; known: "
                f"{', '.join(sorted(names | set(WEIGHT_KEYS)))}"
            )
        s = cls.Settings(**{k: v for k, v in config.items() if k in names})
        problems = architecture_problems(s, cls.transformer_class or PIPELINE_TRANSFORMERS.get(cls.pipeline_class))
        if problems:
            raise SettingsError("; ".join(problems))
        return s

    @classmethod
    def resolve(cls, config: dict, task: str, launcher: dict) -> dict:
        """The planned device type and dtype made explicit; knobs the planned device cannot run are refused, and
        a cache threshold without a cache is left out of the fingerprint (``videogen.knobs.fingerprinted``)."""
        cls.check_task(task)
        return resolve_device_dtype(config, launcher, cls.settings(config))

    @classmethod
    def preflight(cls, config: dict, task: str) -> None:
        cls.check_task(task)
        cls.settings(config)
        if config.get("weights", cls.hub_id) != TINY:
            cls.find_weights(config)

    @classmethod
    def expected_video(cls, config: dict) -> ExpectedVideo:
        s = cls.settings(config)
        return ExpectedVideo(fps=s.fps, frames=s.num_frames, width=s.width, height=s.height)

    @classmethod
    def random_weights(cls, config: dict) -> bool:
        return config.get("weights", cls.hub_id) == TINY

    @classmethod
    def display_name(cls, config: dict, task: str) -> str:
        return cls.title + (" (tiny random)" if cls.random_weights(config) else "")

    @classmethod
    def published_as(cls, config: dict, task: str) -> str | None:
        return None if cls.random_weights(config) else cls.baseline

    @classmethod
    def find_weights(cls, config: dict):
        from videogen.weights import resolve

        return resolve(
            config.get("weights", cls.hub_id),
            config.get("revision"),
            cls.repo,
            offline=config.get("offline"),
            tiny=cls._tiny,
        )

    @classmethod
    def _tiny(cls):
        import importlib

        module, function = cls.tiny_builder.split(":")
        return getattr(importlib.import_module(module), function)()

    # -- a loaded model --------------------------------------------------------------------------------------
    def __init__(self, config: dict, task: str):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # ffmpeg subprocesses fork after tokenizing
        import diffusers

        from videogen.device import SettingsError, resolve_device, torch_dtype
        from videogen.knobs import apply_knobs, check_knobs

        self.check_task(task)
        self.task, self.config = task, config
        self.s = self.settings(config)
        self.device = resolve_device(config.get("device", "auto"))
        check_planned_device(config, self.device.type)
        problems = check_knobs(self.s, self.device)
        if problems:
            raise SettingsError("; ".join(problems))
        self.dtype = torch_dtype(self.s.dtype, self.device)
        self.weights = self.find_weights(config)
        self.pipe = getattr(diffusers, self.pipeline_class).from_pretrained(
            self.weights.path, torch_dtype=self.torch_dtypes()
        )
        self.configure(self.pipe)
        apply_knobs(self.pipe.transformer, self.s, self.dtype)
        self.pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)

    def torch_dtypes(self):
        """``from_pretrained``'s ``torch_dtype``: the run's dtype, or ``{"default": dtype, component: dtype}``
        where the recipe runs a component in another one (e.g. a VAE in float32)."""
        return self.dtype

    def configure(self, pipe) -> None:
        """Set the recipe's scheduler and check that the weights can run these settings (``SettingsError``)."""

    def call_kwargs(self, prompt: str, image) -> dict:
        """The pipeline call's arguments for one video (besides ``generator`` and ``output_type``)."""
        s = self.s
        return dict(
            prompt=prompt,
            negative_prompt=s.negative_prompt,
            height=s.height,
            width=s.width,
            num_frames=s.num_frames,
            num_inference_steps=s.num_inference_steps,
            guidance_scale=s.guidance_scale,
            max_sequence_length=s.max_sequence_length,
            **({} if image is None else {"image": image}),
        )

    def load_image(self, path: str):
        """The conditioning image at the video's size (center crop to the aspect, then diffusers' resize)."""
        from videogen.image import load_conditioning_image

        return load_conditioning_image(path, self.s.width, self.s.height)

    def generate(self, item, unit, out_path: Path) -> VideoFacts:
        import numpy as np
        import torch

        from videogen.knobs import reset_cache
        from videogen.mp4 import write_mp4

        reset_cache(self.pipe.transformer)
        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        image = None if item.image is None else self.load_image(item.image)
        kwargs = self.call_kwargs(item.prompt, image)
        with torch.inference_mode():
            video = self.pipe(
                **kwargs, generator=torch.Generator("cpu").manual_seed(unit.seed), output_type="np"
            ).frames[0]
        frames = (np.clip(video, 0.0, 1.0) * 255).round().astype(np.uint8)
        write_mp4(frames, out_path, fps=self.s.fps, quality=self.s.quality)
        return VideoFacts(
            frames=len(frames),
            fps=self.s.fps,
            width=frames.shape[2],
            height=frames.shape[1],
            seconds=time.perf_counter() - start,
            peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            peak_gpu_bytes=torch.cuda.max_memory_allocated() if cuda else None,
        )

    def describe(self) -> Provenance:
        import diffusers
        import torch
        import transformers

        return Provenance(
            weights={"pipeline": self.weights.to_json()},
            device=str(self.device),
            dtype=str(self.dtype),
            settings=self.s.to_json(),
            versions={
                "torch": torch.__version__,
                "diffusers": diffusers.__version__,
                "transformers": transformers.__version__,
            },
        )

    def close(self) -> None:
        self.pipe = None
