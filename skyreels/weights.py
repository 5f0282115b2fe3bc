"""Find SkyReels V1 weights: hub ids (pinned revision, Hugging Face cache, offline mode), local folders,
or the built-in tiny checkpoint. Everything resolves to a local folder before any model is loaded.

The SkyReels transformer (``Skywork/SkyReels-V1-Hunyuan-T2V`` / ``-I2V``) keeps its weights at the repo
root; everything else (VAE, Llama and CLIP text encoders and tokenizers, scheduler) comes from the
diffusers-format ``hunyuanvideo-community/HunyuanVideo``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TINY = "tiny"
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
BASE_PATTERNS = ["model_index.json", *(f"{name}/*" for name in BASE_COMPONENTS)]


class WeightsError(FileNotFoundError):
    """Weights that cannot be found; the message names what is missing and how to provide it."""


@dataclass(frozen=True)
class ResolvedWeights:
    """A weights source resolved to a local folder, with the exact revision that was found."""

    source: str
    revision: str | None
    path: str
    commit: str | None

    def to_json(self) -> dict:
        return {"source": self.source, "revision": self.revision, "path": self.path, "commit": self.commit}


def offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def resolve_base(source: str, revision: str | None = None, *, offline: bool | None = None) -> ResolvedWeights:
    """The HunyuanVideo base pipeline folder (``model_index.json`` plus components)."""
    required = ["model_index.json", *(f"{name}/{marker}" for name, marker in BASE_COMPONENTS.items())]
    return _resolve(source, revision, offline, what="HunyuanVideo base (VAE, text encoders, tokenizers, scheduler)",
                    tiny_subdir="HunyuanVideo", patterns=BASE_PATTERNS, required=required,
                    setting="generator.base")


def resolve_transformer(source: str, task: str, revision: str | None = None, *,
                        offline: bool | None = None) -> ResolvedWeights:
    """The SkyReels transformer folder (``config.json`` and safetensors at its root)."""
    from .tiny import TRANSFORMER_DIRS

    resolved = _resolve(source, revision, offline, what=f"SkyReels V1 {task.upper()} transformer",
                        tiny_subdir=TRANSFORMER_DIRS[task], patterns=["*.json", "*.safetensors"],
                        required=["config.json"], setting="generator.transformer")
    if not any(Path(resolved.path).glob("*.safetensors")):
        raise WeightsError(f"SkyReels V1 {task.upper()} transformer: no *.safetensors in {resolved.path}; "
                           f"download the full repo {DEFAULT_TRANSFORMERS[task]} or set generator.transformer "
                           "to a folder holding config.json and the safetensors shards")
    return resolved


def _resolve(source: str, revision: str | None, offline: bool | None, *, what: str, tiny_subdir: str,
             patterns: list[str], required: list[str], setting: str) -> ResolvedWeights:
    if source == TINY:
        from .tiny import TINY_VERSION, ensure_tiny_checkpoint

        path = ensure_tiny_checkpoint() / tiny_subdir
        commit = f"tiny-v{TINY_VERSION}"
    elif Path(source).expanduser().is_dir():
        path, commit = Path(source).expanduser().resolve(), None
    elif _looks_like_repo_id(source):
        path, commit = _snapshot(source, revision, offline, what=what, patterns=patterns, setting=setting)
    else:
        raise WeightsError(f"{what}: {source!r} is neither a folder nor a Hugging Face repo id (owner/name); "
                           f"set {setting} to a local folder, a repo id, or '{TINY}'")
    missing = [name for name in required if not (path / name).exists()]
    if missing:
        raise WeightsError(f"{what}: {path} lacks {', '.join(missing)}; point {setting} at a complete "
                           "download (same layout as the hub repo)")
    return ResolvedWeights(source=source, revision=revision, path=str(path), commit=commit)


def _looks_like_repo_id(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 2 and all(parts) and not source.startswith((".", "~"))


def _snapshot(repo_id: str, revision: str | None, offline: bool | None, *, what: str, patterns: list[str],
              setting: str) -> tuple[Path, str]:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    offline = offline_mode() if offline is None else offline
    try:
        path = Path(snapshot_download(repo_id, revision=revision, allow_patterns=patterns,
                                      local_files_only=offline))
    except LocalEntryNotFoundError as err:
        rev = f" --revision {revision}" if revision else ""
        mode = "offline mode is on (HF_HUB_OFFLINE=1)" if offline else "the hub could not be reached"
        raise WeightsError(
            f"{what}: {repo_id}{'@' + revision if revision else ''} is not in the Hugging Face cache "
            f"({os.environ.get('HF_HOME', '~/.cache/huggingface')}) and {mode}. Provide it: run "
            f"`huggingface-cli download {repo_id}{rev}` where there is internet (same HF_HOME), or "
            f"download it to a folder and set {setting}=/path/to/folder"
        ) from err
    return path, path.name  # snapshot folders are named by commit hash
