"""The kind of device (``cpu`` or ``cuda``) the generate workers will run on, decided when planning.

It is part of a generator's fingerprint because it changes pixels: ``dtype=auto`` is bf16 on a GPU and
fp32 on a CPU, and the kernels differ; the GPU model is not (same kernels and dtype, same recipe).
It is read from the config wherever it can be: an explicit ``generator.device``, or on SLURM the requested
``launcher.gres`` (the workers run on other machines, so this one's GPUs say nothing). Only ``device=auto``
with an in-process launcher (local, debug) asks torch whether this machine has CUDA: torch is imported here
lazily, in the plan stage only, so ``--help`` and config errors stay torch-free, and a local run imports it
anyway to generate. A worker refuses to run on another kind than the planned one
(``eval.generators.base.check_planned_device``).
"""

from __future__ import annotations

IN_PROCESS_LAUNCHERS = ("local", "debug")


def planned_device_type(device: str, launcher: dict) -> str:
    """``cpu`` or ``cuda`` (the type part of an explicit device such as ``cuda:1``)."""
    if device != "auto":
        return str(device).split(":")[0]
    if launcher.get("name") not in IN_PROCESS_LAUNCHERS:
        return "cuda" if "gpu" in str(launcher.get("gres") or "") else "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
