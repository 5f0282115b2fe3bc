"""Session fixture for tests that need a real SLURM cluster.

``slurm_cluster`` runs ``slurm/start_local_cluster.sh`` (idempotent: ~0.1 s when the
cluster is already up, ~6 s from scratch plus apt-get the first time) and returns a
:class:`SlurmCluster` describing it. Import it into a conftest (or a test module)::

    from slurm_fixtures import slurm_cluster  # noqa: F401

Environment:
  SKYREELS_SLURM_DIR  state directory of the local cluster (default /var/tmp/skyreels-slurm)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
START_SCRIPT = REPO / "slurm" / "start_local_cluster.sh"
DEFAULT_DIR = "/var/tmp/skyreels-slurm"
START_TIMEOUT_S = 1200  # includes a first-time apt-get install


@dataclass(frozen=True)
class SlurmCluster:
    partition: str  # default partition ("debug")
    max_array_size: int  # MaxArraySize: array indices must stay below it
    cluster_name: str
    node: str
    cpus: int
    real_memory_mb: int
    version: str
    slurm_conf: Path
    state_dir: Path
    startup_s: float  # wall time of the start script in this session

    @property
    def mem_gb(self) -> int:
        """Largest whole-GiB ``mem_gb`` a job on the single node can request."""
        return self.real_memory_mb // 1024


def _run(cmd: list[str], timeout: float = 30) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout).stdout


def _scontrol_config() -> dict[str, str]:
    conf = {}
    for line in _run(["scontrol", "show", "config"]).splitlines():
        key, sep, value = line.partition("=")
        if sep:
            conf[key.strip()] = value.strip()
    return conf


def _cluster_reachable() -> bool:
    if shutil.which("sinfo") is None:
        return False
    try:
        _run(["sinfo", "-h"], timeout=15)
        return True
    except (subprocess.SubprocessError, OSError):
        return False


def describe_cluster(state_dir: Path, startup_s: float = 0.0) -> SlurmCluster:
    conf = _scontrol_config()
    partitions = _run(["sinfo", "-h", "-o", "%P"]).split()
    default = next((p.rstrip("*") for p in partitions if p.endswith("*")), partitions[0].rstrip("*"))
    node, cpus, mem = _run(["sinfo", "-h", "-N", "-p", default, "-o", "%N %c %m"]).split()[:3]
    return SlurmCluster(
        partition=default,
        max_array_size=int(conf["MaxArraySize"]),
        cluster_name=conf["ClusterName"],
        node=node,
        cpus=int(cpus),
        real_memory_mb=int(mem.rstrip("+")),
        version=conf.get("SLURM_VERSION", "?"),
        slurm_conf=Path(conf.get("SLURM_CONF", os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf"))),
        state_dir=state_dir,
        startup_s=startup_s,
    )


@pytest.fixture(scope="session")
def slurm_cluster() -> SlurmCluster:
    """A running one-node SLURM cluster with accounting (started if needed)."""
    state_dir = Path(os.environ.get("SKYREELS_SLURM_DIR", DEFAULT_DIR))
    conf = state_dir / "etc" / "slurm.conf"
    if os.geteuid() != 0:
        if conf.exists():
            os.environ["SLURM_CONF"] = str(conf)
        if _cluster_reachable():
            return describe_cluster(state_dir)
        pytest.skip("no SLURM cluster is running and starting one needs root (slurm/start_local_cluster.sh)")
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        pytest.skip("SLURM is not installed and apt-get is unavailable to install it")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(["bash", str(START_SCRIPT)], capture_output=True, text=True, timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired as err:  # err.stdout is bytes here even with text=True
        out = b"".join(x if isinstance(x, bytes) else x.encode() for x in (err.stdout, err.stderr) if x)
        pytest.fail(f"{START_SCRIPT} did not finish within {START_TIMEOUT_S}s:\n{out.decode(errors='replace')}")
    startup_s = time.monotonic() - t0
    if proc.returncode != 0:
        pytest.fail(f"{START_SCRIPT} failed (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr[-6000:]}")
    # Let every slurm command of this session (ours and submitit's) find the config,
    # even where /etc/slurm/slurm.conf is not linked to it (SKYREELS_SLURM_LINK_ETC=0).
    os.environ["SLURM_CONF"] = str(conf)
    return describe_cluster(state_dir, startup_s)
