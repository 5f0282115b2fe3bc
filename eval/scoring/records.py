"""Per-video scores: append-only JSONL under ``<run>/scores/``, one line per (video sha256, dimension).

A score counts for a video only while its ``scorer`` id matches: that id hashes the VBench version,
the dimension's weight files (their sha256, or the fixture tag) and the preprocessing mode, so new
weights or a new VBench rescore everything, and a regenerated video (new sha256) is rescored.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.jsonl import append_line, latest_by, read_lines, record_parser

SCORES_DIR = "scores"


@dataclass(frozen=True)
class ScoreRecord:
    video_sha256: str
    dimension: str
    scorer: str
    status: str  # "ok" or "failed"
    key: str
    item_id: str
    index: int
    value: float | None = None
    weight: float | None = None
    extra: dict = field(default_factory=dict)
    error: str | None = None
    retryable: bool | None = None  # a failure a rerun may fix (None: an older line, retried)
    host: str = ""
    slurm_job_id: str | None = None
    time: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in ("ok", "failed"):
            raise ValueError(f"status={self.status!r} is not 'ok' or 'failed'")
        if self.status == "ok" and not (self.value is not None and math.isfinite(self.value)):
            raise ValueError(f"an ok score needs a finite value, not {self.value}")
        if self.weight is not None and not math.isfinite(self.weight):
            raise ValueError(f"weight={self.weight} is not a finite number")


def scores_path(run_dir: Path, dimension: str, chunk: int, n_chunks: int) -> Path:
    return Path(run_dir) / SCORES_DIR / dimension / f"chunk-{chunk:05d}-of-{n_chunks:05d}.jsonl"


def append_score(path: Path, record: ScoreRecord) -> None:
    append_line(path, asdict(record))


def read_scores(run_dir: Path, dimension: str | None = None) -> list[ScoreRecord]:
    root = Path(run_dir) / SCORES_DIR
    paths = sorted((root / dimension).glob("*.jsonl") if dimension else root.glob("*/*.jsonl"))
    parse = record_parser(ScoreRecord)
    return [record for path in paths for record in read_lines(path, parse)]


def current_scores(run_dir: Path, dimension: str, scorer: str) -> dict[str, ScoreRecord]:
    """The latest record per video sha256 for ``dimension`` under ``scorer`` (ok beats failed)."""
    return latest_by(
        (r for r in read_scores(run_dir, dimension) if r.scorer == scorer),
        key=lambda r: r.video_sha256,
        ok=lambda r: r.status == "ok",
    )
