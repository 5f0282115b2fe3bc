"""ruff's lint rules and format check (configured in pyproject.toml) hold for the whole repository."""

from __future__ import annotations

import subprocess
import sys

from harness import REPO


def test_ruff_check_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_would_change_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
