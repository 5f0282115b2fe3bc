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
from .jsonl import append_line, latest_by, read_lines, record_parser

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

    def __post_init__(self) -> None:
        if self.status not in ("done", "failed"):
            raise ValueError(f"status={self.status!r} is not 'done' or 'failed'")
        if self.status == "done" and not (self.video and self.sha256):
            raise ValueError("a done record needs its video and sha256")

    @staticmethod
    def environment() -> dict:
        """Host and SLURM ids; an array task's job id is written ``<array job>_<task>`` as squeue shows it."""
        env = os.environ
        task = env.get("SLURM_ARRAY_TASK_ID")
        job = (
            f"{env['SLURM_ARRAY_JOB_ID']}_{task}" if task and env.get("SLURM_ARRAY_JOB_ID") else env.get("SLURM_JOB_ID")
        )
        return {"host": socket.gethostname(), "slurm_job_id": job, "slurm_array_task_id": task}


def manifest_path(run_dir: Path, shard: int, n_shards: int) -> Path:
    return Path(run_dir) / MANIFEST_DIR / f"shard-{shard:05d}-of-{n_shards:05d}.jsonl"


def append_record(path: Path, record: GenerationRecord) -> None:
    append_line(path, asdict(record))


def read_records(run_dir: Path) -> list[GenerationRecord]:
    """Every complete line of every manifest of the run, in file order."""
    parse = record_parser(GenerationRecord)
    return [
        record for path in sorted((Path(run_dir) / MANIFEST_DIR).glob("*.jsonl")) for record in read_lines(path, parse)
    ]


def latest_by_key(records: list[GenerationRecord]) -> dict[str, GenerationRecord]:
    return latest_by(records, key=lambda r: r.key, ok=lambda r: r.status == "done")


def video_intact(run_dir: Path, record: GenerationRecord, hash: bool = True) -> bool:
    """The done ``record``'s video exists with the recorded size (if recorded) and, if ``hash``, sha256."""
    path = Path(run_dir) / record.video
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return record.size in (None, size) and (not hash or sha256_file(path) == record.sha256)


def done_records(run_dir: Path, verify: bool = True) -> dict[str, GenerationRecord]:
    """Units whose video exists with the recorded size and sha256 (``verify=False`` trusts the manifest)."""
    return {
        key: record
        for key, record in latest_by_key(read_records(run_dir)).items()
        if record.status == "done" and (not verify or video_intact(run_dir, record))
    }
