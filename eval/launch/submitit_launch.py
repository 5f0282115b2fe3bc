"""submitit launchers: DebugExecutor (in process, same code path) and SLURM job arrays (``submit_array``).

The workers themselves are submitted, not a wrapper around them: submitit requeues a task that hits its time
limit only if the submitted function has a ``checkpoint`` (``SignalHandler.checkpoint_and_try_requeue`` in
submitit/core/job_environment.py); ``submit``/``submit_array`` make each worker that function
(``Executor.submit_array`` in submitit/core/core.py: ``DelayedSubmission(fn)``), where ``map_array(f, workers)``
would make it ``f``."""

from __future__ import annotations

import time
from pathlib import Path

import submitit

from .outcome import ShardOutcome


def run_debug(workers: list, config: dict, folder) -> list[ShardOutcome]:
    executor = submitit.DebugExecutor(folder=str(folder))
    return [_outcome(w.shard, executor.submit(w)) for w in workers]


def slurm_executor(config: dict, folder) -> submitit.AutoExecutor:
    executor = submitit.AutoExecutor(folder=str(folder), cluster="slurm")
    params = {
        "name": config.get("job_name", "skyreels-eval"),
        "timeout_min": config["timeout_min"],
        # sbatch --signal=USR2@<s>: submitit's handler checkpoints and requeues on it (submitit/slurm/slurm.py,
        # _make_sbatch_string; default 90)
        "slurm_signal_delay_s": config["signal_delay_s"],
        "cpus_per_task": config["cpus_per_task"],
        "mem_gb": config["mem_gb"],
        "slurm_array_parallelism": config["array_parallelism"],
        "slurm_additional_parameters": dict(config.get("additional_parameters") or {}),
    }
    if config.get("partition"):
        params["slurm_partition"] = config["partition"]
    if config.get("gres"):
        params["slurm_gres"] = config["gres"]
    executor.update_parameters(**params)
    return executor


def submit_slurm(workers: list, config: dict, folder) -> list[tuple[int, submitit.Job]]:
    """Submit ``workers`` as job arrays of at most ``max_array_size`` tasks each."""
    executor = slurm_executor(config, folder)
    chunk = int(config["max_array_size"])
    jobs = []
    for start in range(0, len(workers), chunk):
        batch = workers[start : start + chunk]
        jobs += zip((w.shard for w in batch), executor.submit_array(batch))
    return jobs


def run_slurm(workers: list, config: dict, folder) -> list[ShardOutcome]:
    Path(folder).mkdir(parents=True, exist_ok=True)
    jobs = submit_slurm(workers, config, folder)
    if not config.get("wait", True):
        return [ShardOutcome(shard, True, "submitted", job_id=job.job_id) for shard, job in jobs]
    while not all(job.done() for _, job in jobs):
        time.sleep(float(config.get("poll_s", 5)))
    return [_outcome(shard, job) for shard, job in jobs]


def _outcome(shard: int, job) -> ShardOutcome:
    job_id = getattr(job, "job_id", None)
    try:
        return ShardOutcome(shard, True, job.result(), job_id=job_id)
    except Exception as err:  # submitit's FailedJobError carries the worker's traceback
        return ShardOutcome(shard, False, error=str(err), job_id=job_id)
