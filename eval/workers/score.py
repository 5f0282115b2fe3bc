"""The score shard worker: one dimension, one chunk of the run's videos, VBench's models loaded once.

Videos are checked first (decodable, enough frames, the configured fps); a bad video gets a failed
record with the reason and the others are still scored. If VBench's call fails for the batch, each
video is retried alone so that one bad video cannot take the others' scores with it.

A failed record says whether a rerun may fix it (``retryable``): a video that fails the checks, a NaN, or an
error VBench raises on that video's content (ValueError, KeyError, ...) fails the same way every time, so a
rerun leaves it alone (``scoring.retry_failed=true`` tries again); anything else (out of memory, I/O, a
crash) is retried by the next run. The worker also checks that the VBench code it imports is the code its
scorer id names (``eval.scoring.setup.dimension_code``).

T2V temporal_flickering takes only the videos VBench's static filter keeps, as far as the stored
``static_filter`` flags settle them (``selection``; ``eval.scoring.static_filter``); the filter itself flags
only the videos VBench's loop would (``needed``), in VBench's order.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import submitit

from eval.errors import HarnessError
from eval.manifest import GenerationRecord, done_records, video_intact
from eval.plan import Plan, Unit, load_plan
from eval.scoring.records import ScoreRecord, append_score, current_scores, scores_path
from eval.scoring.specs import spec
from eval.scoring.static_filter import (
    FILTERED,
    STATIC_FILTER,
    Needed,
    Selection,
    applies,
    in_vbench_order,
    needed,
    read_flags,
    select,
)


class ScoreShardFailed(HarnessError):
    pass


def _for_good(err: Exception) -> bool:
    """Whether VBench's error on one video would come back on every rerun (its content, not the machine)."""
    from eval.scoring.vbench_call import VBenchCallError

    return isinstance(
        err, (VBenchCallError, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError, AssertionError)
    )


def wanted(plan: Plan, dimension: str) -> list[Unit]:
    """Units whose item asks for ``dimension``: items without a list take every dimension that can score their
    prompt (camera_motion: only prompts with a camera phrase). The static filter runs on temporal_flickering's."""
    asked = FILTERED if dimension == STATIC_FILTER else dimension
    items, rule = plan.items, spec(asked)
    return [
        u
        for u in plan.units
        if asked in items[u.item_id].dimensions
        or (not items[u.item_id].dimensions and rule.scores_prompt(items[u.item_id].prompt))
    ]


def selection(
    run_dir: Path, plan: Plan, dimension: str, done: dict[str, GenerationRecord], scorers: dict[str, str]
) -> Selection | Needed | None:
    """The static filter's choice of videos for ``dimension``, from its stored flags (for ``static_filter``
    itself: the videos still to flag); None where it does not apply."""
    if dimension != STATIC_FILTER and not applies(plan.suite.benchmark, dimension):
        return None
    if STATIC_FILTER not in scorers:
        raise HarnessError(
            f"{dimension} of a t2v suite needs the {STATIC_FILTER} scorer id: take the scorers "
            "from eval.scoring.setup.prepare_scoring, which adds it"
        )
    units = wanted(plan, dimension)  # the filter's are temporal_flickering's
    flags = read_flags(run_dir, units, done, scorers[STATIC_FILTER])
    return needed(units, flags) if dimension == STATIC_FILTER else select(units, flags)


def scoreable(
    plan: Plan, dimension: str, done: dict[str, GenerationRecord], chosen: Selection | Needed | None = None
) -> list[tuple[Unit, GenerationRecord]]:
    """Units of ``dimension`` whose video exists, within ``chosen`` (the static filter's choice, or the videos
    it still flags, in VBench's order) if given."""
    keep = None if chosen is None else chosen.keys
    units = in_vbench_order(wanted(plan, dimension)) if dimension == STATIC_FILTER else wanted(plan, dimension)
    return [(u, done[u.key]) for u in units if u.key in done and (keep is None or u.key in keep)]


def expected(plan: Plan, dimension: str, chosen: Selection | Needed | None = None) -> int:
    """Videos ``dimension`` is to score: the planned ones, or what the static filter keeps (see ``Selection``)."""
    return len(wanted(plan, dimension)) if chosen is None else chosen.expected


def pending(
    plan: Plan,
    dimension: str,
    done: dict[str, GenerationRecord],
    chosen: Selection | Needed | None,
    have: dict[str, ScoreRecord],
    chunk: int,
    n_chunks: int,
    retry_failed: bool = False,
) -> list[tuple[Unit, GenerationRecord]]:
    """Chunk ``chunk`` of ``n_chunks`` of the videos ``dimension`` scores, one per sha256 (a score is keyed by
    the file's content, so byte-identical videos are scored once), less those with a score in ``have`` (a failure
    is tried again where a rerun may fix it, or with ``retry_failed``). The static filter's chunks are cut from
    all of its videos in VBench's order, then the unneeded ones dropped, so they stay put as flags come in."""
    flagging = isinstance(chosen, Needed)  # chunks over all of the filter's videos: fixed while flags come in
    first: dict[str, tuple[Unit, GenerationRecord]] = {}
    for unit, record in scoreable(plan, dimension, done, None if flagging else chosen):
        first.setdefault(record.sha256, (unit, record))
    units = list(first.values())
    mine = units[chunk * len(units) // n_chunks : (chunk + 1) * len(units) // n_chunks]
    return [
        (u, r)
        for u, r in mine
        if (not flagging or u.key in chosen.keys)
        and (
            r.sha256 not in have
            or (have[r.sha256].status != "ok" and (retry_failed or have[r.sha256].retryable is not False))
        )
    ]


@dataclass(frozen=True)
class ScoreResult:
    dimension: str
    chunk: int
    scored: int
    failed: int
    seconds: float


class ScoreShard(submitit.helpers.Checkpointable):
    def __init__(self, run_dir: str, dimension: str, chunk: int, n_chunks: int, scorer: str, config: dict):
        self.run_dir, self.dimension, self.chunk, self.n_chunks = run_dir, dimension, chunk, n_chunks
        self.scorer, self.config = scorer, config

    @property
    def shard(self) -> str:
        return f"{self.dimension}:{self.chunk}"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return (self.dimension,)

    def todo(self) -> list[tuple[Unit, GenerationRecord]]:
        """``pending`` for this chunk, from the run's files (the manifest trusted: ``__call__`` hashes the files
        it scores)."""
        run_dir = Path(self.run_dir)
        plan, done = load_plan(run_dir), done_records(run_dir, verify=False)
        chosen = selection(run_dir, plan, self.dimension, done, self.config.get("scorers", {}))
        have = current_scores(run_dir, self.dimension, self.scorer)
        return pending(
            plan, self.dimension, done, chosen, have, self.chunk, self.n_chunks, bool(self.config.get("retry_failed"))
        )

    def __call__(self) -> ScoreResult:
        os.environ.update(self.config["env"])  # VBench reads its cache dir when first imported
        import torch

        from eval.scoring.vbench_call import VideoInput, compute

        start = time.perf_counter()
        run_dir = Path(self.run_dir)
        todo = [(u, r) for u, r in self.todo() if video_intact(run_dir, r)]  # a changed file waits for its rerun
        if not todo:
            return ScoreResult(self.dimension, self.chunk, 0, 0, time.perf_counter() - start)
        self.check_code()
        items = load_plan(run_dir).items
        out = scores_path(run_dir, self.dimension, self.chunk, self.n_chunks)
        failed, ready = 0, []
        for unit, record in todo:
            problem = self.check_video(run_dir / record.video, record)
            if problem:
                self.write(out, unit, record, error=problem, retryable=False)
                failed += 1
            else:
                item = items[unit.item_id]
                ready.append(
                    (
                        unit,
                        record,
                        VideoInput(
                            str(run_dir / record.video),
                            item.prompt,
                            unit.index,
                            record.frames,
                            item.image,
                            dict(item.meta).get("auxiliary_info"),
                        ),
                    )
                )
        device = torch.device(self.config.get("device") or ("cuda" if torch.cuda.is_available() else "cpu"))
        workdir = run_dir / "scoring-work" / f"{self.dimension}-{self.chunk:05d}"
        kwargs = dict(device=device)
        batches = [ready]
        while batches:
            batch = batches.pop(0)
            if not batch:
                continue
            try:
                scores = compute(self.dimension, [v for _, _, v in batch], workdir=workdir, **kwargs)
            except submitit.core.utils.UncompletedJobError:  # submitit ends a job out of requeues
                raise
            except Exception as err:
                if len(batch) > 1:  # isolate the video that broke the batch
                    batches = [[b] for b in batch] + batches
                    continue
                unit, record, _ = batch[0]
                self.write(
                    out,
                    unit,
                    record,
                    error=f"{type(err).__name__}: {err}\n{traceback.format_exc()}",
                    retryable=not _for_good(err),
                )
                failed += 1
                continue
            for (unit, record, _), score in zip(batch, scores):
                self.write(out, unit, record, score=score)
        result = ScoreResult(self.dimension, self.chunk, len(todo) - failed, failed, time.perf_counter() - start)
        if failed:
            raise ScoreShardFailed(
                f"{self.dimension} chunk {self.chunk}: {failed} of {len(todo)} videos failed; "
                f"see {out} (status=failed lines say why); other videos' scores are kept"
            )
        return result

    def check_code(self) -> None:
        """Raises unless the VBench code this process imports is the code the scorer id names."""
        from eval.scoring.setup import dimension_code

        code, recorded = dimension_code(self.dimension), self.config.get("code", {}).get(self.dimension)
        if recorded and code != recorded:
            raise ScoreShardFailed(
                f"{self.dimension}: this process would run {code}, but its scorer id names "
                f"{recorded} (a VBench imported earlier in the process, or another PYTHONPATH); "
                "run scoring in a fresh process with the same scoring.vbench_source"
            )

    def check_video(self, path: Path, record: GenerationRecord | None = None) -> str | None:
        """Why ``path`` cannot be scored, or None. The facts come from the manifest line, measured when
        the video was written or imported (its sha256 still matches), else from decoding the file."""
        from videogen.mp4 import probe_mp4

        facts = (
            None
            if record is None
            else {"frames": record.frames, "fps": record.fps, "width": record.width, "height": record.height}
        )
        if facts is None or None in facts.values():
            try:
                facts = probe_mp4(path)
            except Exception as err:
                return f"cannot decode {path}: {str(err).strip().splitlines()[0]}; regenerate it (delete it and rerun)"
        rule = spec(self.dimension)
        if min(facts["width"], facts["height"]) < rule.min_size:
            return (
                f"{path} is {facts['width']}x{facts['height']}; {self.dimension}'s optical flow (RAFT/AMT) "
                f"gives NaN below {rule.min_size} px, which VBench would report as a silent 0 or noise"
            )
        if facts["frames"] < rule.min_frames:
            return f"{path} has {facts['frames']} frames; {self.dimension} needs at least {rule.min_frames}"
        fps = self.config.get("fps")
        if fps and abs(facts["fps"] - fps) > 1e-3:
            return (
                f"{path} has {facts['fps']} fps in its container, the run expects {fps} "
                "(VBench's dynamic_degree reads it); re-export it at the right fps"
            )
        return None

    def write(
        self,
        out: Path,
        unit: Unit,
        record: GenerationRecord,
        *,
        score=None,
        error: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        env = GenerationRecord.environment()
        append_score(
            out,
            ScoreRecord(
                video_sha256=record.sha256,
                dimension=self.dimension,
                scorer=self.scorer,
                status="ok" if error is None else "failed",
                key=unit.key,
                item_id=unit.item_id,
                index=unit.index,
                value=None if score is None else score.value,
                weight=None if score is None else score.weight,
                extra={} if score is None else dict(score.extra),
                error=error,
                retryable=retryable,
                host=env["host"],
                slurm_job_id=env["slurm_job_id"],
                time=time.time(),
            ),
        )
