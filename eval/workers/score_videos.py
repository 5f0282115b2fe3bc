"""The video-major score shard: one chunk of the run's videos on a set of dimensions, in one process
(``eval.scoring.video_major``): each model built once, each video decoded once per decoder, then each of its
dimensions scored before the next video.

Per dimension it keeps what ``eval.workers.score.ScoreShard`` guarantees, through that class: the same chunk of
that dimension's videos, the same records (sha256, scorer id) in the same files, resume, the video checks, the
code check, the static filter's choice, and failures that stay with one (video, dimension): a model that cannot
be built fails that dimension's videos, a video that cannot be decoded fails that video's dimensions. The
static filter's videos come in VBench's order, and one that the flags so far have made unneeded (its prompt
has its 5 static videos before it: ``eval.scoring.static_filter.needed``) is not flagged, as in VBench's loop,
nor decoded unless something else needs it.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import submitit

from eval.manifest import done_records, video_intact
from eval.plan import load_plan
from eval.scoring.records import scores_path
from eval.scoring.static_filter import STATIC_FILTER, needed, read_flags
from eval.workers.score import ScoreShard, ScoreShardFailed, _for_good, wanted


@dataclass(frozen=True)
class VideoMajorResult:
    dimensions: tuple[str, ...]
    chunk: int
    scored: int
    failed: int
    seconds: float


class VideoMajorShard(submitit.helpers.Checkpointable):
    def __init__(self, run_dir: str, dimensions: list[str], chunk: int, n_chunks: int, scorers: dict, config: dict):
        self.run_dir, self.dimensions, self.chunk, self.n_chunks = run_dir, tuple(dimensions), chunk, n_chunks
        self.parts = [ScoreShard(run_dir, d, chunk, n_chunks, scorers[d], config) for d in dimensions]
        self.config = config

    @property
    def shard(self) -> str:
        return f"{'+'.join(self.dimensions)}:{self.chunk}"

    def todo(self) -> bool:
        return any(part.todo() for part in self.parts)

    def __call__(self) -> VideoMajorResult:
        os.environ.update(self.config["env"])  # VBench reads its cache dir when first imported
        import torch

        from eval.scoring.video_major import VideoMajorScorer, call_of, decode_ahead

        start, run_dir = time.perf_counter(), Path(self.run_dir)
        plan = load_plan(run_dir)
        items = plan.items
        still_needed = self._static_flags(plan)
        todo = {part.dimension: part.todo() for part in self.parts}
        intact = {r.sha256: video_intact(run_dir, r) for rows in todo.values() for _, r in rows}  # hashed once
        todo = {d: [(u, r) for u, r in rows if intact[r.sha256]] for d, rows in todo.items()}  # changed: next run
        for part in self.parts:
            if todo[part.dimension]:
                part.check_code()
        failed, scored, videos = 0, 0, {}  # video path -> [(part, unit, record)]
        for part in self.parts:
            for unit, record in todo[part.dimension]:
                problem = part.check_video(run_dir / record.video, record)
                if problem:
                    part.write(self.out(part), unit, record, error=problem, retryable=False)
                    failed += 1
                else:
                    videos.setdefault(str(run_dir / record.video), []).append((part, unit, record))
        device = torch.device(self.config.get("device") or ("cuda" if torch.cuda.is_available() else "cpu"))
        scorer = VideoMajorScorer(device, run_dir / "scoring-work" / f"video-major-{self.chunk:05d}")
        broken = {}
        for part in self.parts:
            if todo[part.dimension]:
                try:
                    scorer.build(part.dimension)
                except submitit.core.utils.UncompletedJobError:
                    raise
                except Exception as err:
                    broken[part.dimension] = err

        def wanted_now(path):  # (part, unit, record) still to score: a static flag that became unneeded is not
            return [(p, u, r) for p, u, r in videos[path] if p.dimension != STATIC_FILTER or still_needed(u)]

        def decoders_of(path):
            return tuple(sorted({d for part, _, _ in wanted_now(path) for d in call_of(part.dimension).decoders}))

        for path, decoded in decode_ahead(list(videos), decoders_of):
            for part, unit, record in wanted_now(path):
                err = broken.get(part.dimension, decoded if isinstance(decoded, Exception) else None)
                if err is None:
                    try:
                        item = items[unit.item_id]
                        score = scorer.score(part.dimension, path, item.image, record.frames, {path: decoded})
                    except submitit.core.utils.UncompletedJobError:
                        raise
                    except Exception as caught:
                        err = caught
                if err is None:
                    part.write(self.out(part), unit, record, score=score)
                    if part.dimension == STATIC_FILTER:
                        still_needed.flags[unit.key] = score.value == 1.0
                    scored += 1
                else:
                    detail = "".join(traceback.format_exception(err))
                    part.write(
                        self.out(part),
                        unit,
                        record,
                        error=f"{type(err).__name__}: {err}\n{detail}",
                        retryable=not _for_good(err),
                    )
                    failed += 1
        result = VideoMajorResult(self.dimensions, self.chunk, scored, failed, time.perf_counter() - start)
        if failed:
            raise ScoreShardFailed(
                f"{'+'.join(self.dimensions)} chunk {self.chunk}: {failed} of {scored + failed} scores failed; "
                f"see {scores_path(run_dir, '<dimension>', self.chunk, self.n_chunks)} (status=failed lines say "
                "why); the other scores are kept"
            )
        return result

    def _static_flags(self, plan) -> _StillNeeded:
        part = next((p for p in self.parts if p.dimension == STATIC_FILTER), None)
        if part is None:
            return _StillNeeded({}, {})
        units = wanted(plan, STATIC_FILTER)
        flags = read_flags(Path(self.run_dir), units, done_records(Path(self.run_dir), verify=False), part.scorer)
        by_item = {}
        for unit in units:
            by_item.setdefault(unit.item_id, []).append(unit)
        return _StillNeeded(by_item, flags)

    def out(self, part: ScoreShard) -> Path:
        return scores_path(Path(self.run_dir), part.dimension, self.chunk, self.n_chunks)


@dataclass
class _StillNeeded:
    """Whether a unit's static-filter flag is still needed, from the stored flags and this worker's own."""

    units_of_item: dict
    flags: dict

    def __call__(self, unit) -> bool:
        return unit.key in needed(self.units_of_item[unit.item_id], self.flags).keys
