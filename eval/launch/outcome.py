"""What a launcher reports per shard."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShardOutcome:
    shard: int | str  # the worker's shard label
    ok: bool
    result: object = None
    error: str | None = None  # the worker's exception, with its traceback where the launcher has it
    job_id: str | None = None
