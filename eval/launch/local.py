"""Run shards one after another in this process."""

from __future__ import annotations

import traceback

from eval.errors import HarnessError

from .outcome import ShardOutcome


def run_local(workers: list, config: dict, folder) -> list[ShardOutcome]:
    outcomes = []
    for worker in workers:
        try:
            outcomes.append(ShardOutcome(worker.shard, True, worker()))
        except HarnessError as err:  # already says what failed and where the details are
            outcomes.append(ShardOutcome(worker.shard, False, error=str(err)))
        except Exception as err:
            outcomes.append(ShardOutcome(worker.shard, False, error=f"{err}\n{traceback.format_exc()}"))
    return outcomes
