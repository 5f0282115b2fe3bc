"""The score shard worker: one dimension, one chunk of the run's videos, VBench's models loaded once.

Videos are checked first (decodable, enough frames, the configured fps); a bad video gets a failed
record with the reason and the others are still scored. If VBench's call fails for the batch, each
video is retried alone so that one bad video cannot take the others' scores with it.
"""
from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import submitit

from eval.errors import HarnessError
from eval.manifest import GenerationRecord, done_records
from eval.plan import Plan, Unit, load_plan
from eval.scoring.records import ScoreRecord, append_score, current_scores, scores_path

# Dimensions that compare consecutive frames need at least two.
PAIR_DIMENSIONS = {"subject_consistency", "background_consistency", "temporal_flickering", "motion_smoothness",
                   "dynamic_degree", "i2v_subject", "i2v_background", "camera_motion"}


# RAFT (dynamic_degree) and AMT-S (motion_smoothness) divide by zero on pyramids of smaller frames.
OPTICAL_FLOW_DIMENSIONS = {"dynamic_degree", "motion_smoothness"}
MIN_FLOW_SIZE = 128


class ScoreShardFailed(HarnessError):
    pass


def scoreable(plan: Plan, dimension: str, done: dict[str, GenerationRecord]) -> list[tuple[Unit, GenerationRecord]]:
    """Units whose video exists and whose item asks for ``dimension`` (items without a list take all)."""
    items = plan.items
    return [(u, done[u.key]) for u in plan.units
            if u.key in done and (not items[u.item_id].dimensions or dimension in items[u.item_id].dimensions)]


def expected(plan: Plan, dimension: str) -> int:
    items = plan.items
    return sum(1 for u in plan.units if not items[u.item_id].dimensions or dimension in items[u.item_id].dimensions)


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

    def todo(self) -> list[tuple[Unit, GenerationRecord]]:
        run_dir = Path(self.run_dir)
        units = scoreable(load_plan(run_dir), self.dimension, done_records(run_dir))
        mine = units[self.chunk * len(units) // self.n_chunks:(self.chunk + 1) * len(units) // self.n_chunks]
        have = current_scores(run_dir, self.dimension, self.scorer)
        return [(u, r) for u, r in mine if r.sha256 not in have or have[r.sha256].status != "ok"]

    def __call__(self) -> ScoreResult:
        os.environ.update(self.config["env"])  # VBench reads its cache dir when first imported
        import torch

        from eval.scoring.vbench_call import VideoInput, compute

        start = time.perf_counter()
        run_dir = Path(self.run_dir)
        todo = self.todo()
        if not todo:
            return ScoreResult(self.dimension, self.chunk, 0, 0, time.perf_counter() - start)
        items = load_plan(run_dir).items
        out = scores_path(run_dir, self.dimension, self.chunk, self.n_chunks)
        failed, ready = 0, []
        for unit, record in todo:
            problem = self.check_video(run_dir / record.video, record)
            if problem:
                self.write(out, unit, record, error=problem)
                failed += 1
            else:
                item = items[unit.item_id]
                ready.append((unit, record, VideoInput(str(run_dir / record.video), item.prompt, unit.index,
                                                       record.frames, item.image,
                                                       dict(item.meta).get("auxiliary_info"))))
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
            except Exception as err:
                if len(batch) > 1:  # isolate the video that broke the batch
                    batches = [[b] for b in batch] + batches
                    continue
                unit, record, _ = batch[0]
                self.write(out, unit, record, error=f"{type(err).__name__}: {err}\n{traceback.format_exc()}")
                failed += 1
                continue
            for (unit, record, _), score in zip(batch, scores):
                self.write(out, unit, record, score=score)
        result = ScoreResult(self.dimension, self.chunk, len(todo) - failed, failed, time.perf_counter() - start)
        if failed:
            raise ScoreShardFailed(f"{self.dimension} chunk {self.chunk}: {failed} of {len(todo)} videos failed; "
                                   f"see {out} (status=failed lines say why); other videos' scores are kept")
        return result

    def check_video(self, path: Path, record: GenerationRecord | None = None) -> str | None:
        """Why ``path`` cannot be scored, or None. The facts come from the manifest line, measured when
        the video was written or imported (its sha256 still matches), else from decoding the file."""
        from skyreels.video import probe_mp4

        facts = None if record is None else {"frames": record.frames, "fps": record.fps,
                                             "width": record.width, "height": record.height}
        if facts is None or None in facts.values():
            try:
                facts = probe_mp4(path)
            except Exception as err:
                return f"cannot decode {path}: {str(err).strip().splitlines()[0]}; regenerate it (delete it and rerun)"
        if self.dimension in OPTICAL_FLOW_DIMENSIONS and min(facts["width"], facts["height"]) < MIN_FLOW_SIZE:
            return (f"{path} is {facts['width']}x{facts['height']}; {self.dimension}'s optical flow (RAFT/AMT) "
                    f"gives NaN below {MIN_FLOW_SIZE} px, which VBench would report as a silent 0 or noise")
        need = 2 if self.dimension in PAIR_DIMENSIONS else 1
        if facts["frames"] < need:
            return f"{path} has {facts['frames']} frames; {self.dimension} needs at least {need}"
        fps = self.config.get("fps")
        if fps and abs(facts["fps"] - fps) > 1e-3:
            return (f"{path} has {facts['fps']} fps in its container, the run expects {fps} "
                    "(VBench's dynamic_degree reads it); re-export it at the right fps")
        return None

    def write(self, out: Path, unit: Unit, record: GenerationRecord, *, score=None, error: str | None = None) -> None:
        env = GenerationRecord.environment()
        append_score(out, ScoreRecord(
            video_sha256=record.sha256, dimension=self.dimension, scorer=self.scorer,
            status="ok" if error is None else "failed", key=unit.key, item_id=unit.item_id, index=unit.index,
            value=None if score is None else score.value, weight=None if score is None else score.weight,
            extra={} if score is None else dict(score.extra), error=error, host=env["host"],
            slurm_job_id=env["slurm_job_id"], time=time.time()))
