"""Append-only JSONL manifests, one per shard: a unit is done only once its line exists and its file's sha256 matches.

Each line is appended (``eval.jsonl``) after the video has been renamed into place, so a crash leaves
either no line (the unit is redone) or a complete one.
"""
from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from .atomic import sha256_file
from .jsonl import append_line, latest_by, read_lines

MANIFEST_DIR = "manifests"


@dataclass(frozen=True)
class GenerationRecord:
    """One manifest line: a unit that was generated (``status="done"``) or that failed."""

    key: str
    item_id: str
    index: int
    seed: int
    status: str
    video: str | None = None  # relative to the run directory
    sha256: str | None = None
    size: int | None = None  # bytes, so that ``eval.status`` spots a truncated video without hashing it
    frames: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    peak_rss_bytes: int | None = None
    peak_gpu_bytes: int | None = None
    error: str | None = None
    device: str | None = None
    weights: dict | None = None  # resolved weight sources, e.g. {"transformer": "Skywork/...@<commit>"}
    host: str = ""
    slurm_job_id: str | None = None
    slurm_array_task_id: str | None = None
    time: float = 0.0

    @staticmethod
    def environment() -> dict:
        """Host and SLURM ids; an array task's job id is written ``<array job>_<task>`` as squeue shows it."""
        env = os.environ
        task = env.get("SLURM_ARRAY_TASK_ID")
        job = f"{env['SLURM_ARRAY_JOB_ID']}_{task}" if task and env.get("SLURM_ARRAY_JOB_ID") else env.get("SLURM_JOB_ID")
        return {"host": socket.gethostname(), "slurm_job_id": job, "slurm_array_task_id": task}


def manifest_path(run_dir: Path, shard: int, n_shards: int) -> Path:
    return Path(run_dir) / MANIFEST_DIR / f"shard-{shard:05d}-of-{n_shards:05d}.jsonl"


def append_record(path: Path, record: GenerationRecord) -> None:
    append_line(path, asdict(record))


def read_records(run_dir: Path) -> list[GenerationRecord]:
    """Every complete line of every manifest of the run, in file order."""
    return [GenerationRecord(**line) for path in sorted((Path(run_dir) / MANIFEST_DIR).glob("*.jsonl"))
            for line in read_lines(path)]


def latest_by_key(records: list[GenerationRecord]) -> dict[str, GenerationRecord]:
    return latest_by(records, key=lambda r: r.key, ok=lambda r: r.status == "done")


def done_records(run_dir: Path, verify: bool = True) -> dict[str, GenerationRecord]:
    """Units whose video exists with the recorded sha256 (``verify=False`` trusts the manifest)."""
    done = {}
    for key, record in latest_by_key(read_records(run_dir)).items():
        if record.status != "done":
            continue
        path = Path(run_dir) / record.video
        if verify and not (path.is_file() and sha256_file(path) == record.sha256):
            continue
        done[key] = record
    return done
