"""``build_report``: results files + baselines -> leaderboard.{csv,json,html}, plots/, drill-down pages, and
compare and pairs pages for every two runs of one suite."""

from __future__ import annotations

import math
from pathlib import Path

from eval.atomic import json_bytes, write_files_atomic
from eval.report.load import ReportError, check_comparable, load_results


def build_report(results: list[Path], out_dir: Path, *, baselines: Path | None = None, previews: bool = True) -> Path:
    """Write the report of ``results`` (run directories or results files) into ``out_dir``.

    Returns the path of ``leaderboard.html``. Raises ``ReportError`` (or ``BaselinesError``) naming
    the file and the problem before anything is written. The tables, plots and pages are written
    together (``write_files_atomic``): a folder that is full or read-only gets a ``WriteError`` naming
    the file, and the previous report stays as it was.
    """
    from eval.report import html
    from eval.report.compare_pages import comparison_files, suite_comparisons
    from eval.report.plots import render_plots
    from eval.report.previews import image_thumbnail, video_preview
    from eval.report.table import leaderboard

    if not results:
        raise ReportError("no results to report; give one or more run directories or results.json files")
    runs = [load_results(p) for p in results]
    benchmark = check_comparable(runs)
    table = leaderboard(runs, benchmark, baselines)
    out_dir = Path(out_dir).resolve()
    files = {
        out_dir / "leaderboard.csv": table.to_csv(index=False).encode(),
        out_dir / "leaderboard.json": json_bytes(
            {
                "benchmark": benchmark,
                "columns": list(table.columns),
                "rows": [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")],
            }
        ),
    }
    plots = render_plots(table, benchmark)
    files.update(
        {out_dir / "plots" / f"{name}.{fmt}": data for name, formats in plots.items() for fmt, data in formats.items()}
    )
    drilldown = {}
    for run in runs:
        dims = list(run.data["dimensions"])
        media = {}
        for video in run.data["videos"]:  # content-addressed files, each written atomically when new
            found = {}
            if previews and video["video"]:
                found["preview"] = video_preview(run.run_dir / video["video"], video["sha256"], out_dir)
            if previews and video["image"]:
                found["image"] = image_thumbnail(Path(video["image"]), out_dir)
            media[video["key"]] = found
        page = f"videos-{run.data['suite']}-{run.data['fingerprint']}.html"
        files[out_dir / page] = html.videos_page(run, dims, media).encode()
        drilldown[run.data["fingerprint"]] = page
    comparisons, links = suite_comparisons(runs)
    files.update(comparison_files(comparisons, out_dir, previews=previews, back="leaderboard.html"))
    index = out_dir / "leaderboard.html"
    files[index] = html.leaderboard_page(
        table, benchmark, runs, {n: f["png"] for n, f in plots.items()}, drilldown, comparisons=links
    ).encode()
    write_files_atomic(files)
    return index


def _plain(value):
    """JSON-safe cell: NaN and pandas' NA become null, numpy scalars plain Python."""
    import pandas as pd

    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from eval.errors import HarnessError

    parser = argparse.ArgumentParser(prog="python -m eval.report", description=__doc__)
    parser.add_argument("results", nargs="+", type=Path, help="run directories or results.json files (one benchmark)")
    parser.add_argument("--out", type=Path, help="report folder (default: <run>/report for a single run)")
    parser.add_argument("--baselines", type=Path, help="baselines CSV (default: reports/baselines/ for the benchmark)")
    parser.add_argument("--no-previews", action="store_true", help="skip the animated previews and thumbnails")
    args = parser.parse_args(argv)
    if args.out is None and len(args.results) > 1:
        parser.error("--out is required when reporting several runs")
    try:
        out = args.out or load_results(args.results[0]).run_dir / "report"
        index = build_report(args.results, out, baselines=args.baselines, previews=not args.no_previews)
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"report: {index}")
    return 0
