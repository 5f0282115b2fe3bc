"""Run shards one after another in this process; with ``logs``, each one's output goes to its own log there."""

from __future__ import annotations

import traceback
from contextlib import nullcontext

from eval.console import shard_log, to_log
from eval.errors import HarnessError

from .outcome import ShardOutcome


def run_local(workers: list, config: dict, folder, logs=None) -> list[ShardOutcome]:
    return [_run(worker, None if logs is None else shard_log(logs, worker.shard)) for worker in workers]


def _run(worker, log) -> ShardOutcome:
    with to_log(log) if log else nullcontext():
        try:
            return ShardOutcome(worker.shard, True, worker(), log=log and str(log))
        except Exception as err:
            # a HarnessError already says what failed and where the details are; the log keeps the traceback
            error = str(err) if isinstance(err, HarnessError) else f"{err}\n{traceback.format_exc()}"
            reason = ShardOutcome.reason_of(err)
            if log:
                traceback.print_exc()
    return ShardOutcome(worker.shard, False, error=error, log=log and str(log), reason=reason)
