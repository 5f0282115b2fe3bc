"""``python -m eval.status RUN_DIR``: units done, failed and pending per shard, s/video,
GPU-hours spent and an ETA; then scoring: per dimension the videos scored, failed and pending, and the T2V static
filter's progress. Reads only the run's files, so it works while workers are running; a video recorded done counts
as pending when its file is missing or not of the recorded size (no hashing).

Scores count under the scorer ids of the run's latest score launch (``launches.jsonl``), or, for a run launched
before those were recorded, under the scorer id of each dimension's latest score line."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.errors import HarnessError
from eval.jsonl import read_lines
from eval.manifest import GenerationRecord, done_records, latest_by_key, read_records, video_intact
from eval.plan import Plan, load_plan
from eval.scoring.records import SCORES_DIR, ScoreRecord, current_scores, read_scores
from eval.scoring.static_filter import FILTERED, STATIC_FILTER


@dataclass(frozen=True)
class DimensionCounts:
    """One dimension's videos under its scorer id: ``expected`` (for a filtered dimension an upper bound until the
    static filter has settled every prompt), scored, failed (``for_good``: of them, those a rerun cannot fix) and
    pending (the rest, whether their video is made or not)."""

    dimension: str
    expected: int
    scored: int
    failed: int
    for_good: int

    @property
    def pending(self) -> int:
        return max(0, self.expected - self.scored - self.failed)


def video_scores(
    run_dir: Path, plan: Plan, dimension: str, scorers: dict[str, str], done: dict[str, GenerationRecord]
) -> list[ScoreRecord | None]:
    """The current score record (None if there is none) of each made video that ``dimension`` is to score."""
    from eval.workers.score import scoreable, selection

    have = current_scores(run_dir, dimension, scorers[dimension])
    return [
        have.get(r.sha256)
        for _, r in scoreable(plan, dimension, done, selection(run_dir, plan, dimension, done, scorers))
    ]


def dimension_counts(
    run_dir: Path, plan: Plan, dimension: str, scorers: dict[str, str], done: dict[str, GenerationRecord]
) -> DimensionCounts:
    from eval.workers.score import expected, selection

    records = [r for r in video_scores(run_dir, plan, dimension, scorers, done) if r is not None]
    failed = [r for r in records if r.status == "failed"]
    return DimensionCounts(
        dimension,
        expected(plan, dimension, selection(run_dir, plan, dimension, done, scorers)),
        sum(r.status == "ok" for r in records),
        len(failed),
        sum(r.retryable is False for r in failed),
    )


def recorded_scorers(run_dir: Path) -> dict[str, str]:
    """Dimension -> scorer id: those of the latest score launch, else each dimension's latest score line's."""
    from eval.stages import LAUNCHES

    launches = [
        line["scorers"]
        for line in read_lines(Path(run_dir) / LAUNCHES)
        if line.get("stage") == "score" and isinstance(line.get("scorers"), dict)
    ]
    if launches:
        return launches[-1]
    latest = {}
    for record in read_scores(run_dir):
        if record.dimension not in latest or record.time >= latest[record.dimension].time:
            latest[record.dimension] = record
    return {dim: r.scorer for dim, r in sorted(latest.items())}


def scoring_progress(run_dir: Path, plan: Plan) -> tuple[list[DimensionCounts], dict | None]:
    """Each scored dimension's counts, and the static filter's progress (None where it does not run): videos
    flagged and failed of those to flag (the videos VBench's loop flags, as far as the flags so far tell), the
    prompts whose choice is settled, and the videos kept."""
    from eval.workers.score import expected, selection

    scorers = recorded_scorers(run_dir)
    if not scorers:
        return [], None
    done = done_records(run_dir, verify=False)
    rows = [dimension_counts(run_dir, plan, d, scorers, done) for d in scorers if d != STATIC_FILTER]
    if STATIC_FILTER not in scorers or FILTERED not in scorers:
        return rows, None
    chosen = selection(run_dir, plan, FILTERED, done, scorers)
    if chosen is None:  # the suite's benchmark does not filter it (VBench-I2V)
        return rows, None
    flags = [r for r in video_scores(run_dir, plan, STATIC_FILTER, scorers, done) if r is not None]
    return rows, {
        "videos": expected(plan, STATIC_FILTER, selection(run_dir, plan, STATIC_FILTER, done, scorers)),
        "flagged": sum(r.status == "ok" for r in flags),
        "failed": sum(r.status == "failed" for r in flags),
        "prompts": len(chosen.kept) + len(chosen.pending),
        "settled": len(chosen.kept),
        "kept": len(chosen.keys),
    }


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
    scoring, static = scoring_progress(run_dir, plan)
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
        "scoring": [{**asdict(c), "pending": c.pending} for c in scoring],
        "static_filter": static,
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
    if s["scoring"]:
        lines.append(f"scoring ({SCORES_DIR}/):")
    lines += [
        f"  {r['dimension']:>24}: {r['scored']:>6} scored {r['failed']:>5} failed {r['pending']:>6} pending"
        + (f" ({r['for_good']} failed for good)" if r["for_good"] else "")
        for r in s["scoring"]
    ]
    f = s["static_filter"]
    if f:
        lines.append(
            f"  {STATIC_FILTER}: {f['flagged']}/{f['videos']} videos flagged, {f['failed']} failed; "
            f"{f['settled']}/{f['prompts']} prompts settled, {f['kept']} videos kept for {FILTERED}"
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
