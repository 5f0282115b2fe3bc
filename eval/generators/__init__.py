"""Generator adapters: a registry of ``name -> "module:Class"``, imported only when a stage needs one.

Each adapter is a ``eval.generators.base.Generator`` subclass in its own module, with its configs under
``configs/generator/``. Adapter modules import torch and diffusers only inside the methods that load a model,
so planning, status and reports stay torch-free. A new generator: one module, one config file, one line here.
"""

from __future__ import annotations

import importlib

from eval.errors import HarnessError, UnsupportedTask
from eval.generators.base import TaskMismatch

REGISTRY = {
    "skyreels": "eval.generators.skyreels:SkyReelsAdapter",
    "cogvideox_i2v": "eval.generators.cogvideox:CogVideoXI2V",
    "wan_t2v": "eval.generators.wan:WanT2V",
    "wan_i2v": "eval.generators.wan:WanI2V",
    "hunyuanvideo_i2v": "eval.generators.hunyuanvideo_i2v:HunyuanVideoI2V",
    "external": "eval.generators.external:ExternalVideos",
}


def generator_class(name: str):
    """The adapter class registered as ``name`` (its module imported, nothing loaded)."""
    if name not in REGISTRY:
        raise HarnessError(
            f"unknown generator {name!r}; known: {', '.join(sorted(REGISTRY))} "
            "(pick one with generator=NAME, a file under configs/generator/)"
        )
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def load_generator(config: dict, task: str):
    return generator_class(config["name"])(config, task)


def resolve_generator(config: dict, task: str, launcher: dict) -> dict:
    """The config to fingerprint (``Generator.resolve``); a bad setting is a ``HarnessError`` naming it."""
    try:
        return generator_class(config["name"]).resolve(config, task, launcher)
    except TaskMismatch as err:
        raise UnsupportedTask(f"generator {config['name']}: {err}") from None
    except ValueError as err:
        raise HarnessError(f"generator {config['name']}: {err}") from None


def preflight_generator(config: dict, task: str) -> None:
    """``Generator.preflight``: its errors become ``HarnessError`` with the same message."""
    try:
        generator_class(config["name"]).preflight(config, task)
    except (ValueError, OSError) as err:
        raise HarnessError(f"generator {config['name']}: {err}") from None
