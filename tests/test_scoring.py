"""Scoring through VBench's own code on random-weight fixtures: stages, sharding, exact aggregation, bad input."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
from conftest import CODE_ENV, HAVE_THIRD_PARTY
from harness import manifest_lines, run_cli, run_inprocess

STAGES = "run.stages=[generate,score,aggregate]"


def score_lines(run_dir):
    return sorted(
        (json.loads(line) for p in (run_dir / "scores").glob("*/*.jsonl") for line in p.read_text().splitlines()),
        key=lambda r: (r["dimension"], r["key"]),
    )


def test_smoke_is_scored_by_vbench(scored):
    """Every dimension fully scored (camera_motion where the pinned code is at hand: test_camera_motion.py)."""
    run_dir, results = scored
    assert results["benchmark"] == "vbench_i2v"
    assert results["status"] == ("complete" if HAVE_THIRD_PARTY else "partial")
    assert results["missing"] == ([] if HAVE_THIRD_PARTY else ["camera_motion"])
    assert (results["total"]["value"] is None) != HAVE_THIRD_PARTY
    assert results["groups"]["quality"]["value"] is not None  # its six dimensions are all there
    dims = results["dimensions"]
    assert len(dims) == (10 if HAVE_THIRD_PARTY else 9)
    for name, d in dims.items():
        expected = 2 if name == "camera_motion" else 6  # one camera prompt
        assert (d["n_scored"], d["n_expected"], d["n_failed"]) == (expected, expected, 0), name
        assert math.isfinite(d["raw"]) and d["ci95"][0] <= d["raw"] <= d["ci95"][1], name
    assert results["constants_source"].startswith("Vchitect/VBench scripts/constant.py")
    prov = results["provenance"]
    assert prov["packages"]["vbench"] == "0.1.5" and prov["scoring"]["fixtures"] is True
    assert prov["generation"]["weights"] == ["base=tiny@tiny-v1", "transformer=tiny@tiny-v1"]


def test_aggregate_recomputes_from_per_video_scores(scored):
    """results.json follows from the stored per-video lines by VBench's single-process formulas."""
    run_dir, results = scored
    lines = score_lines(run_dir)
    by_dim = {}
    for line in lines:
        by_dim.setdefault(line["dimension"], []).append(line)
    subject = by_dim["subject_consistency"]  # frame-pair weighted: 9 frames -> 8 pairs per video
    assert {line["weight"] for line in subject} == {8.0}
    pairs = by_dim["background_consistency"]
    expected = sum(x["value"] * x["weight"] for x in pairs) / sum(x["weight"] for x in pairs)
    assert results["dimensions"]["background_consistency"]["raw"] == pytest.approx(expected, rel=1e-12)
    imaging = by_dim["imaging_quality"]
    assert results["dimensions"]["imaging_quality"]["raw"] == pytest.approx(
        sum(x["value"] for x in imaging) / len(imaging) / 100, rel=1e-12
    )
    dd = by_dim["dynamic_degree"]
    assert {x["value"] for x in dd} <= {0.0, 1.0}


def test_rerun_scores_nothing_and_three_chunks_give_identical_numbers(scored, tmp_path):
    run_dir, results = scored
    before = score_lines(run_dir)
    run_inprocess("+suite=smoke", f"run.dir={run_dir}", STAGES)
    assert score_lines(run_dir) == before  # nothing rescored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scores", "scoring-work", "results.json", ".lock"))
    run_inprocess("+suite=smoke", f"run.dir={copy}", STAGES, "scoring.chunks=3")
    assert len(list((copy / "scores" / "aesthetic_quality").glob("*.jsonl"))) == 3
    other = json.loads((copy / "results.json").read_text())
    strip = ("run", "provenance", "date")
    assert {k: v for k, v in other.items() if k not in strip} | {"dimensions": None} == {
        k: v for k, v in results.items() if k not in strip
    } | {"dimensions": None}
    for name, d in results["dimensions"].items():
        o = other["dimensions"][name]
        assert (o["raw"], o["ci95"], o["n_scored"]) == (d["raw"], d["ci95"], d["n_scored"]), name
    assert [(x["key"], x["dimension"], x["value"]) for x in score_lines(copy)] == [
        (x["key"], x["dimension"], x["value"]) for x in before
    ]


def test_regenerated_video_with_new_bytes_is_rescored_alone(scored, tmp_path):
    from eval.manifest import GenerationRecord, append_record, manifest_path

    run_dir, _ = scored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock"))
    import numpy as np

    from eval.atomic import sha256_file
    from videogen.mp4 import write_mp4

    victim = manifest_lines(copy)[0]
    frames = np.random.default_rng(1).integers(0, 255, (9, 128, 128, 3), dtype=np.uint8)
    write_mp4(frames, copy / victim["video"], fps=24)  # the unit regenerated with other bytes
    sha = sha256_file(copy / victim["video"])
    size = (copy / victim["video"]).stat().st_size
    append_record(manifest_path(copy, 0, 1), GenerationRecord(**{**victim, "sha256": sha, "size": size}))
    before = score_lines(copy)
    run_inprocess("+suite=smoke", f"run.dir={copy}", "run.stages=[score,aggregate]")
    new = [x for x in score_lines(copy) if x not in before]
    assert {x["key"] for x in new} == {victim["key"]} and {x["video_sha256"] for x in new} == {sha}
    assert len(new) == 9  # once per dimension
    assert json.loads((copy / "results.json").read_text())["dimensions"]["aesthetic_quality"]["n_scored"] == 6


def test_unknown_dimension_and_missing_weights(tmp_path, scored):
    run_dir, _ = scored
    bad = run_cli("+suite=smoke", f"run.dir={run_dir}", "run.stages=[score]", "scoring.dimensions=[colour]")
    assert bad.returncode == 2 and "unknown or not yet supported dimension 'colour'" in bad.stderr
    missing = run_cli(
        "+suite=smoke",
        f"run.dir={run_dir}",
        "run.stages=[score]",
        "scoring=vbench",
        f"scoring.vbench_cache_dir={tmp_path / 'empty'}",
        f"scoring.torch_home={tmp_path / 'th'}",
        "scoring.dimensions=[aesthetic_quality]",
    )
    assert missing.returncode == 2
    assert "clip_model/ViT-L-14.pt" in missing.stderr and "openaipublic.azureedge.net" in missing.stderr
    assert "sa_0_4_vit_l_14_linear.pth" in missing.stderr


def test_camera_motion_named_without_its_code_is_refused(scored):
    run_dir, _ = scored
    env = {k: v for k, v in os.environ.items() if k not in (*CODE_ENV, "PYTHONPATH")}
    result = run_cli(
        "+suite=smoke", f"run.dir={run_dir}", "run.stages=[score]", "scoring.dimensions=[camera_motion]", env=env
    )
    assert result.returncode == 2 and "cotracker" in result.stderr.lower() and "45e79ec" in result.stderr


@pytest.fixture
def shard(scored):
    from eval.workers.score import ScoreShard

    run_dir, _ = scored
    return ScoreShard(str(run_dir), "dynamic_degree", 0, 1, "test", {"fps": 24, "env": {}})


def test_bad_videos_get_clear_reasons(shard, tmp_path, scored):
    import numpy as np

    from videogen.mp4 import write_mp4

    run_dir, _ = scored
    good = run_dir / manifest_lines(run_dir)[0]["video"]
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(good.read_bytes()[:300])
    assert shard.check_video(truncated).startswith(f"cannot decode {truncated}")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert shard.check_video(empty).startswith(f"cannot decode {empty}")
    frames = np.zeros((9, 128, 128, 3), np.uint8)
    slow = write_mp4(frames, tmp_path / "slow.mp4", fps=8)
    assert "has 8.0 fps in its container, the run expects 24" in shard.check_video(slow)
    small = write_mp4(frames[:, :64, :64], tmp_path / "small.mp4", fps=24)
    assert "gives NaN below 128 px" in shard.check_video(small)
    single = write_mp4(frames[:1], tmp_path / "single.mp4", fps=24)
    assert "has 1 frames; dynamic_degree needs at least 2" in shard.check_video(single)
    assert shard.check_video(good) is None


def test_nan_from_a_model_fails_that_video_only(scored, tmp_path, monkeypatch):
    """One video gets NaN from VBench's model: it alone is recorded as failed, the others are scored."""
    import vbench.temporal_flickering as tf

    run_dir, _ = scored
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scores", "scoring-work", "results.json", ".lock"))
    victim = manifest_lines(copy)[1]
    original = tf.temporal_flickering
    target = (copy / victim["video"]).resolve()

    def with_nan(video_list):
        avg, results = original(video_list)
        for r in results:
            if Path(r["video_path"]).resolve() == target:
                r["video_results"] = float("nan")
        return avg, results

    monkeypatch.setattr(tf, "temporal_flickering", with_nan)
    run_inprocess("+suite=smoke", f"run.dir={copy}", "run.stages=[score]", "scoring.dimensions=[temporal_flickering]")
    lines = [x for x in score_lines(copy) if x["dimension"] == "temporal_flickering"]
    failed = [x for x in lines if x["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["key"] == victim["key"] and "returned nan" in failed[0]["error"]
    assert failed[0]["retryable"] is False  # a NaN comes back on every rerun: the run ends partial, not failed
    assert sum(x["status"] == "ok" for x in lines) == 5


def test_relative_run_root_scores(tmp_path, monkeypatch, skyreels_cache):
    """The README's default run uses a relative run root; VBench is called from a scratch folder."""
    monkeypatch.chdir(tmp_path)
    run_dir = run_inprocess(
        "+suite=smoke",
        "suite.samples=1",
        "run.root=runs",
        "run.stages=[generate,score,aggregate]",
        "scoring.dimensions=[temporal_flickering]",
    )
    assert run_dir.is_absolute() and run_dir.is_relative_to(tmp_path)
    d = json.loads((run_dir / "results.json").read_text())["dimensions"]["temporal_flickering"]
    assert (d["n_scored"], d["n_failed"]) == (3, 0)
