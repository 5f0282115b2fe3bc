"""Faults injected for real (a full disk, a read-only folder, torn and corrupt lines): each gives one clear
line or a labelled partial result, loses nothing already produced, and completes on rerun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from harness import REPO, run_cli, run_inprocess, video_shas

from eval.errors import HarnessError

RUN = ("+suite=smoke_t2v", "suite.samples=1")


@pytest.fixture
def mount(tmp_path):
    """``mount(*args, target=None)`` runs ``mount ARGS TARGET`` (default: a new folder under ``tmp_path``) and
    unmounts it at teardown; skips without root or where mounting fails."""
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
def reference_run(tmp_path_factory, skyreels_cache):
    """The run made on a disk with room (3 videos, one shard)."""
    return run_inprocess(*RUN, f"run.root={tmp_path_factory.mktemp('ref')}")


@pytest.fixture(scope="module")
def reference(reference_run):
    """The bytes every video must have (generation on the CPU is bit-exact)."""
    return video_shas(reference_run)


@pytest.fixture
def run_copy(reference_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(reference_run, copy)
    return copy


def test_disk_full_during_generation_records_the_unit_failed_and_redoes_it(mount, reference):
    disk = mount("-t", "tmpfs", "-o", "size=40k", "tmpfs")
    run_dir = disk / "run"
    with pytest.raises(HarnessError, match="shards failed"):
        run_inprocess(*RUN, f"run.dir={run_dir}")
    lines = [json.loads(line) for line in (run_dir / "manifests" / "shard-00000-of-00001.jsonl").open()]
    failed = [line for line in lines if line["status"] == "failed"]
    assert failed and all("No space left on device" in line["error"].splitlines()[0] for line in failed)
    done = video_shas(run_dir)
    assert all(reference[key] == sha for key, sha in done.items())  # no truncated video recorded
    assert sorted(p.stem for p in (run_dir / "videos").glob("*.mp4")) == sorted(done)  # nor left in place

    resize(disk, "10m")
    run_inprocess(*RUN, f"run.dir={run_dir}")
    assert video_shas(run_dir) == reference


def status(run_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "eval.status", str(run_dir)], capture_output=True, text=True)


def test_corrupt_manifest_lines_are_named_and_their_units_redone(run_copy, reference):
    manifest = run_copy / "manifests" / "shard-00000-of-00001.jsonl"
    lines = manifest.read_bytes().splitlines(keepends=True)
    lost = json.loads(lines[1])["key"]
    torn = '{"key": "x", "error": "caf\u00e9'.encode()[:-1]  # a writer killed inside a 2-byte character
    manifest.write_bytes(lines[0] + b"\xff\xfe not utf-8\n" + lines[2] + b'{"foo": 1}\n[1, 2]\n' + torn)
    result = status(run_copy)
    assert result.returncode == 0, result.stderr
    assert "2/3 done, 0 failed, 1 pending" in result.stdout
    warnings = result.stderr.splitlines()
    assert len(warnings) == 3, result.stderr  # the torn last line is skipped silently
    for line, why in zip((2, 4, 5), ("not UTF-8", "unknown foo", "got list")):
        assert any(w.startswith(f"warning: {manifest}:{line}: ") and why in w for w in warnings), (line, warnings)
    assert set(video_shas(run_copy)) == set(reference) - {lost}

    run_inprocess(*RUN, f"run.dir={run_copy}")  # appends after sealing the torn line; redoes only the lost unit
    assert video_shas(run_copy) == reference
    assert len(manifest.read_bytes().splitlines()) == 7


def test_status_counts_a_truncated_video_as_pending(run_copy):
    video = sorted((run_copy / "videos").glob("*.mp4"))[0]
    video.write_bytes(video.read_bytes()[:4096])
    result = status(run_copy)
    assert "2/3 done, 0 failed, 1 pending (1 recorded done but missing or truncated" in result.stdout, result.stdout


def test_corrupt_and_nan_score_lines_are_named_and_rescored(run_copy, capsys):
    from eval.manifest import done_records
    from eval.plan import load_plan
    from eval.results import dimension_scores
    from eval.scoring.records import ScoreRecord, append_score, scores_path
    from eval.workers.score import ScoreShard

    dim = "aesthetic_quality"
    path = scores_path(run_copy, dim, 0, 1)
    done = sorted(done_records(run_copy).values(), key=lambda r: r.key)
    for record in done:
        append_score(path, ScoreRecord(record.sha256, dim, "s", "ok", record.key, record.item_id, record.index, 0.5))
    shard = ScoreShard(str(run_copy), dim, 0, 1, "s", {})
    assert shard.todo() == []
    lines = path.read_bytes().splitlines(keepends=True)
    nan = lines[1].replace(b'"value": 0.5', b'"value": NaN')
    torn = lines[2][:-5]
    path.write_bytes(b"\xe9t\xe9\n" + nan + b'{"video_sha256": 1}\n' + lines[2] + torn)
    assert {r.key for _, r in shard.todo()} == {done[0].key, done[1].key}
    counts, _ = dimension_scores(run_copy, load_plan(run_copy), dim, "s", done_records(run_copy))
    assert (counts["n_scored"], counts["n_expected"]) == (1, 3)  # aggregate: a partial dimension, not a NaN
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 3, warnings
    for line, why in zip((1, 2, 3), ("not UTF-8", "finite value", "missing")):
        assert any(w.startswith(f"warning: {path}:{line}: ") and why in w for w in warnings), (line, warnings)


def fill(disk) -> None:
    """Write a file on ``disk`` until it has no space left."""
    with open(disk / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass


def report_files(out) -> dict:
    return {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_full_report_folder_is_one_line_and_keeps_the_old_report(mount, tmp_path):
    from report_fixtures import write_results

    disk = mount("-t", "tmpfs", "-o", "size=2m", "tmpfs")
    out = disk / "report"
    run = write_results(tmp_path / "runA", model="Model A")
    report = [sys.executable, "-m", "eval.report", str(run), "--out", str(out)]
    assert subprocess.run(report, capture_output=True, text=True).returncode == 0
    before = report_files(out)
    write_results(tmp_path / "runA", model="Model B")
    fill(disk)
    result = subprocess.run(report, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: cannot write {out}/") and "No space left on device" in result.stderr
    assert report_files(out) == before
    (disk / "filler").unlink()
    assert subprocess.run(report, capture_output=True, text=True).returncode == 0
    assert b"Model B" in (out / "leaderboard.csv").read_bytes()


def test_read_only_report_folder_is_one_line_from_eval_run(mount, run_copy):
    from report_fixtures import write_results

    write_results(run_copy, benchmark="vbench", model="Model A")
    (run_copy / "report").mkdir()
    (run_copy / "report" / "leaderboard.html").write_text("the old report")
    mount("--bind", str(run_copy / "report"), target=run_copy / "report")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(run_copy / "report")], check=True)
    result = run_cli(*RUN, f"run.dir={run_copy}", "run.stages=[report]")
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: cannot write {run_copy}/report/"), result.stderr
    assert result.stderr.endswith(
        ": Read-only file system; that file system is read-only: write elsewhere, or remount it read-write\n"
    ), result.stderr
    assert (run_copy / "report" / "leaderboard.html").read_text() == "the old report"


def planned(tmp_path, *overrides):
    """Plan a run without generating anything: its directory and stored generator config."""
    run_dir = run_inprocess(*RUN, f"run.root={tmp_path}", "run.stages=[]", *overrides)
    return run_dir.name, json.loads((run_dir / "plan.json").read_text())["generator"]


def test_the_device_type_and_resolved_dtype_are_fingerprinted(tmp_path):
    gpu, gpu_cfg = planned(tmp_path, "launcher=slurm", "launcher.gres=gpu:1")
    cpu, cpu_cfg = planned(tmp_path, "launcher=slurm")
    assert (gpu_cfg["device_type"], gpu_cfg["dtype"]) == ("cuda", "bfloat16")
    assert (cpu_cfg["device_type"], cpu_cfg["dtype"]) == ("cpu", "float32")
    assert gpu != cpu  # a run resumed on the other kind of device cannot mix videos made two ways
    assert planned(tmp_path, "launcher=slurm", "generator.dtype=float32")[0] == cpu  # the same pixels, the same run
    assert planned(tmp_path, "generator.device=cuda:1")[0] == gpu
    local = planned(tmp_path)[0]  # device=auto, in process: this machine's CUDA decides
    import torch

    assert local == (gpu if torch.cuda.is_available() else cpu)


def test_planning_for_slurm_imports_no_torch():
    code = (
        "import sys; from eval.generators import resolve_generator; "
        "c = resolve_generator({'name': 'skyreels', 'device': 'auto', 'dtype': 'auto'}, 't2v', "
        "{'name': 'slurm', 'gres': 'gpu:1'}); print(c['dtype'], 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.stdout.split() == ["bfloat16", "False"], out.stderr


def test_a_worker_on_the_other_kind_of_device_refuses(tmp_path):
    import torch

    from eval.generators import load_generator

    other = "cpu" if torch.cuda.is_available() else "cuda"
    with pytest.raises(HarnessError, match=f"planned for device type {other} .* but this worker has"):
        load_generator({"name": "skyreels", "base": "tiny", "transformer": "tiny", "device_type": other}, "t2v")
