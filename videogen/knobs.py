"""Speed knobs every diffusers video model takes, applied to a loaded pipeline. Defaults are exact (the
recipe as published); each knob changes the generator's fingerprint, since it may change pixels.

- ``attention_backend``: diffusers' attention dispatcher (``native`` is PyTorch SDPA; ``flash``,
  ``sage`` ... need a GPU and their kernels).
- ``compile``: ``torch.compile`` of the transformer's repeated blocks (``compile_repeated_blocks``) where the
  model declares them, else of the whole transformer.
- ``fp8_layerwise``: layerwise casting, weights stored in ``float8_e4m3fn`` and upcast to the compute dtype
  per layer (``ModelMixin.enable_layerwise_casting``).
- ``cache`` / ``cache_threshold``: diffusers' step caching hooks (``first_block``: First Block Cache, which
  reuses the residual of the remaining blocks while the first block's output changes by less than the
  threshold, TeaCache's idea).
"""
from __future__ import annotations

from dataclasses import dataclass

# diffusers attention backends that run without CUDA.
CPU_ATTENTION_BACKENDS = ("native", "_native_math", "flex")
CACHES = ("none", "first_block")


@dataclass(frozen=True)
class SpeedKnobs:
    attention_backend: str = "native"
    compile: bool = False
    fp8_layerwise: bool = False
    cache: str = "none"
    cache_threshold: float = 0.05

    def knob_problems(self) -> list[str]:
        problems = []
        if self.cache not in CACHES:
            problems.append(f"cache={self.cache!r} is not one of {', '.join(CACHES)}")
        if not 0 < self.cache_threshold < 1:
            problems.append(f"cache_threshold={self.cache_threshold} must be between 0 and 1 (e.g. 0.05)")
        return problems


def check_knobs(knobs: SpeedKnobs, device, *, offloaded: bool = False) -> list[str]:
    """What ``knobs`` cannot do on ``device`` (torch.device)."""
    problems = []
    if device.type == "cpu" and knobs.attention_backend not in CPU_ATTENTION_BACKENDS:
        problems.append(f"attention_backend={knobs.attention_backend!r} needs a GPU; on the CPU use one of "
                        f"{', '.join(CPU_ATTENTION_BACKENDS)}")
    return problems


def apply_knobs(transformer, knobs: SpeedKnobs, compute_dtype) -> None:
    """Apply ``knobs`` to a loaded diffusers transformer (before it is moved to its device)."""
    import torch

    if knobs.attention_backend != "native":
        transformer.set_attention_backend(knobs.attention_backend)
    if knobs.fp8_layerwise:
        transformer.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute_dtype)
    if knobs.cache == "first_block":
        from diffusers.hooks import FirstBlockCacheConfig

        transformer.enable_cache(FirstBlockCacheConfig(threshold=knobs.cache_threshold))
    if knobs.compile:
        if getattr(transformer, "_repeated_blocks", None):
            transformer.compile_repeated_blocks()
        else:
            transformer.compile()
