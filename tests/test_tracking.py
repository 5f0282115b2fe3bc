"""report.tracker=wandb / mlflow: the run's settings, scores and per-video table with previews, logged offline
and read back from the tracker's own files."""

from __future__ import annotations

import json
import shutil

import pytest
from harness import run_inprocess
from tracker_files import wandb_run

from eval.tracking import LOGGED, PROJECT, TrackerError, scores


@pytest.fixture
def scored_copy(scored, tmp_path, monkeypatch):
    """A copy of the session's scored run (with its report and previews), offline trackers' defaults."""
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("WANDB_DATA_DIR", str(tmp_path / "wandb-data"))  # its artifact staging, not under ~
    run_dir, results = scored
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scoring-work", ".lock"))
    return copy, json.loads((copy / "results.json").read_text())


def _report(run_dir, tracker: str) -> None:
    run_inprocess("+suite=smoke", f"run.dir={run_dir}", "run.stages=[report]", f"report.tracker={tracker}")


def _previews(run_dir, results) -> dict[str, bytes]:
    """Video key -> the bytes of the report's preview of it."""
    names = {p.name[:16]: p for p in (run_dir / "report" / "previews").glob("*.webp")}
    return {v["key"]: names[v["sha256"][:16]].read_bytes() for v in results["videos"]}


def test_wandb_offline_run_holds_settings_scores_and_the_video_table(scored_copy):
    run_dir, results = scored_copy
    _report(run_dir, "wandb")
    run = wandb_run(run_dir)
    assert run["config"]["fingerprint"] == results["fingerprint"] and run["config"]["suite"] == "smoke"
    assert run["config"]["generator"] == results["generator"]
    assert set(run["config"]["scorers"]) == set(results["dimensions"])
    expected = scores(results)
    assert "total" in expected and any(k.startswith("group/") for k in expected)
    assert {k: run["summary"][k] for k in expected} == pytest.approx(expected, rel=1e-12)
    table = run["tables"]["videos"]
    assert table["columns"][:5] == ["key", "item_id", "index", "seed", "prompt"] and table["columns"][-1] == "preview"
    rows = {row[0]: dict(zip(table["columns"], row)) for row in table["data"]}
    assert set(rows) == {v["key"] for v in results["videos"]} and len(rows) == 6
    previews = _previews(run_dir, results)
    for video in results["videos"]:
        row = rows[video["key"]]
        assert {d: row[d] for d in results["dimensions"]} == {d: video["scores"].get(d) for d in results["dimensions"]}
        path = row["preview"]["path"]  # in the artifact; its staged copy has a temporary name
        assert path.endswith(".webp") and table["files"][path].read_bytes() == previews[video["key"]]  # animated
    assert len(list(run_dir.glob(LOGGED))) == 1
    _report(run_dir, "wandb")  # the same results again: not logged twice
    assert len(list(run_dir.glob("wandb/offline-run-*"))) == 1
    assert len((run_dir / LOGGED).read_text().splitlines()) == 1


def test_mlflow_file_store_holds_settings_scores_and_the_video_table(scored_copy, monkeypatch):
    import mlflow

    run_dir, results = scored_copy
    _report(run_dir, "mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # to read the file store back (see eval/tracking.py)
    client = mlflow.MlflowClient(tracking_uri=(run_dir / "mlruns").as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name(PROJECT).experiment_id])
    params = run.data.params
    assert params["fingerprint"] == results["fingerprint"] and params["suite"] == "smoke"
    assert json.loads(params["generator.num_inference_steps"]) == results["generator"]["num_inference_steps"]
    assert run.data.metrics == pytest.approx(scores(results), rel=1e-12)
    assert run.data.tags["status"] == results["status"] and run.info.status == "FINISHED"
    downloaded = run_dir / "downloaded"
    downloaded.mkdir()
    for artifact in ("videos.json", "previews"):
        client.download_artifacts(run.info.run_id, artifact, str(downloaded))
    table = json.loads((downloaded / "videos.json").read_text())  # log_table's JSON: columns and data
    rows = {row[0]: dict(zip(table["columns"], row)) for row in table["data"]}
    assert set(rows) == {v["key"] for v in results["videos"]} and len(rows) == 6
    previews = _previews(run_dir, results)
    for video in results["videos"]:
        row = rows[video["key"]]
        assert {d: row[d] for d in results["dimensions"]} == {d: video["scores"].get(d) for d in results["dimensions"]}
        assert (downloaded / row["preview"]).read_bytes() == previews[video["key"]]


def test_a_tracker_that_is_not_installed_is_refused_before_any_work(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a))
    with pytest.raises(
        TrackerError, match=r"needs the wandb package, which is not installed: pip install -e '\.\[tracking\]'"
    ):
        run_inprocess("+suite=smoke", f"run.root={tmp_path}", "run.stages=[generate,report]", "report.tracker=wandb")
    with pytest.raises(TrackerError, match="report.tracker=neptune is not known; it takes wandb or mlflow"):
        run_inprocess("+suite=smoke", f"run.root={tmp_path}", "run.stages=[report]", "report.tracker=neptune")
    assert not list(tmp_path.iterdir())  # refused before the run directory was made
