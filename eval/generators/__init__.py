"""Generator adapters: a registry of ``name -> "module:Class"``, imported only when a stage needs one.

An adapter is constructed as ``Class(spec_config: dict, task: str)`` (loading its model once) and has
``generate(item, unit, out_path) -> dict`` (frames, fps, width, height, seconds, peak memory),
``describe() -> dict`` (provenance) and ``close()``. Its module may define ``preflight(config, task)``, run
before any launch to stop a run that cannot work (missing weights, bad settings) in seconds, and
``resolve(config, task, launcher) -> config``, what is fingerprinted (e.g. ``dtype=auto`` made explicit for
the device the workers will have). A new generator:
one module, one config file under ``configs/generator/``, one line here.
"""
from __future__ import annotations

import importlib

from eval.errors import HarnessError

REGISTRY = {
    "skyreels": "eval.generators.skyreels:SkyReelsAdapter",
    "external": "eval.generators.external:ExternalVideos",
}


def _lookup(name: str) -> tuple[object, str]:
    if name not in REGISTRY:
        raise HarnessError(f"unknown generator {name!r}; known: {', '.join(sorted(REGISTRY))} "
                           "(pick one with generator=NAME)")
    module, cls = REGISTRY[name].split(":")
    return importlib.import_module(module), cls


def load_generator(config: dict, task: str):
    module, cls = _lookup(config["name"])
    return getattr(module, cls)(config, task)


def resolve_generator(config: dict, task: str, launcher: dict) -> dict:
    """The config to fingerprint: the adapter's ``resolve(config, task, launcher)`` where it has one (making
    explicit what depends on the device the workers get), else ``config``; errors as in ``preflight_generator``."""
    module, _ = _lookup(config["name"])
    resolve = getattr(module, "resolve", None)
    if resolve is None:
        return config
    try:
        return resolve(config, task, launcher)
    except ValueError as err:
        raise HarnessError(f"generator {config['name']}: {err}") from None


def preflight_generator(config: dict, task: str) -> None:
    """The adapter's ``preflight`` (if it has one); its errors become ``HarnessError`` with the same message."""
    module, _ = _lookup(config["name"])
    check = getattr(module, "preflight", None)
    if check is None:
        return
    try:
        check(config, task)
    except (ValueError, OSError) as err:
        raise HarnessError(f"generator {config['name']}: {err}") from None
