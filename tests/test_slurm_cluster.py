"""submitit against the real one-node SLURM cluster of slurm/start_local_cluster.sh.

Every wait is bounded: jobs are polled with ``job.done(force_check=True)`` under a
deadline, and blocking submitit calls (``result()``, ``exception()``) run in a daemon
thread with a timeout, so a regression shows up as a failure, not a hung session.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

# Also provided by the shared conftest; importing it here keeps this module runnable alone.
from slurm_fixtures import slurm_cluster  # noqa: F401

try:  # imported by whichever name the test session uses; the worker can import both
    from tests import slurm_jobs
except ImportError:
    import slurm_jobs

submitit = pytest.importorskip("submitit")

pytestmark = pytest.mark.slurm

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
JOB_TIMEOUT_S = 240  # submission to finish: 1-5 s on an idle node, more when others share the 2-CPU node


# --- helpers -------------------------------------------------------------------
def make_executor(folder: Path, partition: str, **params) -> submitit.AutoExecutor:
    executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
    assert executor.cluster == "slurm"
    executor.update_parameters(
        slurm_partition=partition,
        timeout_min=5,
        cpus_per_task=1,
        mem_gb=1,
        name="skyreels-slurm-test",
        # submitit pickles functions by reference: let the worker import tests/slurm_jobs.py
        # as `slurm_jobs` or `tests.slurm_jobs`.
        slurm_setup=[f'export PYTHONPATH="{TESTS_DIR}:{REPO}${{PYTHONPATH:+:$PYTHONPATH}}"'],
        **params,
    )
    return executor


def wait_done(jobs, timeout: float = JOB_TIMEOUT_S) -> None:
    jobs = list(jobs)
    deadline = time.monotonic() + timeout
    while True:
        pending = [j for j in jobs if not j.done(force_check=True)]
        if not pending:
            return
        if time.monotonic() > deadline:
            states = {j.job_id: j.state for j in pending}
            pytest.fail(f"jobs not finished within {timeout}s: {states}\n{squeue()}")
        time.sleep(1)


def call_with_timeout(fn, timeout: float = 60):
    """Run ``fn()`` in a daemon thread; return ('ok', value) or ('raised', exc); fail on timeout."""
    box: dict = {}

    def target():
        try:
            box["out"] = ("ok", fn())
        except BaseException as err:  # noqa: BLE001 - reported to the caller
            box["out"] = ("raised", err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{getattr(fn, '__qualname__', fn)} hung for more than {timeout}s")
    return box["out"]


def squeue() -> str:
    return subprocess.run(["squeue", "-a"], capture_output=True, text=True, timeout=15).stdout


def sacct_states(*job_ids: str) -> dict[str, str]:
    cmd = ["sacct", "-n", "-P", "-X", "-o", "JobID,State"]
    for job_id in job_ids:
        cmd += ["-j", job_id]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=30).stdout
    return dict(line.split("|", 1) for line in out.splitlines() if line)


def sacct_states_when_final(*job_ids: str, timeout: float = 30) -> dict[str, str]:
    """sacct states once every job has left PENDING/RUNNING (slurmdbd may lag slurmctld a bit)."""
    deadline = time.monotonic() + timeout
    while True:
        states = sacct_states(*job_ids)
        if all(j in states for j in job_ids) and not any(
            s.split()[0] in {"PENDING", "RUNNING", "COMPLETING", "REQUEUED"} for s in states.values()
        ):
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(1)


# --- tests ---------------------------------------------------------------------
def test_cluster_info(slurm_cluster):
    assert slurm_cluster.partition == "debug"
    assert slurm_cluster.max_array_size == 1001
    assert slurm_cluster.cpus >= 1 and slurm_cluster.real_memory_mb > 0
    out = subprocess.run(
        ["sinfo", "-h", "-p", "debug", "-o", "%a %t"], capture_output=True, text=True, timeout=15, check=True
    ).stdout.split()
    assert out[0] == "up" and out[1] in {"idle", "mix", "alloc", "comp"}, out


@pytest.mark.skipif(os.geteuid() != 0, reason="the start script needs root")
def test_start_script_is_idempotent(slurm_cluster):
    t0 = time.monotonic()
    proc = subprocess.run(
        ["bash", str(REPO / "slurm" / "start_local_cluster.sh")], capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "already up" in proc.stdout
    assert elapsed < 10, f"second start took {elapsed:.1f}s"


def test_submit_single_function(slurm_cluster, tmp_path):
    executor = make_executor(tmp_path / "submitit", slurm_cluster.partition)
    job = executor.submit(slurm_jobs.add, 2, 3)
    assert isinstance(job, submitit.SlurmJob)
    wait_done([job])
    status, value = call_with_timeout(job.result)
    assert status == "ok", value
    assert value == 5
    status, env = call_with_timeout(executor.submit(slurm_jobs.job_env).result, JOB_TIMEOUT_S)
    assert status == "ok", env
    assert env["SLURM_JOB_PARTITION"] == slurm_cluster.partition
    assert env["SLURM_JOB_ID"]
    assert sacct_states_when_final(job.job_id)[job.job_id] == "COMPLETED"


def test_map_array_with_parallelism(slurm_cluster, tmp_path):
    executor = make_executor(tmp_path / "submitit", slurm_cluster.partition, slurm_array_parallelism=2)
    values = [1, 2, 3, 4]
    jobs = executor.map_array(slurm_jobs.square_with_env, values)
    assert len(jobs) == 4
    array_ids = {job.job_id.split("_")[0] for job in jobs}
    assert len(array_ids) == 1, [job.job_id for job in jobs]  # one job array
    array_id = array_ids.pop()
    assert sorted(job.job_id for job in jobs) == [f"{array_id}_{i}" for i in range(4)]
    sbatch = jobs[0].paths.submission_file.read_text()
    assert "#SBATCH --array=0-3%2" in sbatch
    wait_done(jobs)
    results = []
    for job in jobs:
        status, value = call_with_timeout(job.result)
        assert status == "ok", value
        results.append(value)
    assert [r["square"] for r in results] == [v * v for v in values]
    assert [r["task"] for r in results] == ["0", "1", "2", "3"]
    assert {r["array_job"] for r in results} == {array_id}
    states = sacct_states_when_final(*(job.job_id for job in jobs))
    assert states == {f"{array_id}_{i}": "COMPLETED" for i in range(4)}


def test_scancel_running_task_is_seen_as_cancelled(slurm_cluster, tmp_path):
    executor = make_executor(tmp_path / "submitit", slurm_cluster.partition)
    marker = tmp_path / "started"
    job = executor.submit(slurm_jobs.sleep_with_marker, str(marker), 600)
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not marker.exists():
        if time.monotonic() > deadline:
            subprocess.run(["scancel", job.job_id], timeout=30)
            pytest.fail(f"task never started: state {job.state}\n{squeue()}")
        time.sleep(0.5)
    subprocess.run(["scancel", job.job_id], check=True, timeout=30)
    wait_done([job], timeout=60)
    assert job.state.startswith("CANCELLED"), job.state
    status, err = call_with_timeout(job.result, timeout=90)  # submitit waits 15 s for a result file
    assert status == "raised"
    assert isinstance(err, submitit.core.utils.UncompletedJobError), repr(err)
    assert "CANCELLED" in str(err)
    assert sacct_states_when_final(job.job_id)[job.job_id].startswith("CANCELLED")


def test_failing_task_surfaces_traceback(slurm_cluster, tmp_path):
    executor = make_executor(tmp_path / "submitit", slurm_cluster.partition)
    message = "deliberate failure 7f3a"
    job = executor.submit(slurm_jobs.fail_with, message)
    wait_done([job])
    status, err = call_with_timeout(job.exception)
    assert status == "ok"
    assert isinstance(err, submitit.core.utils.FailedJobError), repr(err)
    text = str(err)
    assert f"ValueError: {message}" in text
    assert "Traceback" in text and "_inner_failure" in text and "slurm_jobs.py" in text
    status, raised = call_with_timeout(job.result)
    assert status == "raised" and isinstance(raised, submitit.core.utils.FailedJobError)
    assert message in str(raised)


def test_sacct_reports_states(slurm_cluster, tmp_path):
    executor = make_executor(tmp_path / "submitit", slurm_cluster.partition)
    ok = executor.submit(slurm_jobs.add, 1, 1)
    bad = executor.submit(slurm_jobs.fail_with, "for sacct")
    wait_done([ok, bad])
    states = sacct_states_when_final(ok.job_id, bad.job_id)
    assert states[ok.job_id] == "COMPLETED", states
    assert states[bad.job_id] == "FAILED", states
    # submitit reads the same states through its sacct watcher
    assert ok.watcher.get_state(ok.job_id, mode="force") == "COMPLETED"
    assert bad.watcher.get_state(bad.job_id, mode="force") == "FAILED"


def test_max_array_size_is_enforced(slurm_cluster, tmp_path):
    """Arrays with indices up to MaxArraySize - 1 are accepted, larger ones rejected."""
    limit = slurm_cluster.max_array_size

    def sbatch(array: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                "sbatch",
                "--parsable",
                "--hold",
                "-p",
                slurm_cluster.partition,
                f"--array={array}",
                "-o",
                str(tmp_path / "slurm-%A_%a.out"),
                "--wrap",
                "true",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )

    accepted = sbatch(f"0-{limit - 1}")
    assert accepted.returncode == 0, accepted.stderr
    subprocess.run(["scancel", accepted.stdout.strip().split(";")[0]], check=True, timeout=30)
    rejected = sbatch(f"0-{limit}")
    assert rejected.returncode != 0
    assert "array" in rejected.stderr.lower(), rejected.stderr
