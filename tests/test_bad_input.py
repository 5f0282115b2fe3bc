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


@pytest.mark.parametrize(
    "rows, expected",
    [
        ([{"prompt": "a cat", "image": "missing.png"}], "missing.png"),
        ([{"prompt": "a cat", "image": "corrupt.png"}], "corrupt.png"),
        ([{"prompt": "", "image": "ok.png"}], "empty prompt"),
        ([{"prompt": "x" * 300, "image": "ok.png"}], "300 bytes"),
        ([{"prompt": "a cat/dog", "image": "ok.png"}], "'/'"),
        (
            [{"prompt": "a cat", "image": "ok.png"}, {"prompt": "a cat\nwalks", "image": "ok.png"}],
            "suite.jsonl:2: prompt contains the control character '\\n' at character 6",
        ),
        (
            [{"id": "a", "prompt": "a cat", "image": "ok.png"}, {"id": "a", "prompt": "a dog", "image": "ok.png"}],
            "duplicate",
        ),
    ],
)
def test_bad_suite_is_refused_before_generation(tmp_path, png, rows, expected):
    (tmp_path / "corrupt.png").write_bytes(png.read_bytes()[:40])
    suite = write_suite(tmp_path, rows)
    result = run_cli("+suite=custom", f"suite.path={suite}", f"run.root={tmp_path / 'runs'}")
    line = error_line(result)
    assert line.startswith("error: suite ") and expected in result.stderr, result.stderr
    assert not (tmp_path / "runs").exists()  # refused before anything was planned


@pytest.mark.parametrize(
    "setting, value", [("run.shards", "0"), ("run.shards", "-3"), ("scoring.chunks", "0"), ("run.shards", "abc")]
)
def test_invalid_count_is_refused_before_anything_is_made(tmp_path, setting, value):
    result = run_cli("+suite=smoke_t2v", f"run.root={tmp_path / 'runs'}", f"{setting}={value}")
    assert error_line(result) == (
        f"error: {setting}={value} is not allowed: {setting} takes a whole number of 1 or more (e.g. {setting}=4)"
    ), result.stderr
    assert not (tmp_path / "runs").exists()


def test_prompt_with_a_newline_in_a_quoted_csv_cell_is_refused(tmp_path, png):
    suite = tmp_path / "suite.csv"
    suite.write_text('prompt,image\n"a dog",ok.png\n"a cat\nwalks",ok.png\n')
    result = run_cli("+suite=custom", f"suite.path={suite}", f"run.root={tmp_path / 'runs'}")
    assert "suite.csv:3: prompt contains the control character '\\n'" in error_line(result), result.stderr
    assert not (tmp_path / "runs").exists()


def test_unknown_suite_and_launcher(tmp_path):
    for args, expected in [
        (["+suite=nope"], "Could not find 'suite/nope'"),
        (["+suite=smoke", "launcher=nope"], "Could not find 'launcher/nope'"),
    ]:
        result = run_cli(*args, f"run.root={tmp_path}")
        assert result.returncode != 0 and expected in result.stderr.splitlines()[0], result.stderr


def test_missing_suite(tmp_path):
    result = run_cli(f"run.root={tmp_path}")
    assert error_line(result) == (
        "error: no suite given; add +suite=NAME (smoke, smoke_t2v, vbench_t2v, "
        "vbench_i2v, or custom with suite.path=FILE)"
    )


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


@pytest.fixture(scope="module")
def vbench_i2v_data(tmp_path_factory):
    """VBench-I2V's real prompt list (../shared/vbench) with a stand-in image for each of its 355 crops."""
    from conftest import SHARED
    from PIL import Image

    info = SHARED / "vbench" / "vbench2_i2v_full_info.json"
    if not info.is_file():
        pytest.skip(f"{info} not found (../shared/vbench beside the checkout)")
    crops = tmp_path_factory.mktemp("crops")
    for name in {item["image_name"] for item in json.loads(info.read_text())}:
        Image.new("RGB", (64, 36), (10, 20, 30)).save(crops / name)
    return [f"suite.path={info}", f"suite.image_root={crops}"]


def test_vbench_i2v_without_its_data_says_what_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("SKYREELS_CACHE", str(tmp_path / "cache"))
    line = error_line(run_cli("+suite=vbench_i2v", f"run.root={tmp_path}/runs", "run.stages=[generate,score]"))
    assert "VBench-I2V prompt list not found" in line and "python -m eval.suites.fetch vbench_i2v" in line
    assert not (tmp_path / "runs").exists()


def test_vbench_i2v_without_real_weights_stops_before_any_work(tmp_path, monkeypatch, vbench_i2v_data):
    """The real job, offline on a machine without the weights: both weights named, nothing made or launched."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = run_cli(
        "+suite=vbench_i2v",
        *vbench_i2v_data,
        f"run.root={tmp_path}/runs",
        "run.stages=[generate,score,aggregate,report]",
    )
    assert result.returncode == 2, result.stderr
    assert "hunyuanvideo-community/HunyuanVideo is not in the Hugging Face cache" in result.stderr
    assert "huggingface-cli download Skywork/SkyReels-V1-Hunyuan-I2V" in result.stderr
    assert not (tmp_path / "runs").exists()


def test_vbench_i2v_without_vbench_weights_stops_before_generating(tmp_path, monkeypatch, vbench_i2v_data):
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(tmp_path / "vbench"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    result = run_cli(
        "+suite=vbench_i2v",
        *vbench_i2v_data,
        "generator=skyreels_tiny",
        f"run.root={tmp_path}/runs",
        "run.stages=[generate,score,aggregate,report]",
    )
    assert result.returncode == 2
    assert "VBench cannot score" in result.stderr and "camera_motion" in result.stderr
    assert f"missing {tmp_path}/vbench/clip_model/ViT-L-14.pt" in result.stderr
    assert "python -m eval.scoring.weights fetch" in result.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "generator, repo",
    [
        ("cogvideox_i2v", "THUDM/CogVideoX-5b-I2V"),
        ("wan_i2v_720p", "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers"),
        ("wan_i2v_480p", "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"),
        ("hunyuanvideo_i2v", "hunyuanvideo-community/HunyuanVideo-I2V"),
    ],
)
def test_each_real_i2v_model_without_weights_stops_before_any_work(
    generator, repo, tmp_path, monkeypatch, vbench_i2v_data
):
    """``+suite=vbench_i2v generator=<model>`` offline without the weights: the repo and its download named."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    result = run_cli(
        "+suite=vbench_i2v",
        *vbench_i2v_data,
        f"generator={generator}",
        f"run.root={tmp_path}/runs",
        "run.stages=[generate]",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{repo} is not in the Hugging Face cache" in result.stderr
    assert f"huggingface-cli download {repo}" in result.stderr
    assert not (tmp_path / "runs").exists()
