"""The built-in SkyReels V1 generator (``skyreels/``) as a harness adapter."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from eval.generators.base import (
    ExpectedVideo,
    Generator,
    Provenance,
    VideoFacts,
    check_planned_device,
    resolve_device_dtype,
)
from skyreels.recipe import GenerationSettings, SettingsError
from videogen.knobs import architecture_problems

SETTINGS = {f.name for f in fields(GenerationSettings)}
WEIGHTS = ("base", "base_revision", "transformer", "transformer_revision")
TINY = "tiny"
TRANSFORMER_CLASS = "HunyuanVideoTransformer3DModel"  # for the speed-knob checks (videogen.knobs)


def split_config(config: dict, task: str):
    """Generator config -> (which weights, which pixel settings); unknown keys are refused."""
    from skyreels.pipeline import ModelSpec

    unknown = set(config) - SETTINGS - set(WEIGHTS) - {"name", "device", "device_type", "offline"}
    if unknown:
        raise ValueError(
            f"unknown generator setting(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(SETTINGS | set(WEIGHTS)))}"
        )
    spec = ModelSpec(
        task=task, device=config.get("device", "auto"), **{k: config[k] for k in WEIGHTS if config.get(k) is not None}
    )
    settings = GenerationSettings(**{k: v for k, v in config.items() if k in SETTINGS})
    problems = architecture_problems(settings, TRANSFORMER_CLASS)
    if problems:
        raise SettingsError("; ".join(problems))
    return spec, settings


class SkyReelsAdapter(Generator):
    """SkyReels V1 T2V and I2V through ``skyreels.pipeline.SkyReelsGenerator``."""

    @classmethod
    def resolve(cls, config: dict, task: str, launcher: dict) -> dict:
        """The planned device type (``eval.device``) and the dtype it gives ``dtype=auto`` made explicit;
        settings are checked first (torch-free), speed knobs against the planned device too, and a cache threshold
        without a cache is left out of the fingerprint."""
        cls.check_task(task)
        return resolve_device_dtype(config, launcher, split_config(config, task)[1])

    @classmethod
    def preflight(cls, config: dict, task: str) -> None:
        """Find the weights without loading them, so that a missing download stops the run before anything
        is launched. The tiny checkpoint is built where it is used."""
        from skyreels.weights import resolve_base, resolve_transformer

        spec, _ = split_config(config, task)
        checks = [
            (spec.base, lambda: resolve_base(spec.base, spec.base_revision, offline=config.get("offline"))),
            (
                spec.transformer_source,
                lambda: resolve_transformer(
                    spec.transformer_source, task, spec.transformer_revision, offline=config.get("offline")
                ),
            ),
        ]
        problems = []
        for source, find in checks:
            if source != TINY:
                try:
                    find()
                except OSError as err:
                    problems.append(str(err))
        if problems:
            raise FileNotFoundError("\n".join(f"  - {p}" for p in ["weights missing:", *problems])[4:])

    @classmethod
    def expected_video(cls, config: dict) -> ExpectedVideo:
        s = GenerationSettings(**{k: v for k, v in config.items() if k in SETTINGS})
        return ExpectedVideo(fps=s.fps, frames=s.num_frames, width=s.width, height=s.height)

    @classmethod
    def random_weights(cls, config: dict) -> bool:
        return TINY in (config.get("base"), config.get("transformer"))

    @classmethod
    def display_name(cls, config: dict, task: str) -> str:
        return f"SkyReels V1 {task.upper()}" + (" (tiny random)" if cls.random_weights(config) else "")

    @classmethod
    def published_as(cls, config: dict, task: str) -> str | None:
        # SkyReels' README row is its own 540P run of standard VBench (no VBench-I2V figure is published).
        return None if cls.random_weights(config) or task != "t2v" else "SkyReels V1 540P"

    def __init__(self, config: dict, task: str):
        from skyreels.pipeline import SkyReelsGenerator
        from videogen.device import resolve_device

        spec, settings = split_config(config, task)
        check_planned_device(config, resolve_device(spec.device).type)
        self.generator = SkyReelsGenerator.load(spec, settings, offline=config.get("offline"))

    def generate(self, item, unit, out_path: Path) -> VideoFacts:
        info = self.generator.generate(item.prompt, seed=unit.seed, out_path=out_path, image=item.image)
        return VideoFacts(
            frames=info.frames,
            fps=info.fps,
            width=info.width,
            height=info.height,
            seconds=info.seconds,
            peak_rss_bytes=info.peak_rss_bytes,
            peak_gpu_bytes=info.peak_gpu_bytes,
        )

    def describe(self) -> Provenance:
        d = self.generator.describe()
        return Provenance(
            weights=d["weights"], device=d["device"], dtype=d["dtype"], settings=d["settings"], versions=d["versions"]
        )

    def close(self) -> None:
        self.generator.close()
