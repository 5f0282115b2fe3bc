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
    log: str | None = None  # where the shard's output went: its log (quiet console), or submitit's stderr file
    reason: str | None = None  # the error in one line: what the worker raised

    @staticmethod
    def reason_of(err: BaseException) -> str:
        """``err`` in one line: its message (a ``HarnessError`` names the problem and the fix), else its type and
        first line."""
        from eval.errors import HarnessError

        text = str(err).strip()
        if isinstance(err, HarnessError) and text:
            return text.splitlines()[0]
        return f"{type(err).__name__}: {text.splitlines()[0]}" if text else type(err).__name__
