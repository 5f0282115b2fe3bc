"""Helpers for driving ``python -m eval.run`` in tests: in process (Hydra compose) or as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def compose(*overrides: str):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides))


def _generate_only_unless_told(overrides) -> list[str]:
    """Tests of generation skip the (slower) scoring stages unless they set run.stages themselves."""
    overrides = list(overrides)
    return ([] if any(o.startswith("run.stages=") for o in overrides) else ["run.stages=[generate]"]) + overrides


def run_inprocess(*overrides: str) -> Path:
    from eval.run import run

    return run(compose("run.progress=false", *_generate_only_unless_told(overrides)))


def run_cli(*args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    flags = [a for a in args if a.startswith("-")]  # Hydra's flags (-m) go before the overrides
    overrides = _generate_only_unless_told(a for a in args if not a.startswith("-"))
    return subprocess.run(
        [sys.executable, "-m", "eval.run", *flags, "run.progress=false", *overrides],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def manifest_lines(run_dir: Path) -> list[dict]:
    return [
        json.loads(line) for p in sorted((run_dir / "manifests").glob("*.jsonl")) for line in p.read_text().splitlines()
    ]


def video_shas(run_dir: Path) -> dict[str, str]:
    from eval.manifest import done_records

    return {key: r.sha256 for key, r in done_records(run_dir).items()}
