"""The bad-input matrix: each case is one clear error line and a non-zero exit, and nothing produced is lost."""
from __future__ import annotations

import fcntl
import json

import pytest

from harness import manifest_lines, run_cli, run_inprocess, video_shas


def write_suite(folder, rows):
    path = folder / "suite.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    path = tmp_path / "ok.png"
    Image.new("RGB", (32, 32), (10, 200, 30)).save(path)
    return path


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    return lines[0]


@pytest.mark.parametrize("rows, expected", [
    ([{"prompt": "a cat", "image": "missing.png"}], "missing.png"),
    ([{"prompt": "a cat", "image": "corrupt.png"}], "corrupt.png"),
    ([{"prompt": "", "image": "ok.png"}], "empty prompt"),
    ([{"prompt": "x" * 300, "image": "ok.png"}], "300 bytes"),
    ([{"prompt": "a cat/dog", "image": "ok.png"}], "'/'"),
    ([{"id": "a", "prompt": "a cat", "image": "ok.png"}, {"id": "a", "prompt": "a dog", "image": "ok.png"}],
     "duplicate"),
])
def test_bad_suite_is_refused_before_generation(tmp_path, png, rows, expected):
    (tmp_path / "corrupt.png").write_bytes(png.read_bytes()[:40])
    suite = write_suite(tmp_path, rows)
    result = run_cli("+suite=custom", f"suite.path={suite}", f"run.root={tmp_path / 'runs'}")
    line = error_line(result)
    assert line.startswith("error: suite ") and expected in result.stderr, result.stderr
    assert not (tmp_path / "runs").exists()  # refused before anything was planned


def test_unknown_suite_and_launcher(tmp_path):
    for args, expected in [(["+suite=nope"], "Could not find 'suite/nope'"),
                           (["+suite=smoke", "launcher=nope"], "Could not find 'launcher/nope'")]:
        result = run_cli(*args, f"run.root={tmp_path}")
        assert result.returncode != 0 and expected in result.stderr.splitlines()[0], result.stderr


def test_missing_suite(tmp_path):
    result = run_cli(f"run.root={tmp_path}")
    assert error_line(result) == ("error: no suite given; add +suite=NAME (smoke, smoke_t2v, vbench_t2v, "
                                  "vbench_i2v, or custom with suite.path=FILE)")


@pytest.fixture(scope="module")
def done_run(tmp_path_factory, skyreels_cache):
    root = tmp_path_factory.mktemp("runs")
    return run_inprocess("+suite=smoke_t2v", "suite.samples=1", f"run.root={root}")


def test_changed_settings_in_existing_run_dir_refused(done_run):
    before = video_shas(done_run), (done_run / "plan.json").read_text()
    result = run_cli("+suite=smoke_t2v", "suite.samples=1", f"run.dir={done_run}", "generator.num_inference_steps=7")
    line = error_line(result)
    assert "already holds a different plan" in line and "generator.num_inference_steps 4 -> 7" in line
    assert (video_shas(done_run), (done_run / "plan.json").read_text()) == before


def test_two_runs_on_one_directory_are_prevented(done_run):
    lines = manifest_lines(done_run)
    with open(done_run / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_cli("+suite=smoke_t2v", "suite.samples=1", f"run.dir={done_run}")
    assert "is in use by another run" in error_line(result)
    assert manifest_lines(done_run) == lines


def test_vbench_i2v_without_data_says_what_to_provide(tmp_path, monkeypatch):
    monkeypatch.setenv("SKYREELS_CACHE", str(tmp_path / "cache"))
    result = run_cli("+suite=vbench_i2v", f"run.root={tmp_path}")
    line = error_line(result)
    assert "vbench2_i2v_full_info.json" in result.stderr and "fetch vbench_i2v" in result.stderr, line
