"""The built-in SkyReels V1 generator as a harness adapter."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from eval.device import planned_device_type
from eval.errors import HarnessError
from skyreels.pipeline import ModelSpec, SkyReelsGenerator, resolve_device
from skyreels.recipe import GenerationSettings, resolved_dtype

SETTINGS = {f.name for f in fields(GenerationSettings)}
WEIGHTS = ("base", "base_revision", "transformer", "transformer_revision")


def split_config(config: dict, task: str) -> tuple[ModelSpec, GenerationSettings]:
    """Generator config -> (which weights, which pixel settings); unknown keys are refused."""
    unknown = set(config) - SETTINGS - set(WEIGHTS) - {"name", "device", "device_type", "offline"}
    if unknown:
        raise ValueError(f"unknown generator setting(s) {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(sorted(SETTINGS | set(WEIGHTS)))}")
    spec = ModelSpec(task=task, device=config.get("device", "auto"),
                     **{k: config[k] for k in WEIGHTS if config.get(k) is not None})
    return spec, GenerationSettings(**{k: v for k, v in config.items() if k in SETTINGS})


def resolve(config: dict, task: str, launcher: dict) -> dict:
    """The config with what depends on the device made explicit, for the fingerprint: the planned device
    type (``eval.device``) and the dtype it gives ``dtype=auto``. Settings are checked first (torch-free)."""
    split_config(config, task)
    device_type = planned_device_type(config.get("device", "auto"), launcher)
    return {**config, "device_type": device_type, "dtype": resolved_dtype(config.get("dtype", "auto"), device_type)}


def preflight(config: dict, task: str) -> None:
    """Check the settings and find the weights without loading them, so that a missing download stops the
    run before anything is launched. The tiny checkpoint is built where it is used."""
    from skyreels.weights import TINY, resolve_base, resolve_transformer

    spec, _ = split_config(config, task)
    checks = [(spec.base, lambda: resolve_base(spec.base, spec.base_revision, offline=config.get("offline"))),
              (spec.transformer_source, lambda: resolve_transformer(spec.transformer_source, task,
                                                                    spec.transformer_revision,
                                                                    offline=config.get("offline")))]
    problems = []
    for source, resolve in checks:
        if source != TINY:
            try:
                resolve()
            except OSError as err:
                problems.append(str(err))
    if problems:
        raise FileNotFoundError("\n".join(f"  - {p}" for p in ["weights missing:", *problems])[4:])


class SkyReelsAdapter:
    def __init__(self, config: dict, task: str):
        spec, settings = split_config(config, task)
        planned, actual = config.get("device_type"), resolve_device(spec.device).type
        if planned and actual != planned:
            raise HarnessError(f"this run was planned for device type {planned} (part of its fingerprint, since it "
                               f"changes pixels) but this worker has {actual}: run it where {planned} is (e.g. SLURM "
                               f"launcher.gres=gpu:1 for cuda), or give generator.device={actual} for a new run")
        self.generator = SkyReelsGenerator.load(spec, settings, offline=config.get("offline"))

    def generate(self, item, unit, out_path: Path) -> dict:
        info = self.generator.generate(item.prompt, seed=unit.seed, out_path=out_path, image=item.image)
        return {k: getattr(info, k) for k in ("frames", "fps", "width", "height", "seconds",
                                              "peak_rss_bytes", "peak_gpu_bytes")}

    def describe(self) -> dict:
        return self.generator.describe()

    def close(self) -> None:
        self.generator.close()
