"""scripts/setup.sh's interpreter (scripts/pick_python.sh): the first installed Python 3.11 or 3.12, ``$PYTHON``
if set; with none it stops at once, naming what it found, the supported versions and why 3.13 is out."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PICK = REPO / "scripts" / "pick_python.sh"
# The probe's answer (pick_python.sh prints "<major.minor> venv|no-venv"); None: a shim that does not run.
FAKES = {"3.11": "3.11 venv", "3.12": "3.12 venv", "3.13": "3.13 venv", "3.12-novenv": "3.12 no-venv", "broken": None}
REAL_313 = Path("/root/.pyenv/versions/3.13.0/bin/python3.13")
REAL_312 = Path("/root/.pyenv/versions/3.12.1/bin/python3.12")


def fake_bin(tmp_path: Path, **interpreters: str) -> Path:
    """A folder of fake interpreters, e.g. ``python3_12="3.12"`` makes ``python3.12`` answer as 3.12."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, kind in interpreters.items():
        answer = FAKES[kind]
        body = f'echo "{answer}"' if answer else 'echo "pyenv: command not found" >&2; exit 127'
        path = folder / name.replace("_", ".")
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return folder


def pick(folder: Path, python: str | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": str(folder), **({"PYTHON": python} if python else {})}
    return subprocess.run(["/bin/bash", str(PICK)], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    "installed, chosen",
    [
        ({"python3_12": "3.12", "python3": "3.13"}, "python3.12"),
        ({"python3_11": "3.11", "python3_12": "3.12", "python3": "3.12"}, "python3.11"),
        ({"python3_11": "broken", "python3_12": "broken", "python3": "3.12"}, "python3"),
        ({"python3_12": "3.12-novenv", "python3": "3.11"}, "python3"),
    ],
)
def test_the_first_supported_interpreter_is_chosen(tmp_path, installed, chosen):
    result = pick(fake_bin(tmp_path, **installed))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == chosen


def test_no_supported_interpreter_stops_naming_versions_and_why(tmp_path):
    result = pick(fake_bin(tmp_path, python3="3.13", python3_12="3.12-novenv", python3_11="broken"))
    assert result.returncode == 1 and result.stdout == ""
    err = result.stderr
    assert "supports Python 3.11 and 3.12" in err
    assert "python3: Python 3.13" in err and "python3.11: does not run" in err
    assert "python3.12: Python 3.12 without venv (install python3.12-venv)" in err
    assert "numpy<2" in err and "human_action" in err and "PYTHON=/path/to/python3.12" in err


def test_python_override_is_used_and_never_replaced(tmp_path):
    folder = fake_bin(tmp_path, python3_11="3.11", mine="3.12", old="3.13")
    assert pick(folder, "mine").stdout.strip() == "mine"
    refused = pick(folder, "old")  # python3.11 is there, but the user asked for another
    assert refused.returncode == 1 and "old: Python 3.13" in refused.stderr and "python3.11" not in refused.stderr


@pytest.mark.skipif(not REAL_313.exists(), reason=f"{REAL_313} not installed")
def test_setup_stops_at_once_on_a_real_python_313(tmp_path):
    """The whole setup.sh (a copy, so nothing of the checkout is touched) with the real 3.13: no venv, no pip."""
    scripts = tmp_path / "repo" / "scripts"
    scripts.mkdir(parents=True)
    for name in ("setup.sh", "pick_python.sh"):
        shutil.copy(REPO / "scripts" / name, scripts / name)
    start = time.monotonic()
    result = subprocess.run(
        ["/bin/bash", str(scripts / "setup.sh")],
        env={"PATH": "/usr/bin:/bin", "PYTHON": str(REAL_313)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and time.monotonic() - start < 10
    assert f"{REAL_313}: Python 3.13" in result.stderr and "numpy<2" in result.stderr
    assert sorted(p.name for p in (tmp_path / "repo").iterdir()) == ["scripts"]


@pytest.mark.skipif(not REAL_312.exists(), reason=f"{REAL_312} not installed")
def test_a_real_python_312_is_accepted(tmp_path):
    assert pick(tmp_path, str(REAL_312)).stdout.strip() == str(REAL_312)
