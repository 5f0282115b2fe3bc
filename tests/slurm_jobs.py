"""Functions submitted to SLURM by tests/test_slurm_cluster.py.

submitit pickles functions by reference, so they live in an importable module; the
tests put this folder (and the repository root) on the worker's PYTHONPATH.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path


def add(a: int, b: int) -> int:
    return a + b


def job_env() -> dict:
    keys = ("SLURM_JOB_ID", "SLURM_JOB_PARTITION", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_CPUS_PER_TASK")
    return {"host": socket.gethostname(), **{k: os.environ.get(k) for k in keys}}


def square_with_env(x: int) -> dict:
    return {
        "x": x,
        "square": x * x,
        "task": os.environ.get("SLURM_ARRAY_TASK_ID"),
        "array_job": os.environ.get("SLURM_ARRAY_JOB_ID"),
    }


def sleep_with_marker(marker: str, seconds: float) -> str:
    """Touch ``marker`` once running (so a test knows the task started), then sleep."""
    Path(marker).write_text(os.environ.get("SLURM_JOB_ID", "?"))
    time.sleep(seconds)
    return "slept"


def fail_with(message: str) -> None:
    _inner_failure(message)


def _inner_failure(message: str) -> None:
    raise ValueError(message)
