"""Find model weights: hub ids (pinned revision, Hugging Face cache, offline mode), local folders, or a
built-in tiny checkpoint. Everything resolves to a local folder before any model is loaded, so a missing
download is named (with the command that fetches it) before anything heavy starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TINY = "tiny"


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

    @property
    def summary(self) -> str:
        """``source@commit`` (or the revision asked for, or ``local``), as manifests record it."""
        return f"{self.source}@{self.commit or self.revision or 'local'}"


@dataclass(frozen=True)
class Repo:
    """One weights repo a model needs: what it is, the setting that points elsewhere, what must be in it."""

    what: str  # e.g. "CogVideoX-5b-I2V pipeline"
    setting: str  # e.g. "generator.weights"
    required: tuple[str, ...]  # files that must exist in the folder, e.g. ("model_index.json", "vae/config.json")
    patterns: tuple[str, ...] | None = None  # the files to fetch from the hub (None: the whole repo)


def offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}


def resolve(
    source: str,
    revision: str | None,
    repo: Repo,
    *,
    offline: bool | None = None,
    tiny: Callable[[], tuple[Path, str]] | None = None,
) -> ResolvedWeights:
    """``source`` (``tiny``, a folder, or a hub id) -> a local folder holding ``repo.required``.

    ``tiny`` builds (or finds) the built-in checkpoint and returns its folder and version label.
    """
    if source == TINY:
        if tiny is None:
            raise WeightsError(
                f"{repo.what}: there is no tiny checkpoint for it; set {repo.setting} to a folder or a hub id"
            )
        path, commit = tiny()
    elif Path(source).expanduser().is_dir():
        path, commit = Path(source).expanduser().resolve(), None
    elif _looks_like_repo_id(source):
        path, commit = _snapshot(source, revision, offline, repo)
    else:
        raise WeightsError(
            f"{repo.what}: {source!r} is neither a folder nor a Hugging Face repo id (owner/name); "
            f"set {repo.setting} to a local folder, a repo id, or '{TINY}'"
        )
    missing = [name for name in repo.required if not (Path(path) / name).exists()]
    if missing:
        raise WeightsError(
            f"{repo.what}: {path} lacks {', '.join(missing)}; point {repo.setting} at a complete "
            "download (same layout as the hub repo)"
        )
    return ResolvedWeights(source=source, revision=revision, path=str(path), commit=commit)


def require_safetensors(resolved: ResolvedWeights, repo: Repo, subfolder: str = "") -> None:
    """Refuse a folder whose ``subfolder`` has no ``*.safetensors`` (a download of the configs only)."""
    folder = Path(resolved.path) / subfolder
    if not any(folder.glob("*.safetensors")):
        raise WeightsError(
            f"{repo.what}: no *.safetensors in {folder}; download the full repo or set "
            f"{repo.setting} to a folder holding the configs and the safetensors shards"
        )


def download_command(repo_id: str, revision: str | None) -> str:
    return f"huggingface-cli download {repo_id}" + (f" --revision {revision}" if revision else "")


def _looks_like_repo_id(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 2 and all(parts) and not source.startswith((".", "~"))


def _snapshot(repo_id: str, revision: str | None, offline: bool | None, repo: Repo) -> tuple[Path, str]:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    offline = offline_mode() if offline is None else offline
    try:
        path = Path(
            snapshot_download(
                repo_id,
                revision=revision,
                local_files_only=offline,
                allow_patterns=list(repo.patterns) if repo.patterns else None,
            )
        )
    except LocalEntryNotFoundError as err:
        mode = "offline mode is on (HF_HUB_OFFLINE=1)" if offline else "the hub could not be reached"
        raise WeightsError(
            f"{repo.what}: {repo_id}{'@' + revision if revision else ''} is not in the Hugging Face cache "
            f"({os.environ.get('HF_HOME', '~/.cache/huggingface')}) and {mode}. Provide it: run "
            f"`{download_command(repo_id, revision)}` where there is internet (same HF_HOME), or "
            f"download it to a folder and set {repo.setting}=/path/to/folder"
        ) from err
    return path, path.name  # snapshot folders are named by commit hash
