"""Launchers: run shard workers in this process (``local``), through submitit's DebugExecutor
(``debug``), or as SLURM job arrays through submitit (``slurm``). Same workers everywhere."""

from __future__ import annotations

import importlib

from eval.errors import HarnessError

REGISTRY = {
    "local": "eval.launch.local:run_local",
    "debug": "eval.launch.submitit_launch:run_debug",
    "slurm": "eval.launch.submitit_launch:run_slurm",
}


def launch(workers: list, config: dict, folder, logs=None) -> list:
    """Run ``workers`` (one per shard) with the launcher named in ``config``; submitit's files go to ``folder``.
    ``logs``: a folder where the in-process launchers send each shard's output, to ``<shard>.log`` (None: to the
    console)."""
    name = config.get("name")
    if name not in REGISTRY:
        raise HarnessError(
            f"unknown launcher {name!r}; known: {', '.join(sorted(REGISTRY))} (pick one with launcher=NAME)"
        )
    module, fn = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), fn)(workers, config, folder, logs)
