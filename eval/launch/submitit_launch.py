"""submitit launchers: DebugExecutor (in process, same code path) and SLURM job arrays (``submit_array``).

The workers themselves are submitted, not a wrapper around them: submitit requeues a task that hits its time
limit only if the submitted function has a ``checkpoint`` (``SignalHandler.checkpoint_and_try_requeue`` in
submitit/core/job_environment.py); ``submit``/``submit_array`` make each worker that function
(``Executor.submit_array`` in submitit/core/core.py: ``DelayedSubmission(fn)``), where ``map_array(f, workers)``
would make it ``f``."""

from __future__ import annotations

import time
import traceback
from contextlib import nullcontext
from pathlib import Path

import submitit

from eval.console import shard_log, to_log

from .outcome import ShardOutcome


def run_debug(workers: list, config: dict, folder, logs=None) -> list[ShardOutcome]:
    """In this process: a DebugJob runs when its result is asked for, so that is what goes to the shard's log."""
    executor = submitit.DebugExecutor(folder=str(folder))
    outcomes = []
    for w in workers:
        log = None if logs is None else shard_log(logs, w.shard)
        with to_log(log) if log else nullcontext():
            outcomes.append(_outcome(w.shard, executor.submit(w), log=log and str(log), trace=bool(log)))
    return outcomes


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


def run_slurm(workers: list, config: dict, folder, logs=None) -> list[ShardOutcome]:
    """``logs`` is unused: submitit writes each task's output to ``<folder>/<job>_<task>_log.out`` and ``.err``
    (``JobPaths`` in submitit/core/utils.py), which the outcomes name."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    jobs = submit_slurm(workers, config, folder)
    if not config.get("wait", True):
        return [ShardOutcome(shard, True, "submitted", job_id=job.job_id) for shard, job in jobs]
    while not all(job.done() for _, job in jobs):
        time.sleep(float(config.get("poll_s", 5)))
    return [_outcome(shard, job, log=str(job.paths.stderr)) for shard, job in jobs]


# How submitit's FailedJobError quotes the worker's traceback (``Job.exception``, submitit 1.5.4 core/core.py:331-337).
TRACE_RULE = "----------------------\n"


def _outcome(shard: int, job, log: str | None = None, trace: bool = False) -> ShardOutcome:
    """The job's result, or its error; ``trace``: print the error's traceback (into the shard's log)."""
    job_id = getattr(job, "job_id", None)
    try:
        return ShardOutcome(shard, True, job.result(), job_id=job_id, log=log)
    except Exception as err:  # submitit's FailedJobError carries the worker's traceback
        if isinstance(err, submitit.core.utils.FailedJobError) and str(err).count(TRACE_RULE) >= 2:
            reason = str(err).split(TRACE_RULE)[1].strip().splitlines()[-1]  # the exception line of the trace
        else:
            reason = ShardOutcome.reason_of(err)
        if trace:
            traceback.print_exc()
        return ShardOutcome(shard, False, error=str(err), job_id=job_id, log=log, reason=reason)
