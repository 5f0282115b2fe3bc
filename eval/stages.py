"""Stage drivers: decide what is incomplete, hand it to the launcher, report."""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from eval.errors import HarnessError
from eval.jsonl import append_line, read_lines
from eval.manifest import done_records
from eval.plan import EXECUTION_KEYS, Plan

LAUNCHES = "launches.jsonl"


def last_shard_count(run_dir: Path, stage: str = "generate") -> int:
    """The shard count of the run's latest launch of ``stage`` (1 if there was none)."""
    launches = [line for line in read_lines(Path(run_dir) / LAUNCHES) if line["stage"] == stage]
    return launches[-1]["shards"] if launches else 1


def generate_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> None:
    from eval.launch import launch
    from eval.workers.generate import GenerateShard

    n_shards = max(1, min(int(cfg.run.shards), len(plan.units)))
    done = done_records(run_dir)
    incomplete = [s for s in range(n_shards) if any(u.key not in done for u in plan.shard(s, n_shards))]
    if not incomplete:
        print(f"generate: all {len(plan.units)} videos done")
        return
    launcher = OmegaConf.to_container(cfg.launcher, resolve=True)
    execution = {k: generator_cfg[k] for k in EXECUTION_KEYS if k in generator_cfg}
    workers = [GenerateShard(str(run_dir), s, n_shards, execution, progress=bool(cfg.run.progress))
               for s in incomplete]
    folder = run_dir / "logs" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    print(f"generate: {len(plan.units) - len(done)} of {len(plan.units)} videos to make, "
          f"{len(incomplete)} of {n_shards} shards, launcher {launcher['name']}")
    outcomes = launch(workers, launcher, folder)
    append_line(run_dir / LAUNCHES, {"time": time.time(), "stage": "generate", "shards": n_shards,
                                      "launched": incomplete, "launcher": launcher["name"],
                                      "jobs": {o.shard: o.job_id for o in outcomes if o.job_id}})
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"generate: shard {o.shard} failed{f' (job {o.job_id})' if o.job_id else ''}:\n{o.error}")
    if failed:
        raise HarnessError(f"generate: {len(failed)} of {len(outcomes)} shards failed (details above); "
                           "rerun the same command to retry what is missing")
    after = done_records(run_dir, verify=False)
    print(f"generate: {sum(u.key in after for u in plan.units)} of {len(plan.units)} videos done")
