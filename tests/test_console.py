"""The console: third-party output goes to per-shard logs, one bar per stage follows the run's records, failures
name their log, and the run ends with a summary; run.verbose=true shows everything."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from harness import run_cli

from eval.console import AppendedLines, StageBar, to_log


def test_to_log_takes_python_c_level_and_subprocess_output(tmp_path, capfd):
    log = tmp_path / "logs" / "score" / "x-0.log"
    with to_log(log):
        print("a print")
        sys.stderr.write("to stderr\n")
        import os

        os.write(1, b"fd 1 directly\n")  # what C code does
        os.write(2, b"fd 2 directly\n")
        subprocess.run([sys.executable, "-c", "print('a child process')"], check=True)
        handler = logging.StreamHandler(sys.stderr)  # as logging.basicConfig in VBench's modules makes one
        logging.getLogger("t").addHandler(handler)
        logging.getLogger("t").warning("logged in the block")
        assert sys.stdin.read() == ""  # nobody could answer a prompt
    logging.getLogger("t").warning("logged after the block")  # the handler outlives the block's file
    logging.getLogger("t").removeHandler(handler)
    print("after")
    out, err = capfd.readouterr()
    text = log.read_text()
    for line in ("a print", "to stderr", "fd 1 directly", "fd 2 directly", "a child process"):
        assert line in text and line not in out + err, line
    assert "logged in the block" in text and "logged after the block" in err and "after" in out
    assert "logged after" not in text and text.startswith("==== ")


def test_a_full_disk_loses_the_log_not_the_work(capfd):
    from pathlib import Path

    with to_log(Path("/dev/full")):  # every write fails with ENOSPC
        print("lost")
        sys.stderr.write("lost too\n")
    print("back")
    assert capfd.readouterr() == ("back\n", "")


def test_appended_lines_count_only_whole_new_lines(tmp_path):
    old = tmp_path / "a" / "shard.jsonl"
    old.parent.mkdir()
    old.write_text('{"status": "done"}\n')
    lines = AppendedLines(tmp_path)
    assert lines.poll() == (0, 0)  # what was there before does not count
    with open(old, "a") as f:
        f.write('{"status": "failed"}\n{"status": "do')  # the last line is still being written
    new = tmp_path / "b" / "deeper" / "chunk.jsonl"
    new.parent.mkdir(parents=True)
    new.write_text('{"status": "done"}\n')
    assert lines.poll() == (2, 1)
    with open(old, "a") as f:
        f.write('ne"}\n')
    assert lines.poll() == (3, 1)


def test_stage_bar_follows_the_records_on_the_console(tmp_path, capfd):
    records = tmp_path / "manifests" / "shard-00000-of-00001.jsonl"
    records.parent.mkdir()
    with StageBar("generate", 4, tmp_path / "manifests", "video", interval=0.05):
        for status in ("done", "failed", "done"):
            with open(records, "a") as f:
                f.write(json.dumps({"status": status}) + "\n")
    err = capfd.readouterr().err
    assert err.splitlines()[-1].startswith("generate:  75%") and "3/4" in err and "1 failed" in err


@pytest.fixture(scope="module")
def quiet_run(tmp_path_factory, skyreels_cache):
    """A tiny real run from the command line, quiet (the default), with its console bars."""
    root = tmp_path_factory.mktemp("quiet")
    result = run_cli(
        "+suite=smoke",
        "suite.samples=1",
        f"run.root={root}",
        "run.stages=[generate,score,aggregate]",
        "scoring.dimensions=[subject_consistency]",
        "run.progress=true",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (run_dir,) = root.glob("smoke/*")
    return run_dir, result


NOISE = ("[Local Mode]", "Loading pipeline components", "Warning", "Initialize", "Using cache found")


def test_quiet_console_shows_stages_bars_and_summary_and_the_logs_hold_the_rest(quiet_run):
    run_dir, result = quiet_run
    console = result.stdout + result.stderr
    assert not [n for n in NOISE if n in console], console
    out = result.stdout.splitlines()
    assert out[0].startswith(f"run: {run_dir} (3 videos")
    assert "generate: 3 of 3 videos done" in out
    assert "score: 3 scores to compute (videos x dimensions), 1 shards over 1 dimensions, launcher local" in out
    assert out[-2].startswith("summary: 3/3 videos, 3/3 scores over 1 dimensions, results partial") and out[
        -2
    ].endswith("s")
    assert out[-1] == f"  logs: {run_dir / 'logs'} (run.verbose=true shows the workers' output on the console)"
    bars = result.stderr.splitlines()
    assert [b.split(":")[0] for b in bars if "100%" in b] == ["generate", "score"]
    assert any("3/3" in b and "video" in b for b in bars) and any("3/3" in b and "score" in b for b in bars)
    generate_log = (run_dir / "logs" / "generate" / "0.log").read_text()
    score_log = (run_dir / "logs" / "score" / "subject_consistency-0.log").read_text()
    assert "Loading pipeline components" in generate_log
    assert "[Local Mode]" in score_log and "Initialize DINO success" in score_log


def test_verbose_console_shows_the_workers_output(quiet_run):
    run_dir, _ = quiet_run
    result = run_cli(
        "+suite=smoke",
        "suite.samples=1",
        f"run.dir={run_dir}",
        "run.stages=[score]",
        "scoring.dimensions=[background_consistency]",
        "run.verbose=true",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[Local Mode]" in result.stdout + result.stderr
    assert not (run_dir / "logs" / "score" / "background_consistency-0.log").exists()


@pytest.mark.parametrize("launcher", ["local", "debug"])
def test_a_failing_shard_prints_one_line_and_its_log(tmp_path, launcher):
    folder = tmp_path / "videos"
    folder.mkdir()  # empty: every unit of the external generator fails
    result = run_cli(
        "+suite=smoke",
        "suite.samples=1",
        f"run.root={tmp_path}",
        "generator=external",
        f"generator.videos={folder}",
        f"launcher={launcher}",
    )
    assert result.returncode == 2
    (run_dir,) = (tmp_path / "smoke").iterdir()
    log = run_dir / "logs" / "generate" / "0.log"
    lines = result.stdout.splitlines()
    i = lines.index(next(line for line in lines if line.startswith("generate: shard 0 failed")))
    assert "3 of 3 units failed" in lines[i] and lines[i + 1] == f"  log: {log}"
    assert "Traceback" not in result.stdout + result.stderr
    assert "Traceback" in log.read_text() and "ShardFailed" in log.read_text()
