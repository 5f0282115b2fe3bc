"""Generator adapters: a registry of ``name -> "module:Class"``, imported only when a stage needs one.

An adapter is constructed as ``Class(spec_config: dict, task: str)`` (loading its model once) and has
``generate(item, unit, out_path) -> dict`` (frames, fps, width, height, seconds, peak memory),
``describe() -> dict`` (provenance) and ``close()``. A new generator: one module, one config
file under ``configs/generator/``, one line here.
"""
from __future__ import annotations

import importlib

from eval.errors import HarnessError

REGISTRY = {
    "skyreels": "eval.generators.skyreels:SkyReelsAdapter",
    "external": "eval.generators.external:ExternalVideos",
}


def load_generator(config: dict, task: str):
    name = config["name"]
    if name not in REGISTRY:
        raise HarnessError(f"unknown generator {name!r}; known: {', '.join(sorted(REGISTRY))} "
                           "(pick one with generator=NAME)")
    module, cls = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)(config, task)
