"""``eval.export vbench``: VBench's own scripts read the exported zip back to the run's Total and groups; the
per-video lists are VBench's own; partial runs are refused or flagged on every line."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import zipfile
from dataclasses import replace

import numpy as np
import pytest
from conftest import HAVE_THIRD_PARTY, VBENCH_SRC
from harness import compose
from report_fixtures import write_results

from eval.aggregate import AggregateError, aggregate, load_raw
from eval.benchmarks import BENCHMARKS
from eval.export import ExportError, export_vbench, main
from eval.report.load import ReportError
from eval.scoring.records import ScoreRecord, append_score, scores_path
from eval.scoring.specs import UNCOUNTED

needs_code = pytest.mark.skipif(not HAVE_THIRD_PARTY, reason="../shared/third_party not found beside the checkout")
# What each script prints (cal_final_score.py:82-84, cal_i2v_final_score.py:82-84 at 45e79ec), -> results.json keys.
PRINTED = {
    "vbench": (
        "cal_final_score.py",
        {"quality score": "quality", "semantic score": "semantic", "total score": "total"},
    ),
    "vbench_i2v": ("cal_i2v_final_score.py", {"Quality Score": "quality", "I2V Score": "i2v", "Total Score": "total"}),
}


def vbench_scores(benchmark: str, zip_path, tmp_path) -> dict[str, float]:
    """Run VBench's own script on the zip, in a folder of its own (it unpacks the zip into ./<model_name>)."""
    script, printed = PRINTED[benchmark]
    work = tmp_path / "cal"
    work.mkdir()
    out = subprocess.run(
        [sys.executable, str(VBENCH_SRC / "scripts" / script), "--zip_file", str(zip_path), "--model_name", "m"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = dict(re.findall(r"^\|\s*([A-Za-z0-9 ]+?)\|(.+)\|$", out, re.M))
    return {key: float(found[label]) for label, key in printed.items()}


def expected(results: dict) -> dict[str, float]:
    return {"total": results["total"]["value"], **{g: v["value"] for g, v in results["groups"].items()}}


@needs_code
def test_vbench_i2v_script_reads_the_real_run_back_to_its_scores(scored, tmp_path):
    run_dir, results = scored
    out = tmp_path / "evaluation_results.zip"
    export = export_vbench(run_dir, out)
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == [f"results_{results['date']}_eval_results.json"]  # flat: no folder
        data = json.loads(archive.read(archive.namelist()[0]))
    assert list(data) == list(BENCHMARKS["vbench_i2v"].scored)  # no temporal_flickering: I2VKEY lacks it
    for dim, entry in data.items():
        assert entry[0] == results["dimensions"][dim]["raw"]
        assert len(entry[-1]) == results["dimensions"][dim]["n_scored"]
    got = vbench_scores("vbench_i2v", out, tmp_path)
    assert got == pytest.approx(expected(results), abs=1e-9, rel=0)
    (tmp_path / "unzipped.json").write_bytes(zipfile.ZipFile(out).read(export.result_file))
    again = aggregate(load_raw(tmp_path / "unzipped.json"), "vbench_i2v", check_range=False)  # camera_motion's 3 parts
    assert again.total == pytest.approx(results["total"]["value"], abs=1e-12)
    info = json.loads(export.model_info_path.read_text())
    assert info["model_details"]["Model"] == results["model"] and info["random_weights"] is True
    assert info["expected_scores"] == pytest.approx(expected(results))
    assert export.lines[0].startswith("export: random weights") and not export.missing
    again = export_vbench(run_dir, tmp_path / "again.zip")
    assert again.zip_path.read_bytes() == out.read_bytes()  # the same run, the same bytes


@needs_code
def test_per_video_entries_are_vbench_i2v_evaluates_own(scored, tmp_path):
    """The same files through one ``VBenchI2V.evaluate`` call: every field the export writes is VBench's, with
    VBench's value, and only the fields the module docstring names are left out."""
    from vbench_official import official

    from eval.scoring.setup import prepare_scoring

    run_dir, _ = scored
    dims = ["camera_motion", "i2v_subject", "background_consistency"]
    prepare_scoring(compose("+suite=smoke").scoring, dims, check=False)
    theirs = official(run_dir, tmp_path / "official", dims)
    export_vbench(run_dir, tmp_path / "e.zip")
    with zipfile.ZipFile(tmp_path / "e.zip") as archive:
        ours = json.loads(archive.read(archive.namelist()[0]))
    left_out = {"background_consistency": {"video_sim"}}
    for dim in dims:
        assert ours[dim][0] == pytest.approx(theirs[dim][0], abs=1e-12)
        by_name = {entry["video_path"].rsplit("/", 1)[-1]: entry for entry in theirs[dim][-1]}
        assert [e["video_path"] for e in ours[dim][-1]] == list(by_name)  # VBench's order: items, then indices
        for entry in ours[dim][-1]:
            vbench = by_name[entry["video_path"]]
            assert list(entry) == [k for k in vbench if k not in left_out.get(dim, ())]
            for key, value in entry.items():
                if key == "predict_type":
                    assert value == sorted(vbench[key])  # VBench's list(set(...)) order follows PYTHONHASHSEED
                elif key != "video_path":
                    assert value == vbench[key], (dim, key)
    per_type = ours["camera_motion"][1]
    assert list(per_type) == list(theirs["camera_motion"][1])
    for kind, value in per_type.items():
        assert (math.isnan(value) and math.isnan(theirs["camera_motion"][1][kind])) or value == pytest.approx(
            theirs["camera_motion"][1][kind], abs=1e-12
        )


@needs_code
def test_vbench_t2v_script_reads_the_export_back_to_results(tmp_path):
    """T2V on a results.json fed with raw values (a complete T2V run of 16 dimensions is not cheap here)."""
    rng = np.random.default_rng(7)
    raw = {d: float(rng.uniform(0.05, 0.95)) for d in BENCHMARKS["vbench"].dimensions}
    raw["scene"], raw["appearance_style"], raw["temporal_style"] = 0.41, 0.2, 0.23  # inside their max
    run_dir = tmp_path / "run"
    results = json.loads(write_results(run_dir, benchmark="vbench", raw=raw).read_text())
    for i, video in enumerate(results["videos"]):
        for dim, value in video["scores"].items():
            uncounted = dim == "color" and i == 0  # VBench's color found no coloured object in it: not listed
            record = ScoreRecord(video["sha256"], dim, "s", "ok", video["key"], video["item_id"], 0, value, 16.0)
            if uncounted:
                record = replace(record, weight=0.0, extra=dict(UNCOUNTED.extra))
            append_score(scores_path(run_dir, dim, 0, 1), record)
    out = tmp_path / "t2v.zip"
    export = export_vbench(run_dir, out, name="skyreels")
    assert export.result_file == "skyreels_eval_results.json" and len(export.dimensions) == 16
    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read(export.result_file))
    assert [v["video_path"] for v in data["color"][1]] == ["prompt number 1-0.mp4"]
    assert data["scene"][1][1] == {
        "video_path": "prompt number 1-0.mp4",
        "video_results": raw["scene"],
        "success_frame_count": round(raw["scene"] * 16),
        "frame_count": 16,
    }
    got = vbench_scores("vbench", out, tmp_path)
    assert got == pytest.approx(expected(results), abs=1e-9, rel=0)
    assert not export.lines[0].startswith("export: random weights")


def test_a_partial_run_is_refused_or_flagged_on_every_line(tmp_path, capsys):
    run_dir = tmp_path / "run"
    write_results(run_dir, drop=("camera_motion",))
    with pytest.raises(ExportError, match=r"partial: camera_motion not completely scored.*--allow-partial"):
        export_vbench(run_dir, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()
    assert main(["vbench", str(run_dir), "--out", str(tmp_path / "x.zip")]) == 2
    assert "score each of them as 0" in capsys.readouterr().err
    results = json.loads((run_dir / "results.json").read_text())
    for video in results["videos"]:
        for dim, value in video["scores"].items():
            record = ScoreRecord(video["sha256"], dim, "s", "ok", video["key"], video["item_id"], 0, value, 16.0)
            append_score(scores_path(run_dir, dim, 0, 1), record)
    assert main(["vbench", str(run_dir), "--out", str(tmp_path / "x.zip"), "--allow-partial"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3 and all(line.startswith("WARNING partial export, missing camera_motion") for line in lines)
    with zipfile.ZipFile(tmp_path / "x.zip") as archive:
        assert "camera_motion" not in json.loads(archive.read(archive.namelist()[0]))


def test_scores_missing_under_the_run_are_named(tmp_path):
    run_dir = tmp_path / "run"
    write_results(run_dir)
    with pytest.raises(ExportError, match=r"has a camera_motion score but .*scores/camera_motion/"):
        export_vbench(run_dir, tmp_path / "x.zip")
    (run_dir / "results.json").unlink()
    with pytest.raises(ReportError, match="no results file"):
        export_vbench(run_dir, tmp_path / "x.zip")


def test_aggregate_reads_vbench_result_files_with_camera_motion(tmp_path):
    path = tmp_path / "bench_eval_results.json"
    camera = [0.3, {"pan_left": 0.3}, [{"video_results": 0.3}]]
    path.write_text(json.dumps({"camera_motion": camera, "i2v_subject": [0.9, []]}))
    assert load_raw(path) == {"camera_motion": 0.3, "i2v_subject": 0.9}
    path.write_text(json.dumps({"camera_motion": [0.3, {"pan_left": 0.3}, 7]}))
    with pytest.raises(AggregateError, match=r"camera_motion: \[aggregate, \{type: mean\}, \[per-video results\]\]"):
        load_raw(path)
