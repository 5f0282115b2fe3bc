"""Multiruns: one run per generator or setting, one combined leaderboard per benchmark, a model measured here
beside its published figure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from harness import manifest_lines, run_cli
from report_fixtures import write_results

from eval.report import build_report


def test_a_measured_model_sits_beside_its_published_row(tmp_path):
    run = write_results(tmp_path / "cog", model="CogVideoX-5b-I2V", published_as="CogVideoX-5b-I2V")
    other = write_results(tmp_path / "sky", model="SkyReels V1 I2V", generator={"num_inference_steps": 20})
    build_report([run, other], tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "leaderboard.csv")
    cog = table[(table["kind"] == "measured") & (table["model"] == "CogVideoX-5b-I2V")].iloc[0]
    published = table[(table["kind"] == "reported") & (table["model"] == "CogVideoX-5b-I2V")].iloc[0]
    assert cog["published_total"] == pytest.approx(published["total"]) == pytest.approx(86.70)
    assert cog["vs_published"] == pytest.approx(cog["total"] - 86.70)
    sky = table[table["model"] == "SkyReels V1 I2V"].iloc[0]
    assert pd.isna(sky["published_total"]) and pd.isna(sky["vs_published"])
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    assert f"86.70 ({cog['total'] - 86.70:+.2f})" in html and 'title="published as CogVideoX-5b-I2V"' in html


def test_a_sweep_reports_its_runs_together_and_a_failed_job_does_not_stop_it(step_sweep):
    result, sweep = step_sweep
    out = result.stdout + result.stderr
    assert result.returncode == 2, out  # the first job is refused (0 steps), the others ran
    lines = [json.loads(line) for line in (sweep / "runs.jsonl").read_text().splitlines()]
    assert [line["status"] for line in lines] == ["failed", "done", "done"]
    assert "num_inference_steps=0 must be >= 1" in lines[0]["why"]
    table = pd.read_csv(sweep / "vbench_i2v" / "leaderboard.csv")
    measured = table[table["kind"] == "measured"]
    assert len(measured) == 2 and set(measured["settings"]) == {"num_inference_steps=1", "num_inference_steps=2"}
    assert f"sweep: combined report {sweep / 'vbench_i2v' / 'leaderboard.html'}" in out
    index = (sweep / "vbench_i2v" / "leaderboard.html").read_text()  # two runs of one suite: a compare page
    (page,) = (sweep / "vbench_i2v").glob("compare-smoke-*.html")
    assert f'<a class="compare" href="{page.name}">' in index


TINY_MODELS = ("skyreels_tiny", "cogvideox_i2v_tiny", "wan_i2v_tiny", "hunyuanvideo_i2v_tiny", "wan_t2v_tiny")


def test_one_command_measures_every_tiny_model_on_one_leaderboard(tmp_path):
    """The issue's command: every built-in model on the smoke suite, one combined I2V leaderboard; the
    T2V-only model is skipped (one line), not failed."""
    result = run_cli(
        "-m",
        "+suite=smoke",
        "suite.samples=1",
        f"run.root={tmp_path}",
        f"generator={','.join(TINY_MODELS)}",
        "run.stages=[generate,score,aggregate,report]",
        "scoring.dimensions=[subject_consistency]",
        timeout=1200,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "skipped: generator wan_t2v: it makes T2V videos, not I2V" in out
    (sweep,) = (tmp_path / "sweeps").iterdir()
    assert [p.name for p in sweep.glob("*/leaderboard.html")] == ["leaderboard.html"]
    table = pd.read_csv(sweep / "vbench_i2v" / "leaderboard.csv")
    measured = table[table["kind"] == "measured"].set_index("model")
    assert sorted(measured.index) == [
        "CogVideoX-5b-I2V (tiny random)",
        "HunyuanVideo-I2V (tiny random)",
        "SkyReels V1 I2V (tiny random)",
        "Wan2.1-I2V-14B (tiny random)",
    ]
    assert (measured["n_scored"] == 3).all() and measured["random_weights"].all()
    assert measured["published_total"].isna().all()  # random weights are never paired with a published row
    for run in measured["run"]:  # each model's own fps, in the manifest and in every container
        plan = json.loads((Path(run) / "plan.json").read_text())
        assert {line["fps"] for line in manifest_lines(Path(run))} == {plan["generator"]["fps"]}, run
