"""Suites: named loaders, and ``load_suite`` which loads one and runs the integrity gate.

The registry maps a suite name to ``"module:function"``; a loader's module is imported only
when that suite is loaded (none of them imports torch, diffusers or vbench). Options are plain
keyword arguments of the loader (from the Hydra ``suite`` config); ``None`` means unset.
A new suite format is one loader module plus one line here.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from eval.errors import SuiteError
from eval.records import Suite
from eval.suites.integrity import check_suite

REGISTRY: dict[str, str] = {
    "vbench_t2v": "eval.suites.vbench_t2v:load_vbench_t2v",
    "vbench_i2v": "eval.suites.vbench_i2v:load_vbench_i2v",
    "custom": "eval.suites.custom:load_custom",
    "smoke": "eval.suites.smoke:load_smoke",
    "smoke_t2v": "eval.suites.smoke:load_smoke_t2v",
}


def suite_loader(name: str) -> Callable[..., Suite]:
    """The loader registered as ``name``."""
    if name not in REGISTRY:
        raise SuiteError(
            f"unknown suite {name!r}; known suites: {', '.join(sorted(REGISTRY))}. "
            "For your own prompts use suite=custom with suite.path=FILE "
            "(.txt: one prompt per line; .jsonl or .csv: prompt, image, id, "
            "dimensions, samples)"
        )
    module, function = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), function)


def load_suite(name: str, long_prompts: str = "error", **options) -> Suite:
    """Load suite ``name`` with ``options`` and pass it through ``check_suite``."""
    loader = suite_loader(name)
    options = {key: value for key, value in options.items() if value is not None}
    try:
        inspect.signature(loader).bind(**options)
    except TypeError as e:
        accepted = ", ".join([*inspect.signature(loader).parameters, "long_prompts"])
        raise SuiteError(f"suite {name!r}: {e}; its options are: {accepted}") from e
    return check_suite(loader(**options), long_prompts=long_prompts)
