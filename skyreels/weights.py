"""Find SkyReels V1 weights: hub ids (pinned revision, Hugging Face cache, offline mode), local folders,
or the built-in tiny checkpoint. Everything resolves to a local folder before any model is loaded.

The SkyReels transformer (``Skywork/SkyReels-V1-Hunyuan-T2V`` / ``-I2V``) keeps its weights at the repo
root; everything else (VAE, Llama and CLIP text encoders and tokenizers, scheduler) comes from the
diffusers-format ``hunyuanvideo-community/HunyuanVideo``.
"""

from __future__ import annotations

from videogen.weights import TINY, Repo, ResolvedWeights, WeightsError, require_safetensors, resolve

from .tiny import BASE_DIR, TRANSFORMER_DIRS

__all__ = ["TINY", "DEFAULT_BASE", "DEFAULT_TRANSFORMERS", "WeightsError", "resolve_base", "resolve_transformer"]

DEFAULT_BASE = "hunyuanvideo-community/HunyuanVideo"
DEFAULT_TRANSFORMERS = {"t2v": "Skywork/SkyReels-V1-Hunyuan-T2V", "i2v": "Skywork/SkyReels-V1-Hunyuan-I2V"}

# Base components SkyReels uses; the base repo's own (HunyuanVideo) transformer is never needed.
BASE_COMPONENTS = {
    "vae": "config.json",
    "text_encoder": "config.json",
    "text_encoder_2": "config.json",
    "tokenizer": "tokenizer_config.json",
    "tokenizer_2": "tokenizer_config.json",
    "scheduler": "scheduler_config.json",
}
BASE_REPO = Repo(
    what=f"HunyuanVideo base ({DEFAULT_BASE}: VAE, text encoders, tokenizers, scheduler)",
    setting="generator.base",
    patterns=("model_index.json", *(f"{name}/*" for name in BASE_COMPONENTS)),
    required=("model_index.json", *(f"{name}/{marker}" for name, marker in BASE_COMPONENTS.items())),
)


def resolve_base(source: str, revision: str | None = None, *, offline: bool | None = None) -> ResolvedWeights:
    """The HunyuanVideo base pipeline folder (``model_index.json`` plus components)."""
    return resolve(source, revision, BASE_REPO, offline=offline, tiny=lambda: _tiny(BASE_DIR))


def resolve_transformer(
    source: str, task: str, revision: str | None = None, *, offline: bool | None = None
) -> ResolvedWeights:
    """The SkyReels transformer folder (``config.json`` and safetensors at its root)."""
    repo = Repo(
        what=f"SkyReels V1 {task.upper()} transformer ({DEFAULT_TRANSFORMERS[task]})",
        setting="generator.transformer",
        required=("config.json",),
        patterns=("*.json", "*.safetensors"),
    )
    resolved = resolve(source, revision, repo, offline=offline, tiny=lambda: _tiny(TRANSFORMER_DIRS[task]))
    require_safetensors(resolved, repo)
    return resolved


def _tiny(subdir: str):
    from .tiny import TINY_VERSION, ensure_tiny_checkpoint

    return ensure_tiny_checkpoint() / subdir, f"tiny-v{TINY_VERSION}"
