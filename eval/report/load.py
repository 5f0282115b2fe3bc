"""Reading ``results.json`` for a report: the schema, finite numbers, one benchmark, distinct runs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from eval.errors import HarnessError
from eval.results import RESULTS_FILE, RESULTS_SCHEMA

REQUIRED = (
    "model",
    "suite",
    "task",
    "benchmark",
    "formula",
    "generator",
    "fingerprint",
    "status",
    "dimensions",
    "groups",
    "total",
    "videos",
    "provenance",
)


class ReportError(HarnessError):
    """Stored results that cannot be reported without misleading."""


@dataclass(frozen=True)
class RunResults:
    """One run's ``results.json`` and the run directory it lives in (videos are relative to it)."""

    path: Path
    data: dict

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def random_weights(self) -> bool:
        """True when the videos or the scores come from random-weight models (the tiny default)."""
        return self.data["model_info"]["random_weights"] or bool(
            self.data["provenance"].get("scoring", {}).get("fixtures")
        )


def results_path(path: Path) -> Path:
    """A run directory or a results file -> the results file."""
    path = Path(path)
    return path / RESULTS_FILE if path.is_dir() else path


def load_results(path: Path) -> RunResults:
    """Read and check one results file; raises ``ReportError`` naming the file, the problem and the fix."""
    path = results_path(path).resolve()
    rebuild = (
        "rebuild it from the stored scores (nothing is regenerated or rescored) with the run's command "
        "and run.stages=[aggregate]"
    )
    if not path.is_file():
        raise ReportError(f"no results file at {path}; run the score and aggregate stages for that run first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ReportError(f"{path} is not valid JSON ({err}); {rebuild}") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if schema != RESULTS_SCHEMA:
        raise ReportError(
            f"{path} has results schema {schema!r}, this harness reports schema {RESULTS_SCHEMA} "
            f"(an older harness wrote it); {rebuild}"
        )
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ReportError(f"{path} lacks {', '.join(missing)}; {rebuild}")
    bad = _non_finite(data)
    if bad:
        raise ReportError(
            f"{path}: {bad} is not a finite number; a NaN must never reach a leaderboard. Find the "
            f"video that produced it under scores/ (a NaN score is recorded as a failure by this "
            f"harness), then {rebuild}"
        )
    return RunResults(path, data)


def _non_finite(value, where: str = "") -> str | None:
    """The key path of the first NaN or infinity in ``value``, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "the value"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        found = _non_finite(inner, f"{where}.{key}" if where else str(key))
        if found:
            return found
    return None


def check_comparable(runs: list[RunResults]) -> str:
    """The one benchmark of ``runs``; VBench (T2V) and VBench-I2V numbers are never ranked together."""
    benchmarks = sorted({r.data["benchmark"] for r in runs})
    if len(benchmarks) > 1:
        listing = "; ".join(f"{r.path} ({r.data['benchmark']})" for r in runs)
        raise ReportError(
            f"these results mix benchmarks {', '.join(benchmarks)}: {listing}. VBench (T2V) and "
            "VBench-I2V scores are never ranked together; build one report per benchmark"
        )
    seen: dict[tuple, Path] = {}
    for r in runs:
        key = (r.data["suite"], r.data["fingerprint"])
        if key in seen:
            raise ReportError(
                f"{seen[key]} and {r.path} are the same run (suite {key[0]}, generator fingerprint "
                f"{key[1]}); give each run once"
            )
        seen[key] = r.path
    return benchmarks[0]
