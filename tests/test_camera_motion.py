"""camera_motion for real: VBench's source tree and co-tracker's hub repo at their pinned commits, asked only of
prompts with a camera phrase, equal to ``VBenchI2V.evaluate``; without the code, a partial run that says why."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from conftest import CODE_ENV, HAVE_THIRD_PARTY
from harness import compose, run_cli, run_inprocess

from eval.generators.base import Provenance
from eval.generators.skyreels import SkyReelsAdapter

needs_code = pytest.mark.skipif(not HAVE_THIRD_PARTY, reason="../shared/third_party not found beside the checkout")


@needs_code
def test_default_job_is_complete_with_the_pinned_code(scored):
    run_dir, results = scored
    assert results["status"] == "complete" and results["missing"] == []
    camera = results["dimensions"]["camera_motion"]
    assert (camera["n_scored"], camera["n_expected"], camera["n_failed"]) == (2, 2, 0)  # the camera prompt, twice
    assert results["groups"]["i2v"]["value"] is not None and results["total"]["value"] is not None
    codes = results["provenance"]["scoring"]["code"]
    assert codes["camera_motion"] == "VBench@45e79ec + co-tracker@fac2798"
    assert set(codes.values()) == {"VBench@45e79ec", "VBench@45e79ec + co-tracker@fac2798"}
    import pandas as pd

    row = pd.read_csv(run_dir / "report" / "leaderboard.csv").query("kind == 'measured'").iloc[0]
    assert row["total"] == pytest.approx(100 * results["total"]["value"], abs=0.01)
    assert row["i2v"] == pytest.approx(100 * results["groups"]["i2v"]["value"], abs=0.01)
    assert "co-tracker@fac2798" in (run_dir / "report" / "leaderboard.html").read_text()


@needs_code
def test_camera_motion_values_equal_vbench_evaluate(scored, tmp_path):
    """The same files, weights and code through one official ``VBenchI2V.evaluate`` call."""
    from vbench_official import official, per_video

    from eval.scoring.setup import prepare_scoring

    run_dir, _ = scored
    prepare_scoring(compose("+suite=smoke").scoring, ["camera_motion"], check=False)  # the scoring env
    results = official(run_dir, tmp_path / "official", ["camera_motion"])
    ours, theirs = per_video(run_dir, results)
    assert len(theirs) == 2 and ours == theirs
    stored = {r["key"]: r for r in _lines(run_dir, "camera_motion")}
    for video in results["camera_motion"][-1]:
        (line,) = [r for r in stored.values() if video["video_path"].endswith(f"-{r['index']}.mp4")]
        assert line["extra"] == {"prompt_type": video["prompt_type"], "predict_type": sorted(video["predict_type"])}


def _lines(run_dir, dimension):
    return [
        json.loads(line)
        for p in (run_dir / "scores" / dimension).glob("*.jsonl")
        for line in p.read_text().splitlines()
    ]


def test_without_the_code_the_run_is_partial_and_says_why_once(tmp_path):
    """The tiny default where neither VBench's source nor co-tracker is to be had (no network, nothing set)."""
    env = {k: v for k, v in os.environ.items() if k not in (*CODE_ENV, "PYTHONPATH")}  # the session cache: no src/
    result = run_cli(
        "+suite=smoke", f"run.root={tmp_path}", "suite.samples=1", "run.stages=[generate,score,aggregate]", env=env
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "camera_motion" in line]
    assert len(lines) == 2 and lines[0] == "score: camera_motion cannot run here, so the results will be partial:"
    assert "not importable" in lines[1] and "scripts/setup.sh" in lines[1] and "git clone" in lines[1]
    (results_file,) = tmp_path.glob("smoke/*/results.json")
    results = json.loads(results_file.read_text())
    assert results["status"] == "partial" and results["missing"] == ["camera_motion"]
    assert set(results["provenance"]["scoring"]["code"].values()) == {"vbench==0.1.5"}


def _scoring_dims(*overrides):
    from eval.plan import GeneratorSpec, Plan
    from eval.stages import scoring_dimensions
    from eval.suites import load_suite

    cfg = compose(*overrides)
    suite_options = {k: v for k, v in dict(cfg.suite).items() if k != "name"}
    plan = Plan.build(load_suite(cfg.suite.name, **suite_options), GeneratorSpec.from_config(dict(cfg.generator)), 0)
    return scoring_dimensions(cfg, plan), plan


@needs_code
def test_missing_cotracker_is_missing_code_not_a_crash(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SKYREELS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SKYREELS_COTRACKER_SRC", str(tmp_path / "no-such-checkout"))
    dims, _ = _scoring_dims("+suite=smoke")
    out = capsys.readouterr().out
    assert "camera_motion" not in dims and len(dims) == 9
    assert "camera_motion cannot run here" in out and "facebookresearch_co-tracker_main/hubconf.py" in out
    assert "git clone https://github.com/facebookresearch/co-tracker" in out and "checkout fac2798" in out


@needs_code
def test_cotracker_of_another_commit_is_refused(tmp_path, monkeypatch):
    from conftest import COTRACKER_SRC

    from eval.scoring.code import COTRACKER_HUB
    from eval.scoring.weights import Roots, code_problems

    hub = tmp_path / "hub" / COTRACKER_HUB
    shutil.copytree(COTRACKER_SRC, hub)
    roots = Roots(tmp_path / "vbench", tmp_path / "hub")
    assert code_problems(["camera_motion"], roots=roots, bert=False) == []
    (hub / "cotracker" / "predictor.py").write_text((hub / "cotracker" / "predictor.py").read_text() + "\n# v3\n")
    (problem,) = code_problems(["camera_motion"], roots=roots, bert=False)
    assert "not the pinned co-tracker fac2798" in str(problem) and f"git -C {hub} checkout fac2798" in str(problem)


def test_camera_motion_is_asked_only_of_prompts_with_a_camera_phrase(tmp_path, capsys):
    from PIL import Image

    from eval.errors import HarnessError
    from eval.workers.score import wanted

    Image.new("RGB", (64, 36)).save(tmp_path / "a.png")
    suite = tmp_path / "s.jsonl"
    suite.write_text(
        '{"prompt": "A dog runs, camera zooms in", "image": "a.png"}\n{"prompt": "A dog sleeps", "image": "a.png"}\n'
    )
    dims, plan = _scoring_dims("+suite=custom", f"suite.path={suite}", "scoring.dimensions=[camera_motion]")
    assert dims == ["camera_motion"]
    assert {plan.items[u.item_id].prompt for u in wanted(plan, "camera_motion")} == {"A dog runs, camera zooms in"}
    assert (
        "camera_motion scores the 1 item(s) whose prompts have one of VBench's camera phrases"
        in capsys.readouterr().out
    )
    suite.write_text('{"prompt": "A dog sleeps", "image": "a.png", "dimensions": ["camera_motion"]}\n')
    with pytest.raises(HarnessError, match="1 item\\(s\\) list camera_motion, but camera_motion can score only"):
        _scoring_dims("+suite=custom", f"suite.path={suite}")
    suite.write_text('{"prompt": "A dog sleeps", "image": "a.png"}\n')
    with pytest.raises(HarnessError, match="scoring.dimensions names camera_motion, but no prompt"):
        _scoring_dims("+suite=custom", f"suite.path={suite}", "scoring.dimensions=[camera_motion]")
    dims, _ = _scoring_dims("+suite=custom", f"suite.path={suite}")
    assert "camera_motion" not in dims
    assert (
        "camera_motion is left out: no prompt of suite s has one of VBench's camera phrases" in capsys.readouterr().out
    )


def test_predict_type_is_stored_sorted():
    from eval.scoring.specs import spec

    score = spec("camera_motion").per_video(
        {"video_results": 1.0, "prompt_type": "zoom_in", "predict_type": ["zoom_in", "pan_left"]}, 9
    )
    assert dict(score.extra)["predict_type"] == ["pan_left", "zoom_in"]


def test_failures_a_rerun_cannot_fix_do_not_block_aggregate_and_report(scored, tmp_path):
    """One video re-exported at 8 fps: every dimension fails it for good; the run still aggregates and reports,
    exits 0 as partial, and a rerun does not retry it unless scoring.retry_failed=true."""
    import numpy as np
    from harness import manifest_lines

    from eval.atomic import sha256_file
    from eval.manifest import GenerationRecord, append_record, manifest_path
    from videogen.mp4 import write_mp4

    run_dir, _ = scored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock", "report"))
    victim = next(line for line in manifest_lines(copy) if line["item_id"] == "smoke-sunset")
    write_mp4(
        np.random.default_rng(2).integers(0, 255, (9, 128, 128, 3), dtype=np.uint8), copy / victim["video"], fps=8
    )
    video = copy / victim["video"]
    append_record(
        manifest_path(copy, 0, 1),
        GenerationRecord(**{**victim, "sha256": sha256_file(video), "fps": 8.0, "size": video.stat().st_size}),
    )
    stages = "run.stages=[score,aggregate,report]"
    run_inprocess("+suite=smoke", f"run.dir={copy}", stages)  # no exception: nothing a rerun could fix
    results = json.loads((copy / "results.json").read_text())
    assert results["status"] == "partial" and (copy / "report" / "leaderboard.html").is_file()
    entry = results["dimensions"]["aesthetic_quality"]
    assert (entry["n_scored"], entry["n_failed"], entry["n_failed_for_good"]) == (5, 1, 1)
    assert list(entry["errors"]) == [
        f"{copy / victim['video']} has 8.0 fps in its container, the run expects 24 "
        "(VBench's dynamic_degree reads it); re-export it at the right fps"
    ]
    failed = [x for x in _lines(copy, "aesthetic_quality") if x["status"] == "failed"]
    assert [x["retryable"] for x in failed] == [False]
    run_inprocess("+suite=smoke", f"run.dir={copy}", stages)
    assert len([x for x in _lines(copy, "aesthetic_quality") if x["status"] == "failed"]) == 1  # not retried
    run_inprocess(
        "+suite=smoke", f"run.dir={copy}", stages, "scoring.retry_failed=true", "scoring.dimensions=[aesthetic_quality]"
    )
    assert len([x for x in _lines(copy, "aesthetic_quality") if x["status"] == "failed"]) == 2


def test_failures_a_rerun_may_fix_fail_the_run_after_the_report(scored, tmp_path, monkeypatch):
    from eval.errors import HarnessError
    from eval.scoring import vbench_call, video_major

    run_dir, _ = scored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock", "report", "scores"))

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(vbench_call, "compute", out_of_memory)  # the dimension-major path
    monkeypatch.setattr(video_major.VideoMajorScorer, "score", out_of_memory)  # the video-major one
    with pytest.raises(HarnessError, match="rerun the same command"):
        run_inprocess(
            "+suite=smoke",
            f"run.dir={copy}",
            "run.stages=[score,aggregate,report]",
            "scoring.dimensions=[aesthetic_quality]",
        )
    results = json.loads((copy / "results.json").read_text())
    assert results["dimensions"]["aesthetic_quality"]["n_failed"] == 6 and (copy / "report").is_dir()
    assert {x["retryable"] for x in _lines(copy, "aesthetic_quality")} == {True}


@needs_code
def test_fetch_clones_the_pinned_commit_and_checks_its_files(tmp_path):
    """The clone setup.sh makes, rehearsed on a local repository holding the co-tracker export."""
    import dataclasses
    import subprocess

    from conftest import COTRACKER_SRC

    from eval.errors import HarnessError
    from eval.scoring.code import COTRACKER, fetch

    repo = tmp_path / "upstream"
    shutil.copytree(COTRACKER_SRC, repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "export"], check=True)
    pinned = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    (repo / "hubconf.py").write_text("# CoTracker3\n")
    subprocess.run([*git, "commit", "-qam", "moved on"], check=True)
    tree = dataclasses.replace(COTRACKER, url=str(repo), commit=pinned)
    dest = fetch(tree, tmp_path / "src" / "co-tracker")
    assert tree.identify(dest) == f"co-tracker@{pinned[:7]}" and "CoTracker3" not in (dest / "hubconf.py").read_text()
    assert fetch(tree, dest) == dest  # kept
    with pytest.raises(HarnessError, match="does not hold the pinned files"):
        fetch(dataclasses.replace(tree, commit="HEAD"), tmp_path / "other")
    with pytest.raises(HarnessError, match="could not fetch"):
        fetch(dataclasses.replace(tree, url=str(tmp_path / "nowhere")), tmp_path / "third")
    assert sorted(p.name for p in (tmp_path).iterdir()) == ["src", "upstream"]  # no half-made folder left


def test_submitit_ending_a_job_is_not_recorded_as_a_unit_failure(scored, tmp_path, monkeypatch):
    """Out of requeues, submitit raises UncompletedJobError inside the running unit: the worker lets it end the
    job instead of recording that unit (generate) or video (score) as failed."""
    import submitit

    import eval.generators
    from eval.scoring import vbench_call
    from eval.scoring.video_major import VideoMajorScorer
    from eval.workers.generate import GenerateShard
    from eval.workers.score import ScoreShard
    from eval.workers.score_videos import VideoMajorShard

    run_dir, _ = scored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock", "report", "scores"))

    def ended(*args, **kwargs):
        raise submitit.core.utils.UncompletedJobError("Job not requeued because: timed-out too many times.")

    monkeypatch.setattr(vbench_call, "compute", ended)
    with pytest.raises(submitit.core.utils.UncompletedJobError):
        ScoreShard(str(copy), "aesthetic_quality", 0, 1, "s", {"fps": 24, "env": {}})()
    assert not (copy / "scores").exists()
    monkeypatch.setattr(VideoMajorScorer, "score", ended)
    with pytest.raises(submitit.core.utils.UncompletedJobError):
        VideoMajorShard(str(copy), ["aesthetic_quality"], 0, 1, {"aesthetic_quality": "s"}, {"fps": 24, "env": {}})()
    assert not (copy / "scores").exists()

    shutil.rmtree(copy / "manifests")
    monkeypatch.setattr(Ending, "generate", staticmethod(ended))
    monkeypatch.setitem(eval.generators.REGISTRY, "skyreels", f"{__name__}:Ending")
    with pytest.raises(submitit.core.utils.UncompletedJobError):
        GenerateShard(str(copy), 0, 1)()
    assert not list(copy.glob("manifests/*.jsonl"))  # no unit recorded failed


class Ending(SkyReelsAdapter):
    """SkyReels' adapter without a model, whose ``generate`` a test sets."""

    def __init__(self, config, task):
        pass

    def describe(self):
        return Provenance()

    def close(self):
        pass
