"""Speed knobs every diffusers video model takes, applied to its loaded transformer. Defaults are exact (the
recipe as published); every knob is a generator setting, so it is in the run's fingerprint (it may change
pixels), and what a model or device cannot do is refused before anything runs.

Checked against diffusers 0.39.0 (github.com/huggingface/diffusers, tag v0.39.0 = a3608b5; the paths below are
under ``src/diffusers/``):

- ``attention_backend``: diffusers' attention dispatcher (``models/attention_dispatch.py``,
  ``AttentionBackendName``; ``ModelMixin.set_attention_backend`` in ``models/modeling_utils.py``). ``native``
  (PyTorch SDPA) is set explicitly too, so neither ``DIFFUSERS_ATTN_BACKEND`` nor another model's
  ``set_attention_backend`` (it also sets the process-wide active backend) can change it silently. It only
  reaches processors that dispatch (``HunyuanVideoAttnProcessor2_0``, ``WanAttnProcessor``); CogVideoX's
  ``CogVideoXAttnProcessor2_0`` (``models/attention_processor.py``) calls ``F.scaled_dot_product_attention``
  itself, so another backend is refused there rather than recorded and ignored. HunyuanVideo masks its text
  padding (``transformer_hunyuan_video.py``, "Attention mask preparation"), and the backends that raise on
  ``attn_mask`` (``flash``, ``sage``, ``_native_flash`` ... : ``MASKLESS_BACKENDS``) would fail at its first
  step; use their ``*_varlen`` forms, which turn the mask into sequence lengths (``_normalize_attn_mask``).
- ``compile``: ``torch.compile`` of the transformer's repeated blocks (``ModelMixin.compile_repeated_blocks``,
  regional compilation) where the model declares ``_repeated_blocks`` (HunyuanVideo, Wan), else of the whole
  transformer (CogVideoX declares none). ``COMPILE_OPTIONS`` are passed to ``torch.compile``.
- ``fp8_layerwise``: ``ModelMixin.enable_layerwise_casting``: weights stored in ``float8_e4m3fn`` and upcast to
  the compute dtype layer by layer (``hooks/layerwise_casting.py``); the model's ``_skip_layerwise_casting_patterns``
  and ``_keep_in_fp32_modules`` (embedders, norms) stay in the compute dtype. It runs on a CPU too.
- ``cache`` / ``cache_threshold``: diffusers' step caching. ``first_block``: First Block Cache
  (``hooks/first_block_cache.py``): per call, when the first block's residual differs from the previous step's
  by less than ``cache_threshold`` (relative mean absolute difference), the other blocks are skipped and their
  cached residual is added instead: TeaCache's idea. Its state is kept per cache context (``hooks/hooks.py``,
  ``StateManager``), which the T2V pipelines name per CFG branch (``transformer.cache_context("cond")``) but
  ``HunyuanSkyreelsImageToVideoPipeline`` and ``HunyuanVideoImageToVideoPipeline`` do not (they fail with
  "No context is set"). So every call is named here (``_name_cache_contexts``): a call on the same latents
  tensor as the call before it is the unconditional branch of the same step. Other diffusers caches are not
  offered: Pyramid Attention Broadcast keeps one state per attention module whatever the context
  (``hooks/pyramid_attention_broadcast.py``), so with CFG as two calls (HunyuanVideo, Wan) the unconditional
  pass would reuse the conditional pass's attention; FasterCache's CFG reuse assumes a batch of cond and uncond
  (``hooks/faster_cache.py``); MagCache needs per-model calibrated ``mag_ratios`` (``hooks/mag_cache.py``);
  TaylorSeer's default module patterns (``hooks/taylorseer_cache.py``, ``^blocks.*attn``) match no module of
  Wan or CogVideoX (theirs are ``attn1``/``attn2``), so it would silently do nothing there.
"""

from __future__ import annotations

from dataclasses import dataclass

# diffusers 0.39.0 AttentionBackendName values (models/attention_dispatch.py); tests check them against diffusers.
ATTENTION_BACKENDS = (
    "flash",
    "flash_hub",
    "flash_varlen",
    "flash_varlen_hub",
    "flash_4_hub",
    "_flash_3",
    "_flash_varlen_3",
    "_flash_3_hub",
    "_flash_3_varlen_hub",
    "aiter",
    "flex",
    "native",
    "_native_cudnn",
    "_native_efficient",
    "_native_flash",
    "_native_math",
    "_native_npu",
    "_native_xla",
    "sage",
    "sage_hub",
    "sage_varlen",
    "_sage_qk_int8_pv_fp8_cuda",
    "_sage_qk_int8_pv_fp8_cuda_sm90",
    "_sage_qk_int8_pv_fp16_cuda",
    "_sage_qk_int8_pv_fp16_triton",
    "xformers",
)
# The backends whose function raises on an ``attn_mask`` (diffusers 0.39.0; tests check them against its source).
MASKLESS_BACKENDS = (
    "flash",
    "flash_hub",
    "flash_4_hub",
    "_flash_3",
    "_flash_3_hub",
    "aiter",
    "_native_flash",
    "_native_xla",
    "sage",
    "sage_hub",
    "_sage_qk_int8_pv_fp8_cuda",
    "_sage_qk_int8_pv_fp8_cuda_sm90",
    "_sage_qk_int8_pv_fp16_cuda",
    "_sage_qk_int8_pv_fp16_triton",
)
# The backends that run without CUDA (native SDPA picks its CPU kernel; flex runs through inductor on a CPU).
CPU_ATTENTION_BACKENDS = ("native", "_native_math", "flex")
CACHES = ("none", "first_block")
COMPILE_OPTIONS: dict = {}  # torch.compile's keyword arguments (none: inductor, default mode)


@dataclass(frozen=True)
class Architecture:
    """What the knobs can do on one diffusers transformer class (diffusers 0.39.0; tests check each entry on a
    model of the class)."""

    dispatches_attention: bool  # its attention processors call diffusers' dispatcher
    masks_attention: bool  # ... with an attention mask
    caches: tuple[str, ...]  # the caches of CACHES (besides none) whose hooks know its blocks


ARCHITECTURES = {
    "HunyuanVideoTransformer3DModel": Architecture(True, True, ("first_block",)),
    "WanTransformer3DModel": Architecture(True, False, ("first_block",)),
    "CogVideoXTransformer3DModel": Architecture(False, False, ("first_block",)),
}
# Each built-in pipeline's transformer class, so that settings are checked before anything is loaded.
PIPELINE_TRANSFORMERS = {
    "HunyuanVideoPipeline": "HunyuanVideoTransformer3DModel",
    "HunyuanSkyreelsImageToVideoPipeline": "HunyuanVideoTransformer3DModel",
    "HunyuanVideoImageToVideoPipeline": "HunyuanVideoTransformer3DModel",
    "WanPipeline": "WanTransformer3DModel",
    "WanImageToVideoPipeline": "WanTransformer3DModel",
    "CogVideoXPipeline": "CogVideoXTransformer3DModel",
    "CogVideoXImageToVideoPipeline": "CogVideoXTransformer3DModel",
}


@dataclass(frozen=True)
class SpeedKnobs:
    attention_backend: str = "native"
    compile: bool = False
    fp8_layerwise: bool = False
    cache: str = "none"
    cache_threshold: float = 0.05  # diffusers' FirstBlockCacheConfig default; used only with a cache

    def knob_problems(self) -> list[str]:
        """What is wrong with these knobs on any model (torch-free)."""
        problems = []
        if self.attention_backend not in ATTENTION_BACKENDS:
            problems.append(
                f"attention_backend={self.attention_backend!r} is not a diffusers attention backend; "
                f"use one of {', '.join(ATTENTION_BACKENDS)}"
            )
        for name in ("compile", "fp8_layerwise"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name}={getattr(self, name)!r} must be true or false")
        if self.cache not in CACHES:
            problems.append(f"cache={self.cache!r} is not one of {', '.join(CACHES)}")
        if (
            isinstance(self.cache_threshold, bool)
            or not isinstance(self.cache_threshold, (int, float))
            or not 0 < self.cache_threshold < 1
        ):
            problems.append(
                f"cache_threshold={self.cache_threshold!r} must be a number between 0 and 1 "
                "(e.g. 0.05; higher skips more steps)"
            )
        return problems


def architecture_problems(knobs: SpeedKnobs, transformer_class: str | None) -> list[str]:
    """What ``knobs`` cannot do on ``transformer_class`` (a diffusers class name) as known without loading it."""
    arch = ARCHITECTURES.get(transformer_class or "")
    if arch is None:
        return []  # checked on the loaded model (model_problems)
    problems = []
    backend = knobs.attention_backend
    if backend != "native" and not arch.dispatches_attention:
        problems.append(
            f"attention_backend={backend!r}: {transformer_class}'s attention calls PyTorch SDPA "
            "itself, not diffusers' dispatcher, so the backend would change nothing; use native"
        )
    elif arch.masks_attention and backend in MASKLESS_BACKENDS:
        varlen = {
            "flash": "flash_varlen",
            "sage": "sage_varlen",
            "flash_hub": "flash_varlen_hub",
            "_flash_3": "_flash_varlen_3",
            "_flash_3_hub": "_flash_3_varlen_hub",
        }.get(backend)
        problems.append(
            f"attention_backend={backend!r} takes no attention mask, and {transformer_class} masks "
            "its text padding; use "
            + (
                f"{varlen} (the same kernel, the mask as sequence lengths)"
                if varlen
                else "native, flash_varlen or sage_varlen"
            )
        )
    if knobs.cache != "none" and knobs.cache not in arch.caches:
        problems.append(
            f"cache={knobs.cache!r} has no hooks for {transformer_class}'s blocks; use "
            + " or ".join(("none", *arch.caches))
        )
    return problems


def check_knobs(knobs: SpeedKnobs, device) -> list[str]:
    """What ``knobs`` cannot do on ``device`` (a torch.device or a device type such as ``"cpu"``)."""
    device_type = getattr(device, "type", device)
    problems = []
    if device_type != "cuda" and knobs.attention_backend not in CPU_ATTENTION_BACKENDS:
        problems.append(
            f"attention_backend={knobs.attention_backend!r} needs a GPU; on the {device_type.upper()} "
            f"use one of {', '.join(CPU_ATTENTION_BACKENDS)}"
        )
    return problems


def fingerprinted(config: dict) -> dict:
    """``config`` without the knob settings that do nothing in it (a cache threshold without a cache), so that
    they do not split one run into several run directories."""
    if config.get("cache", "none") == "none":
        return {k: v for k, v in config.items() if k != "cache_threshold"}
    return config


def model_problems(transformer, knobs: SpeedKnobs) -> list[str]:
    """What ``knobs`` cannot do on this loaded transformer (any class), found by looking at it."""
    problems = architecture_problems(knobs, type(transformer).__name__)
    name = type(transformer).__name__
    if knobs.attention_backend != "native" and not _dispatching_processors(transformer) and not problems:
        problems.append(
            f"attention_backend={knobs.attention_backend!r}: no attention processor of {name} "
            "calls diffusers' dispatcher, so the backend would change nothing; use native"
        )
    if knobs.cache == "first_block":
        unknown = _unregistered_blocks(transformer)
        if unknown is None:
            problems.append(f"cache=first_block needs at least two transformer blocks in {name}")
        elif unknown:
            problems.append(
                f"cache=first_block: diffusers has no block metadata for {', '.join(unknown)} "
                f"(hooks/_helpers.py TransformerBlockRegistry); use cache=none"
            )
    if not hasattr(transformer, "enable_cache") and knobs.cache != "none":
        problems.append(f"cache={knobs.cache!r}: {name} has no enable_cache (diffusers' CacheMixin)")
    return list(dict.fromkeys(problems))


def apply_knobs(transformer, knobs: SpeedKnobs, compute_dtype) -> None:
    """Apply ``knobs`` to a loaded diffusers transformer, before its first call (and before it is moved to its
    device). Order: attention backend, fp8 storage, cache hooks, then compilation, so that the compiled blocks
    include the hooks. ``SettingsError`` (naming the fix) if the model cannot take them."""
    import torch

    from .device import SettingsError

    problems = model_problems(transformer, knobs)
    if problems:
        raise SettingsError("; ".join(problems))
    if _dispatching_processors(transformer):
        _quietly(transformer.set_attention_backend, knobs.attention_backend)
    if knobs.fp8_layerwise:
        transformer.enable_layerwise_casting(storage_dtype=torch.float8_e4m3fn, compute_dtype=compute_dtype)
    if knobs.cache == "first_block":
        from diffusers.hooks import FirstBlockCacheConfig

        transformer.enable_cache(FirstBlockCacheConfig(threshold=float(knobs.cache_threshold)))
        _name_cache_contexts(transformer)
    if knobs.compile:
        if getattr(transformer, "_repeated_blocks", None):
            transformer.compile_repeated_blocks(**COMPILE_OPTIONS)
        else:
            transformer.compile(**COMPILE_OPTIONS)


def reset_cache(transformer) -> None:
    """Forget cached residuals before a video. The pipelines do it at their end (``maybe_free_model_hooks``),
    but not after a video that failed half-way, whose state would leak into the next one."""
    if getattr(transformer, "is_cache_enabled", False):
        transformer._reset_stateful_cache()


def _name_cache_contexts(transformer) -> None:
    """Before each transformer call, set the cache context the way ``CacheMixin.cache_context`` does
    (``models/cache_utils.py``): ``cond``, or ``uncond`` for a second call on the same latents tensor (CFG as two
    calls in one step), so that each branch compares with its own previous step."""
    import torch
    from diffusers.hooks import HookRegistry

    last: list = [None]

    @torch.compiler.disable
    def name_context(module, args, kwargs):
        latents = kwargs["hidden_states"] if "hidden_states" in kwargs else (args[0] if args else None)
        name = "uncond" if latents is not None and latents is last[0] else "cond"
        last[0] = latents
        HookRegistry.check_if_exists_or_initialize(module)._set_context(name)

    transformer.register_forward_pre_hook(name_context, with_kwargs=True)


def _dispatching_processors(transformer) -> list:
    return [
        m
        for m in transformer.modules()
        if getattr(m, "processor", None) is not None and hasattr(m.processor, "_attention_backend")
    ]


def _unregistered_blocks(transformer):
    """The block classes First Block Cache would hook but diffusers has no metadata for (``[]``: all known);
    ``None`` if there are fewer than two blocks. The blocks are chosen as ``apply_first_block_cache`` does."""
    import torch
    from diffusers.hooks._common import _ALL_TRANSFORMER_BLOCK_IDENTIFIERS
    from diffusers.hooks._helpers import TransformerBlockRegistry

    blocks = [
        block
        for name, child in transformer.named_children()
        if name in _ALL_TRANSFORMER_BLOCK_IDENTIFIERS and isinstance(child, torch.nn.ModuleList)
        for block in child
    ]
    if len(blocks) < 2:
        return None
    unknown = []
    for block in blocks:
        try:
            TransformerBlockRegistry.get(type(block))
        except ValueError:
            unknown.append(type(block).__name__)
    return sorted(set(unknown))


def _quietly(method, *args) -> None:
    """Call ``method`` without diffusers' "experimental feature" warning (logged on every call)."""
    import logging

    logger = logging.getLogger("diffusers.models.modeling_utils")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        method(*args)
    finally:
        logger.setLevel(level)
