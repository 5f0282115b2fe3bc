"""``python -m eval.status RUN_DIR``: units done, failed and pending per shard, s/video,
GPU-hours spent and an ETA. Reads only the run's files, so it works while workers are running; a video
recorded done counts as pending when its file is missing or not of the recorded size (no hashing)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.errors import HarnessError
from eval.manifest import latest_by_key, read_records, video_intact
from eval.plan import load_plan


def summarize(run_dir: Path, n_shards: int, parallel: int = 1) -> dict:
    plan = load_plan(run_dir)
    latest = latest_by_key(read_records(run_dir))
    damaged = {k for k, r in latest.items() if r.status == "done" and not video_intact(run_dir, r, hash=False)}
    rows, seconds = [], []
    for shard in range(n_shards):
        units = plan.shard(shard, n_shards)
        states = [latest[u.key].status if u.key in latest and u.key not in damaged else "pending" for u in units]
        rows.append(
            {
                "shard": shard,
                "done": states.count("done"),
                "failed": states.count("failed"),
                "pending": states.count("pending"),
            }
        )
    seconds = [r.seconds for r in latest.values() if r.status == "done" and r.seconds is not None]
    s_per_video = sum(seconds) / len(seconds) if seconds else None
    todo = sum(r["pending"] + r["failed"] for r in rows)
    return {
        "run": str(run_dir),
        "videos": len(plan.units),
        "shards": rows,
        "done": sum(r["done"] for r in rows),
        "failed": sum(r["failed"] for r in rows),
        "pending": sum(r["pending"] for r in rows),
        "damaged": len(damaged),
        "s_per_video": s_per_video,
        "gpu_hours": sum(seconds) / 3600,
        "eta_hours": None if s_per_video is None else todo * s_per_video / 3600 / max(parallel, 1),
    }


def format_summary(s: dict) -> str:
    damaged = (
        f" ({s['damaged']} recorded done but missing or truncated: redone on the next run)" if s["damaged"] else ""
    )
    lines = [f"{s['run']}: {s['done']}/{s['videos']} done, {s['failed']} failed, {s['pending']} pending{damaged}"]
    lines += [
        f"  shard {r['shard']:>5}: {r['done']:>6} done {r['failed']:>5} failed {r['pending']:>6} pending"
        for r in s["shards"]
    ]
    if s["s_per_video"] is not None:
        lines.append(
            f"  {s['s_per_video']:.1f} s/video, {s['gpu_hours']:.2f} GPU-hours spent, ETA {s['eta_hours']:.2f} h"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.status", description=__doc__)
    p.add_argument("run_dir", type=Path)
    p.add_argument("--shards", type=int, help="shard count (default: that of the run's latest launch)")
    p.add_argument("--parallel", type=int, default=1, help="workers running at once, for the ETA")
    args = p.parse_args(argv)
    if args.shards is not None and args.shards < 1:
        p.error(f"--shards {args.shards} is not allowed: give a whole number of 1 or more")
    try:
        from eval.stages import last_shard_count

        shards = args.shards or last_shard_count(args.run_dir)
        print(format_summary(summarize(args.run_dir, shards, args.parallel)))
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
