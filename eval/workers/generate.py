"""The generate shard worker: load the generator once, then make every unit of the shard not yet done.

It is a submitit ``Checkpointable``: on preemption or timeout SLURM requeues it with the same arguments
and it resumes from the manifests (finished units are never redone).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import submitit

from eval.atomic import sha256_file
from eval.errors import HarnessError
from eval.generators.base import ExpectedVideo, check_facts
from eval.manifest import GenerationRecord, append_record, done_records, manifest_path, video_intact
from eval.plan import load_plan

VIDEO_DIR = "videos"


class ShardFailed(HarnessError):
    """Some units of a shard failed; each failure is in the manifest with its traceback."""


@dataclass(frozen=True)
class ShardResult:
    shard: int
    done: int
    skipped: int
    failed: int
    seconds: float


class GenerateShard(submitit.helpers.Checkpointable):
    def __init__(self, run_dir: str, shard: int, n_shards: int, execution: dict | None = None, progress: bool = False):
        self.run_dir, self.shard, self.n_shards = run_dir, shard, n_shards
        self.execution = execution or {}
        self.progress = progress

    def __call__(self) -> ShardResult:
        from eval.generators import generator_class

        start = time.perf_counter()
        run_dir = Path(self.run_dir)
        plan = load_plan(run_dir)
        units = plan.shard(self.shard, self.n_shards)
        done = done_records(run_dir, verify=False)  # every shard's lines; only this shard's files are hashed
        todo = [u for u in units if u.key not in done or not video_intact(run_dir, done[u.key])]
        if not todo:
            return ShardResult(self.shard, 0, len(units), 0, time.perf_counter() - start)
        manifest = manifest_path(run_dir, self.shard, self.n_shards)
        (run_dir / VIDEO_DIR).mkdir(exist_ok=True)
        for unit in todo:  # temp files of a worker killed mid-write (only this shard's units)
            for stale in (run_dir / VIDEO_DIR).glob(f".{unit.key}.*"):
                stale.unlink()
        items = plan.items
        config = {**plan.generator.config, **self.execution}
        adapter = generator_class(config["name"])
        expected = adapter.expected_video(config)
        generator = adapter(config, plan.suite.task)
        errors = []
        provenance = generator.describe()
        context = {"device": provenance.device, "weights": provenance.weights_summary}
        try:
            for unit in _progress(todo, self.progress, f"shard {self.shard}"):
                error = self._make(generator, expected, run_dir, manifest, items[unit.item_id], unit, context)
                errors += [error] if error else []
        finally:
            generator.close()
        failed = len(errors)
        result = ShardResult(
            self.shard, len(todo) - failed, len(units) - len(todo), failed, time.perf_counter() - start
        )
        if failed:
            raise ShardFailed(
                f"shard {self.shard}: {failed} of {len(todo)} units failed (first: {errors[0]}); see "
                f"{manifest} (status=failed lines carry the tracebacks); rerun to retry them"
            )
        return result

    @staticmethod
    def _make(
        generator, expected: ExpectedVideo, run_dir: Path, manifest: Path, item, unit, context: dict
    ) -> str | None:
        """Make one unit and append its manifest line; returns why it failed (one line), or None. What
        ``generate`` returns is checked first (``check_facts``): a bad return fails this unit only."""
        rel = f"{VIDEO_DIR}/{unit.key}.mp4"
        base = dict(
            key=unit.key,
            item_id=unit.item_id,
            index=unit.index,
            seed=unit.seed,
            **context,
            **GenerationRecord.environment(),
        )
        try:
            facts = check_facts(generator.generate(item, unit, run_dir / rel), run_dir / rel, expected)
            record = GenerationRecord(
                **base,
                status="done",
                video=rel,
                sha256=sha256_file(run_dir / rel),
                size=(run_dir / rel).stat().st_size,
                time=time.time(),
                **facts.to_json(),
            )
        except submitit.core.utils.UncompletedJobError:  # submitit ends a job out of requeues: not this unit's fault
            raise
        except Exception as err:  # recorded for this unit; the loop goes on
            why = f"{type(err).__name__}: {err}"
            append_record(
                manifest,
                GenerationRecord(**base, status="failed", time=time.time(), error=f"{why}\n{traceback.format_exc()}"),
            )
            return why.splitlines()[0]
        append_record(manifest, record)  # the completion marker, written last
        _preview(run_dir, run_dir / rel, record.sha256)
        return None


def _preview(run_dir: Path, video: Path, sha256: str) -> None:
    """The video's animated preview for the report, made here once (``eval.report.previews``); a preview that
    cannot be made is only a warning (the report makes what is missing)."""
    from eval.report.previews import make_run_preview

    try:
        make_run_preview(run_dir, video, sha256)
    except Exception as err:  # the video is done either way
        print(f"warning: no preview for {video}: {type(err).__name__}: {err}; the report will make it")


def _progress(units, enabled: bool, desc: str):
    if not enabled:
        return units
    from tqdm import tqdm

    return tqdm(units, desc=desc, unit="video")
