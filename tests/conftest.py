"""Shared fixtures: the tiny SkyReels checkpoint is built once per test session, generators load once."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
THIRD_PARTY = SHARED / "third_party"
VBENCH_SRC, COTRACKER_SRC = THIRD_PARTY / "VBench-45e79ec", THIRD_PARTY / "co-tracker-fac2798"
CODE_ENV = ("SKYREELS_VBENCH_SRC", "SKYREELS_COTRACKER_SRC")
# With the third-party trees at hand, the whole session scores as a user with internet does after
# scripts/setup.sh: VBench's source tree at 45e79ec (first on the path before anything imports vbench, so
# that one process never mixes it with the wheel) and co-tracker at fac2798; camera_motion then runs.
HAVE_THIRD_PARTY = VBENCH_SRC.is_dir() and COTRACKER_SRC.is_dir()
if HAVE_THIRD_PARTY:
    os.environ.update(dict(zip(CODE_ENV, (str(VBENCH_SRC), str(COTRACKER_SRC)))))
    sys.path.insert(0, str(VBENCH_SRC))


@pytest.fixture(scope="session", autouse=True)
def skyreels_cache(tmp_path_factory) -> Path:
    """Point every built fixture (tiny checkpoint, smoke images) at one cache folder for the session."""
    cache = Path(os.environ.get("SKYREELS_TEST_CACHE") or tmp_path_factory.mktemp("skyreels-cache"))
    os.environ["SKYREELS_CACHE"] = str(cache)
    return cache


@pytest.fixture
def empty_hf_home(tmp_path, monkeypatch):
    """An empty Hugging Face cache in offline mode: what a cluster node without the weights has."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    return tmp_path / "hf"


@pytest.fixture(scope="session")
def tiny_root(skyreels_cache) -> Path:
    from skyreels.tiny import ensure_tiny_checkpoint

    return ensure_tiny_checkpoint()


@pytest.fixture(scope="session")
def tiny_settings():
    from skyreels.generate import TINY_SIZE
    from skyreels.recipe import GenerationSettings

    return GenerationSettings(**TINY_SIZE)


def _load(task: str, settings):
    from skyreels.pipeline import ModelSpec, SkyReelsGenerator

    return SkyReelsGenerator.load(ModelSpec(task=task, base="tiny", transformer="tiny", device="cpu"), settings)


@pytest.fixture(scope="session")
def t2v(tiny_root, tiny_settings):
    return _load("t2v", tiny_settings)


@pytest.fixture(scope="session")
def i2v(tiny_root, tiny_settings):
    return _load("i2v", tiny_settings)


@pytest.fixture(scope="session")
def load_generator(tiny_root):
    return _load


@pytest.fixture(scope="session")
def scored(tmp_path_factory, skyreels_cache):
    """The README's default job, every stage (generate, score, aggregate, report), once per session."""
    import json

    from harness import run_inprocess

    root = tmp_path_factory.mktemp("scored")
    run_dir = run_inprocess("+suite=smoke", f"run.root={root}", "run.stages=[generate,score,aggregate,report]")
    return run_dir, json.loads((run_dir / "results.json").read_text())


@pytest.fixture(scope="session")
def step_sweep(tmp_path_factory, skyreels_cache):
    """A multirun of the tiny model at 0 (refused), 1 and 2 steps on one sample per smoke prompt, scored on
    subject_consistency: the CLI's result and the sweep folder (two real runs of one suite, one failed job)."""
    from harness import run_cli

    root = tmp_path_factory.mktemp("step-sweep")
    result = run_cli(
        "-m",
        "+suite=smoke",
        "suite.samples=1",
        f"run.root={root}",
        "generator.num_inference_steps=0,1,2",
        "run.stages=[generate,score,aggregate,report]",
        "scoring.dimensions=[subject_consistency]",
        timeout=900,
    )
    (sweep,) = (root / "sweeps").iterdir()
    return result, sweep


from slurm_fixtures import slurm_cluster  # noqa: E402,F401  (the local SLURM cluster, started on demand)
