"""End to end: suite -> plan -> sharded, resumable generation on the tiny generator, local launchers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from harness import REPO, manifest_lines, run_cli, run_inprocess, video_shas


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, skyreels_cache):
    root = tmp_path_factory.mktemp("runs")
    return run_inprocess("+suite=smoke", f"run.root={root}")


def test_smoke_makes_every_video_and_rerun_does_nothing(smoke_run):
    lines = manifest_lines(smoke_run)
    assert len(lines) == 6 and {line["status"] for line in lines} == {"done"}
    assert len(video_shas(smoke_run)) == 6
    plan = json.loads((smoke_run / "plan.json").read_text())
    assert len(plan["units"]) == 6 and len({u[2] for u in plan["units"]}) == 6  # distinct seeds
    before = (
        (smoke_run / "manifests").stat().st_mtime_ns,
        [p.stat().st_mtime_ns for p in (smoke_run / "videos").iterdir()],
    )
    run_inprocess("+suite=smoke", f"run.root={smoke_run.parents[1]}")
    assert manifest_lines(smoke_run) == lines
    assert [p.stat().st_mtime_ns for p in (smoke_run / "videos").iterdir()] == before[1]


def test_deleted_video_is_regenerated_alone_and_identical(smoke_run):
    shas = video_shas(smoke_run)
    victim = manifest_lines(smoke_run)[2]
    (smoke_run / victim["video"]).unlink()
    n_before = len(manifest_lines(smoke_run))
    run_inprocess("+suite=smoke", f"run.root={smoke_run.parents[1]}")
    new = manifest_lines(smoke_run)[n_before:]
    assert [line["key"] for line in new] == [victim["key"]]
    assert video_shas(smoke_run) == shas


def test_one_and_four_shards_give_identical_videos(smoke_run, tmp_path):
    four = run_inprocess("+suite=smoke", f"run.root={tmp_path}", "run.shards=4")
    assert four.name == smoke_run.name  # same fingerprint
    assert len(list((four / "manifests").glob("*.jsonl"))) == 4
    assert video_shas(four) == video_shas(smoke_run)


def test_debug_launcher_runs_through_submitit(smoke_run, tmp_path):
    out = run_inprocess("+suite=smoke", f"run.root={tmp_path}", "launcher=debug", "run.shards=2")
    assert video_shas(out) == video_shas(smoke_run)


def test_kill_9_mid_video_then_rerun(smoke_run, tmp_path):
    """A worker killed while writing leaves no duplicate, lost or corrupt video after the rerun."""
    args = ["+suite=smoke", f"run.root={tmp_path}", "run.stages=[generate]"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "eval.run", "run.progress=false", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_dir = tmp_path / "smoke" / smoke_run.name
    deadline = time.time() + 300
    while time.time() < deadline and len(manifest_lines(run_dir) if (run_dir / "manifests").exists() else []) < 2:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(manifest_lines(run_dir))
    assert 2 <= killed_at < 6, "the kill should land while videos are still being made"
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert video_shas(run_dir) == video_shas(smoke_run)
    assert sorted(p.name for p in (run_dir / "videos").iterdir()) == sorted(
        f"{k}.mp4" for k in video_shas(smoke_run)
    )  # no temp files, no extras
    keys = [line["key"] for line in manifest_lines(run_dir)]
    assert len(keys) == len(set(keys)) == 6  # each unit recorded once


def test_sweep_makes_one_run_per_setting(tmp_path):
    result = run_cli(
        "-m",
        "+suite=smoke",
        "suite.samples=1",
        f"run.root={tmp_path}",
        "generator.num_inference_steps=1,2",
        "generator.true_cfg_scale=4,6",
    )
    assert result.returncode == 0, result.stderr
    runs = sorted((tmp_path / "smoke").iterdir())
    assert len(runs) == 4 and len({r.name.split("-")[1] for r in runs}) == 4
    settings = {
        (
            json.loads((r / "plan.json").read_text())["generator"]["num_inference_steps"],
            json.loads((r / "plan.json").read_text())["generator"]["true_cfg_scale"],
        )
        for r in runs
    }
    assert settings == {(1, 4.0), (1, 6.0), (2, 4.0), (2, 6.0)}
    assert all(len(manifest_lines(r)) == 3 for r in runs)


def test_external_videos_import_with_corrupt_one_reported(smoke_run, tmp_path):
    plan = json.loads((smoke_run / "plan.json").read_text())
    prompts = {item["id"]: item["prompt"] for item in plan["suite"]["items"]}
    folder = tmp_path / "other-model"
    folder.mkdir()
    for line in manifest_lines(smoke_run):
        shutil.copy(smoke_run / line["video"], folder / f"{prompts[line['item_id']]}-{line['index']}.mp4")
    victim = sorted(folder.iterdir())[0]
    victim.write_bytes(victim.read_bytes()[:200])  # truncated
    result = run_cli(
        "+suite=smoke",
        f"run.root={tmp_path / 'runs'}",
        "generator=external",
        f"generator.videos={folder}",
        "generator.expect_fps=24",
    )
    assert result.returncode == 2
    assert "1 of 6 units failed" in result.stdout + result.stderr
    run_dir = next((tmp_path / "runs" / "smoke").iterdir())
    lines = manifest_lines(run_dir)
    failed = [line for line in lines if line["status"] == "failed"]
    assert len(failed) == 1 and f"cannot decode {victim}" in failed[0]["error"]
    victim_sha = hashlib.sha256(victim.read_bytes()).hexdigest()
    done = sorted(line["sha256"] for line in lines if line["status"] == "done")
    originals = sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p != victim)
    assert done == originals and victim_sha not in done


def test_status_reports_done_and_pending(smoke_run):
    result = subprocess.run([sys.executable, "-m", "eval.status", str(smoke_run)], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].endswith("6/6 done, 0 failed, 0 pending")
    assert "s/video" in result.stdout and "GPU-hours" in result.stdout


def test_submitting_process_does_not_import_torch():
    code = (
        "import sys; import eval.run, eval.stages, eval.status, eval.suites, eval.generators, "
        "eval.workers.generate, eval.launch.local, eval.launch.submitit_launch, skyreels.weights; "
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'vbench') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
