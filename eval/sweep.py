"""Hydra multiruns (``python -m eval.run -m ... generator=a,b,c``): one run per setting, one combined report.

Each job appends a line to ``<sweep dir>/runs.jsonl`` (its run directory, or why it was skipped or failed), then
the combined leaderboards are rebuilt from every run of the sweep that has results, one per benchmark
(T2V and I2V apart) in ``<sweep dir>/<benchmark>/leaderboard.html``. The report is a pure function of the
stored results, so it is current after each job, even if a later one fails. A job that fails does not stop the
others; ``SweepSummary`` prints what each did at the end and exits 2 if any failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hydra.experimental.callback import Callback

from eval.jsonl import append_line, read_lines

RUNS_FILE = "runs.jsonl"


def record(
    sweep_dir: Path,
    overrides: list[str],
    *,
    run_dir: Path | None = None,
    skipped: str | None = None,
    error: str | None = None,
) -> None:
    status = "failed" if error else "skipped" if skipped else "done"
    append_line(
        Path(sweep_dir) / RUNS_FILE,
        {
            "overrides": overrides,
            "status": status,
            "run": None if run_dir is None else str(run_dir),
            "why": error or skipped,
        },
    )


def combined_reports(sweep_dir: Path, *, previews: bool = True) -> dict[str, Path]:
    """``{benchmark: leaderboard.html}`` over the sweep's runs that have ``results.json``."""
    from eval.report.build import build_report
    from eval.report.load import load_results, results_path

    by_benchmark: dict[str, list[Path]] = {}
    for line in read_lines(Path(sweep_dir) / RUNS_FILE):
        path = results_path(Path(line["run"])) if line.get("run") else None
        if path is not None and path.is_file():
            runs = by_benchmark.setdefault(load_results(path).data["benchmark"], [])
            if path not in runs:  # a job run twice in one sweep
                runs.append(path)
    return {
        benchmark: build_report(runs, Path(sweep_dir) / benchmark, previews=previews)
        for benchmark, runs in sorted(by_benchmark.items())
    }


class SweepSummary(Callback):
    """At the end of a multirun: one line per job and the combined reports; exit status 2 if a job failed."""

    def on_multirun_end(self, config, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        lines = list(read_lines(sweep_dir / RUNS_FILE)) if (sweep_dir / RUNS_FILE).is_file() else []
        print(f"sweep: {len(lines)} jobs ({sweep_dir / RUNS_FILE})")
        for line in lines:
            where = line["run"] or line["why"]
            print(f"  {line['status']:>7}  {' '.join(line['overrides'])}: {where}")
        for report in sorted(sweep_dir.glob("*/leaderboard.html")):
            print(f"sweep: combined report {report}")
        if any(line["status"] == "failed" for line in lines):
            sys.exit(2)
