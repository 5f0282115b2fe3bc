"""Faults injected for real (a full disk, a read-only folder, torn and corrupt lines): each gives one clear
line or a labelled partial result, loses nothing already produced, and completes on rerun."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from eval.errors import HarnessError
from harness import run_inprocess, video_shas

RUN = ("+suite=smoke_t2v", "suite.samples=1")


@pytest.fixture
def mount(tmp_path):
    """``mount(kind, size)``: a fresh tmpfs (or a read-only bind of a folder) under ``tmp_path``; needs root."""
    mounted = []

    def _mount(*args: str, target=None):
        if os.geteuid() != 0:
            pytest.skip("mounting needs root")
        target = target or tmp_path / f"mnt{len(mounted)}"
        target.mkdir(exist_ok=True)
        result = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
        if result.returncode:
            pytest.skip(f"mount {' '.join(args)} failed: {result.stderr.strip()}")
        mounted.append(target)
        return target

    yield _mount
    for target in reversed(mounted):
        subprocess.run(["umount", str(target)], check=False)


def resize(target, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(target)], check=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, skyreels_cache):
    """The same run on a disk with room: the bytes every video must have (CPU generation is bit-exact)."""
    return video_shas(run_inprocess(*RUN, f"run.root={tmp_path_factory.mktemp('ref')}"))


def test_disk_full_during_generation_records_the_unit_failed_and_redoes_it(mount, reference):
    disk = mount("-t", "tmpfs", "-o", "size=40k", "tmpfs")
    run_dir = disk / "run"
    with pytest.raises(HarnessError, match="shards failed"):
        run_inprocess(*RUN, f"run.dir={run_dir}")
    lines = [json.loads(line) for line in (run_dir / "manifests" / "shard-00000-of-00001.jsonl").open()]
    failed = [line for line in lines if line["status"] == "failed"]
    assert failed and all("No space left on device" in line["error"].splitlines()[0] for line in failed)
    done = video_shas(run_dir)
    assert done and all(reference[key] == sha for key, sha in done.items())  # no truncated video recorded
    assert sorted(p.stem for p in (run_dir / "videos").glob("*.mp4")) == sorted(done)  # nor left in place

    resize(disk, "10m")
    run_inprocess(*RUN, f"run.dir={run_dir}")
    assert video_shas(run_dir) == reference
