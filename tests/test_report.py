"""The report: one table from results files and baselines -> CSV, JSON, HTML, plots, drill-down; bad input."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from report_fixtures import RAW, write_results

from eval.aggregate import aggregate
from eval.baselines import BaselinesError, load_baselines
from eval.report import build_report
from eval.report.load import ReportError


@pytest.fixture
def complete_run(tmp_path):
    return write_results(tmp_path / "runA", model="Model A")


def read_table(out):
    return pd.read_csv(out / "leaderboard.csv"), json.loads((out / "leaderboard.json").read_text())


def test_csv_and_json_hold_the_measured_row_and_every_baseline(complete_run, tmp_path):
    index = build_report([complete_run], tmp_path / "out")
    assert index == tmp_path / "out" / "leaderboard.html"
    csv, js = read_table(tmp_path / "out")
    measured = csv[csv["kind"] == "measured"].iloc[0]
    point = aggregate(
        {
            d: RAW[d]
            for d in (
                "camera_motion",
                "i2v_subject",
                "i2v_background",
                "subject_consistency",
                "background_consistency",
                "motion_smoothness",
                "dynamic_degree",
                "aesthetic_quality",
                "imaging_quality",
                "temporal_flickering",
            )
        },
        "vbench_i2v",
    )
    assert measured["model"] == "Model A" and measured["status"] == "complete" and measured["comparable"]
    assert measured["total"] == pytest.approx(100 * point.total, abs=1e-9)
    assert measured["i2v"] == pytest.approx(100 * point.groups["i2v"], abs=1e-9)
    assert measured["quality"] == pytest.approx(100 * point.groups["quality"], abs=1e-9)
    for dim in point.raw:
        assert measured[dim] == pytest.approx(100 * point.raw[dim], abs=1e-9), dim
        assert measured[f"{dim}_normalised"] == pytest.approx(100 * point.normalised[dim], abs=1e-9), dim
    assert (measured["n_scored"], measured["n_expected"]) == (20, 20)
    assert measured["source"] == "measured by this harness" and measured["seconds_per_video"] == 10.5
    baselines = load_baselines("vbench_i2v")
    reported = csv[csv["kind"] == "reported"].set_index("model")
    assert sorted(reported.index) == sorted(baselines["model"])
    for _, row in baselines.iterrows():
        assert reported.loc[row["model"], "source"] == row["source"]
        for column in ("total", "quality", "camera_motion", "i2v_subject"):
            assert (math.isnan(row[column]) and math.isnan(reported.loc[row["model"], column])) or reported.loc[
                row["model"], column
            ] == pytest.approx(row[column]), (row["model"], column)
    # ranked by Total, ranks only where there is a Total, JSON rows equal to the CSV rows
    ranked = csv[csv["rank"].notna()]
    assert list(ranked["total"]) == sorted(ranked["total"], reverse=True)
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert js["benchmark"] == "vbench_i2v" and js["columns"] == list(csv.columns)
    assert [r["model"] for r in js["rows"]] == list(csv["model"])
    assert js["rows"][list(csv["model"]).index("Model A")]["total"] == pytest.approx(measured["total"])


def test_partial_run_has_a_badge_and_no_total_or_rank(tmp_path):
    run = write_results(tmp_path / "partial", model="Partial model", drop=("camera_motion",))
    build_report([run], tmp_path / "out")
    csv, js = read_table(tmp_path / "out")
    row = csv[csv["model"] == "Partial model"].iloc[0]
    assert row["status"] == "partial" and math.isnan(row["total"]) and math.isnan(row["i2v"])
    assert not math.isnan(row["quality"])  # its group is complete
    assert pd.isna(row["rank"]) and not row["comparable"] and "camera_motion (not scored)" in row["missing"]
    assert next(r for r in js["rows"] if r["model"] == "Partial model")["total"] is None
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    line = next(tr for tr in html.split("<tr") if 'data-model="Partial model"' in tr)
    assert '<span class="badge partial">partial</span>' in line
    total_cell = line.split("<td")[3]  # rank, model, Total
    assert total_cell.startswith(' data-value=""') and "></td>" in total_cell


def test_t2v_and_i2v_are_never_mixed(tmp_path):
    i2v = write_results(tmp_path / "i2v", benchmark="vbench_i2v")
    t2v = write_results(tmp_path / "t2v", benchmark="vbench")
    with pytest.raises(ReportError, match="never ranked together"):
        build_report([i2v, t2v], tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()  # nothing written
    build_report([t2v], tmp_path / "t2v-out")
    csv, _ = read_table(tmp_path / "t2v-out")
    assert set(csv["model"]) == {"Model A"} | set(load_baselines("vbench")["model"])
    assert "semantic" in csv.columns and "i2v" not in csv.columns and "i2v_subject" not in csv.columns
    assert not set(csv["model"]) & set(load_baselines("vbench_i2v")["model"])


def test_plots_are_written_and_non_empty(complete_run, tmp_path):
    build_report([complete_run], tmp_path / "out")
    plots = tmp_path / "out" / "plots"
    for name in ("dimensions", "radar", "groups", "cost"):
        with Image.open(plots / f"{name}.png") as png:
            assert png.width > 300 and png.height > 200
            assert len(np.unique(np.asarray(png.convert("L")))) > 10, name  # not a blank canvas
        svg = ET.parse(plots / f"{name}.svg").getroot()
        assert svg.tag.endswith("svg") and len(list(svg.iter())) > 50, name
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    assert html.count('src="data:image/png;base64,') == 4  # embedded: the page stands alone


def test_cost_plot_is_left_out_when_no_cost_is_known(tmp_path):
    run = write_results(tmp_path / "run")
    data = json.loads(run.read_text())
    data["cost"] = None
    run.write_text(json.dumps(data))
    build_report([run], tmp_path / "out")
    assert not (tmp_path / "out" / "plots" / "cost.png").exists()
    assert (tmp_path / "out" / "plots" / "radar.png").exists()


def test_rebuilding_gives_the_same_bytes(complete_run, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    build_report([complete_run], first)
    build_report([complete_run], second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) > 10
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_drilldown_lists_every_video_with_preview_prompt_image_seed_and_scores(complete_run, tmp_path):
    (complete_run.parent / "videos" / "v1.mp4").unlink()  # a deleted video is shown as such, not fatal
    build_report([complete_run], tmp_path / "out")
    results = json.loads(complete_run.read_text())
    page = tmp_path / "out" / f"videos-vbench_i2v-{results['fingerprint']}.html"
    html = page.read_text()
    assert f'href="{page.name}"' in (tmp_path / "out" / "leaderboard.html").read_text()
    for video in results["videos"]:
        assert video["prompt"] in html and f'data-value="{video["seed"]}"' in html
    assert html.count(".webp") == 1 and "video file missing" in html
    assert html.count('src="images/') == 2
    assert f"{RAW['dynamic_degree']:.4f}" in html
    preview = next((tmp_path / "out" / "previews").glob("*.webp"))
    with Image.open(preview) as im:
        assert im.is_animated and im.n_frames == 5 and im.width <= 160


def test_random_weights_get_the_banner(tmp_path):
    run = write_results(tmp_path / "tiny", tiny=True)
    build_report([run], tmp_path / "out")
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    assert 'id="banner"' in html and "meaningless" in html
    plain = write_results(tmp_path / "real")
    build_report([plain], tmp_path / "out2")
    assert 'id="banner"' not in (tmp_path / "out2" / "leaderboard.html").read_text()


# --- bad input -------------------------------------------------------------------------------------


def test_results_of_an_older_schema_are_refused_with_the_fix(complete_run, tmp_path):
    data = json.loads(complete_run.read_text())
    data["schema"] = 1
    complete_run.write_text(json.dumps(data))
    with pytest.raises(ReportError, match=r"schema 1.*run.stages=\[aggregate\]"):
        build_report([complete_run], tmp_path / "out")


def test_a_nan_in_results_is_refused_naming_where(complete_run, tmp_path):
    data = json.loads(complete_run.read_text())
    data["dimensions"]["aesthetic_quality"]["raw"] = float("nan")
    complete_run.write_text(json.dumps(data))  # json writes a bare NaN, as VBench's own files hold
    with pytest.raises(ReportError, match=r"dimensions\.aesthetic_quality\.raw is not a finite number"):
        build_report([complete_run], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_baseline_file_with_a_missing_column_is_refused(complete_run, tmp_path):
    broken = tmp_path / "baselines.csv"
    pd.read_csv(load_baselines.__globals__["BASELINES_DIR"] / "vbench_i2v.csv", dtype=str).drop(
        columns="quality"
    ).to_csv(broken, index=False)
    with pytest.raises(BaselinesError, match=r"missing column\(s\) quality"):
        build_report([complete_run], tmp_path / "out", baselines=broken)


def test_two_runs_of_one_model_with_different_settings_are_labelled_apart(tmp_path):
    a = write_results(tmp_path / "a", model="SkyReels V1 I2V", generator={"num_inference_steps": 30})
    b = write_results(
        tmp_path / "b",
        model="SkyReels V1 I2V",
        generator={"num_inference_steps": 50},
        raw={**RAW, "aesthetic_quality": 0.7},
    )
    build_report([a, b], tmp_path / "out")
    csv, _ = read_table(tmp_path / "out")
    rows = csv[csv["kind"] == "measured"].set_index("settings")
    assert sorted(rows.index) == ["num_inference_steps=30", "num_inference_steps=50"]
    assert rows.loc["num_inference_steps=50", "total"] > rows.loc["num_inference_steps=30", "total"]
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    assert "SkyReels V1 I2V [num_inference_steps=30]" in html and "SkyReels V1 I2V [num_inference_steps=50]" in html
    with pytest.raises(ReportError, match="same run"):
        build_report([a, a], tmp_path / "twice")


def test_an_older_formula_baseline_is_labelled_and_not_ranked(complete_run, tmp_path):
    table = pd.read_csv(
        load_baselines.__globals__["BASELINES_DIR"] / "vbench_i2v.csv", dtype=str, keep_default_na=False
    )
    old = table.iloc[[0]].assign(model="Old paper figure", formula="vbench_i2v_2024", total="90.25")
    path = tmp_path / "baselines.csv"
    pd.concat([table, old]).to_csv(path, index=False)
    build_report([complete_run], tmp_path / "out", baselines=path)
    csv, _ = read_table(tmp_path / "out")
    row = csv[csv["model"] == "Old paper figure"].iloc[0]
    assert row["older_formula"] and pd.isna(row["rank"]) and row["total"] == 90.25
    html = (tmp_path / "out" / "leaderboard.html").read_text()
    line = next(tr for tr in html.split("<tr") if 'data-model="Old paper figure"' in tr)
    assert "older formula" in line


def test_a_run_off_the_published_suite_is_shown_but_not_ranked(tmp_path):
    run = write_results(tmp_path / "smoke", suite="smoke")
    build_report([run], tmp_path / "out")
    csv, _ = read_table(tmp_path / "out")
    row = csv[csv["kind"] == "measured"].iloc[0]
    assert row["status"] == "complete" and not math.isnan(row["total"]) and pd.isna(row["rank"])
    assert "not comparable" in row["note"]


def test_cli_reports_a_run_and_names_problems(complete_run, tmp_path, capsys):
    from eval.report.build import main

    assert main([str(complete_run.parent)]) == 0
    assert (complete_run.parent / "report" / "leaderboard.html").is_file()
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "no results file" in capsys.readouterr().err
