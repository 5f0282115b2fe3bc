"""Devices and dtypes: ``device=auto`` and ``dtype=auto`` resolved the same way for every model."""

from __future__ import annotations

DTYPES = ("auto", "bfloat16", "float16", "float32")


class SettingsError(ValueError):
    """A generation setting a model cannot honour; the message says which and how to fix it."""


def resolved_dtype(dtype: str, device_type: str) -> str:
    """The dtype that ``dtype`` means on a ``device_type`` device: ``auto`` is bf16 on a GPU, fp32 on a CPU."""
    if dtype != "auto":
        return dtype
    return "bfloat16" if device_type == "cuda" else "float32"


def resolve_device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SettingsError(f"device={name} but no CUDA GPU is visible; use device=cpu or device=auto")
    return device


def torch_dtype(name: str, device):
    import torch

    return getattr(torch, resolved_dtype(name, device.type))
