"""What step caching costs on the score: a sweep over First Block Cache's threshold on any suite.

Runs ``eval.run`` (every stage but the report) once with ``cache=none`` (the exact run) and once per threshold
with ``cache=first_block``, each in its own run directory (the knob is in the fingerprint, so rerunning the
same sweep resumes it), then prints per run: seconds per video and its speed-up over the exact run, and the
VBench Total, group and per-dimension differences from the exact run (read from each run's ``results.json``).

    .venv/bin/python benchmarks/cache_sweep.py                                    # tiny SkyReels, smoke suite
    .venv/bin/python benchmarks/cache_sweep.py --suite vbench_t2v --thresholds 0.05,0.1,0.2 \\
        generator=skyreels launcher=slurm launcher.gres=gpu:1 scoring=vbench     # the real thing

Anything after the options is a Hydra override for every run (the generator, launcher, scoring ...). The same
sweep as one Hydra multirun (an exact run plus one per threshold; a threshold does not split the exact run):
``python -m eval.run -m +suite=smoke generator.cache=none,first_block generator.cache_threshold=0.05,0.1``.
With the tiny random-weight model the scores mean nothing; only the mechanics and the times do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = "run.stages=[generate,score,aggregate]"


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=overrides)


def run_one(suite: str, root: str, cache: str, threshold: float | None, extra: list[str]) -> dict:
    from eval.run import run

    knob = [f"generator.cache={cache}"] + ([f"generator.cache_threshold={threshold}"] if threshold else [])
    run_dir = run(compose([f"+suite={suite}", f"run.root={root}", STAGES, "run.progress=false", *extra, *knob]))
    return json.loads((run_dir / "results.json").read_text())


def differences(exact: dict, other: dict) -> dict:
    """``other`` minus ``exact``: Total, groups and each dimension's raw value (None where either lacks it)."""

    def minus(a, b):
        return None if a is None or b is None else b - a

    return {
        "total": minus(exact["total"]["value"], other["total"]["value"]),
        "groups": {g: minus(v["value"], other["groups"].get(g, {}).get("value")) for g, v in exact["groups"].items()},
        "dimensions": {
            d: minus(v["raw"], other["dimensions"].get(d, {}).get("raw")) for d, v in exact["dimensions"].items()
        },
    }


def seconds(results: dict) -> float | None:
    cost = results.get("cost")
    return cost["seconds_per_video"] if cost else None


def table(rows: list[tuple[str, dict]]) -> str:
    """One line per run: s/video, speed-up, Total (and its difference), then each group and dimension's
    difference from the exact run, in points (x100)."""
    exact = rows[0][1]
    dims = list(exact["dimensions"])
    groups = list(exact["groups"])
    head = ["run", "s/video", "speed-up", "total", "d total", *[f"d {g}" for g in groups], *[f"d {d}" for d in dims]]
    lines = [head]
    for label, r in rows:
        diff = differences(exact, r)
        s, s0 = seconds(r), seconds(exact)
        lines.append(
            [
                label,
                _num(s),
                _num(s0 / s if s and s0 else None) + ("x" if s and s0 else ""),
                _num(_pct(r["total"]["value"])),
                _delta(_pct(diff["total"])),
                *[_delta(_pct(diff["groups"][g])) for g in groups],
                *[_delta(_pct(diff["dimensions"][d])) for d in dims],
            ]
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
        for row in lines
    )


def _pct(x):
    return None if x is None else 100 * x


def _num(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _delta(x) -> str:
    return "-" if x is None else f"{x:+.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="smoke", help="a suite under configs/suite (default smoke)")
    p.add_argument(
        "--thresholds",
        default="0.05,0.1,0.2,0.4",
        help="First Block Cache thresholds, comma-separated (default 0.05,0.1,0.2,0.4)",
    )
    p.add_argument("--root", default="runs/cache-sweep", help="run.root of the sweep's runs")
    p.add_argument("--json", help="also write every run's figures to this file")
    p.add_argument("overrides", nargs="*", help="Hydra overrides for every run, e.g. generator=skyreels")
    args = p.parse_args(argv)
    from eval.errors import HarnessError

    thresholds = [float(t) for t in args.thresholds.split(",") if t]
    try:
        rows = [("exact (cache=none)", run_one(args.suite, args.root, "none", None, args.overrides))]
        for t in thresholds:
            rows.append((f"first_block {t:g}", run_one(args.suite, args.root, "first_block", t, args.overrides)))
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    exact = rows[0][1]
    print(
        f"\ncache sweep on suite {exact['suite']} ({exact['task']}, {exact['benchmark']}), model {exact['model']}; "
        f"differences from the exact run in points (x100 of VBench's fractions)"
        + ("; random weights: the scores mean nothing" if exact["model_info"]["random_weights"] else "")
    )
    print(table(rows))
    incomplete = [label for label, r in rows if r["status"] != "complete"]
    if incomplete:
        print(f"partial results (some dimensions could not run or are missing): {', '.join(incomplete)}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "run": label,
                        "dir": r["run"],
                        "fingerprint": r["fingerprint"],
                        "seconds_per_video": seconds(r),
                        "total": r["total"]["value"],
                        "difference": differences(exact, r),
                    }
                    for label, r in rows
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
