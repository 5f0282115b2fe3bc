"""Stage drivers: decide what is incomplete, hand it to the launcher, report."""

from __future__ import annotations

import functools
import time
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from eval.errors import HarnessError
from eval.jsonl import append_line, read_lines
from eval.manifest import MANIFEST_DIR, done_records
from eval.plan import Plan
from eval.scoring.records import SCORES_DIR

LAUNCHES = "launches.jsonl"


def last_shard_count(run_dir: Path, stage: str = "generate") -> int:
    """The shard count of the run's latest launch of ``stage`` (1 if there was none)."""
    launches = [
        line
        for line in read_lines(Path(run_dir) / LAUNCHES)
        if line.get("stage") == stage and isinstance(line.get("shards"), int)
    ]
    return launches[-1]["shards"] if launches else 1


def preflight(plan: Plan, cfg: DictConfig, generator_cfg: dict) -> None:
    """What the requested stages need and can be checked in seconds (generator settings and weights, VBench's
    weights and code), before the run directory is made or anything is launched."""
    from eval.generators import preflight_generator

    if "generate" in cfg.run.stages:
        preflight_generator(generator_cfg, plan.suite.task)
    if "report" in cfg.run.stages and cfg.report.get("tracker"):
        from eval.tracking import check_tracker

        check_tracker(cfg.report.tracker)
    if "score" in cfg.run.stages and not cfg.scoring.fixtures:
        from eval.benchmarks import get_benchmark
        from eval.scoring.setup import scoring_roots
        from eval.scoring.weights import preflight as scoring_preflight

        dims = get_benchmark(plan.suite.benchmark).with_filters(scoring_dimensions(cfg, plan, quiet=True))
        scoring_preflight(dims, scoring_roots(cfg.scoring))


def generate_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> None:
    from eval.workers.generate import GenerateShard

    n_shards = max(1, min(int(cfg.run.shards), len(plan.units)))
    done = done_records(run_dir)
    incomplete = [s for s in range(n_shards) if any(u.key not in done for u in plan.shard(s, n_shards))]
    if not incomplete:
        print(f"generate: all {len(plan.units)} videos done")
        return
    from eval.generators import generator_class

    keys = generator_class(plan.generator.name).execution_keys
    execution = {k: generator_cfg[k] for k in keys if k in generator_cfg}
    bars = bool(cfg.run.verbose) and bool(cfg.run.progress)  # quiet, the stage's own bar stands for the workers'
    workers = [GenerateShard(str(run_dir), s, n_shards, execution, progress=bars) for s in incomplete]
    todo = len(plan.units) - len(done)
    print(
        f"generate: {todo} of {len(plan.units)} videos to make, "
        f"{len(incomplete)} of {n_shards} shards, launcher {cfg.launcher.name}"
    )
    run_workers("generate", run_dir, workers, cfg, todo=todo, shards=n_shards)
    after = done_records(run_dir, verify=False)
    print(f"generate: {sum(u.key in after for u in plan.units)} of {len(plan.units)} videos done")


# What the workers of each stage append one line to per unit done or failed, which the console's bar counts.
RECORDS = {"generate": (MANIFEST_DIR, "video"), "score": (SCORES_DIR, "score")}


def run_workers(stage: str, run_dir: Path, workers: list, cfg: DictConfig, todo: int = 0, **record) -> None:
    """Launch ``workers`` (each has a ``shard`` label) on ``todo`` units, record the launch, and fail loudly if any
    failed. Quiet (``run.verbose=false``), each in-process shard writes to its own log and the console shows one bar
    for the stage (``eval.console``)."""
    from eval.console import LOGS, StageBar, stage_logs
    from eval.launch import launch

    launcher = OmegaConf.to_container(cfg.launcher, resolve=True)
    folder = run_dir / LOGS / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    verbose = bool(cfg.run.verbose)
    records, unit = RECORDS[stage]
    bar = cfg.run.progress and not verbose and todo and launcher.get("wait", True)
    with StageBar(stage, todo, run_dir / records, unit) if bar else nullcontext():
        outcomes = launch(workers, launcher, folder, logs=None if verbose else stage_logs(run_dir, stage))
    append_line(
        run_dir / LAUNCHES,
        {
            "time": time.time(),
            "stage": stage,
            **record,
            "launched": [w.shard for w in workers],
            "launcher": launcher["name"],
            "jobs": {str(o.shard): o.job_id for o in outcomes if o.job_id},
        },
    )
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        job = f" (job {o.job_id})" if o.job_id else ""
        if verbose or not o.log:
            print(f"{stage}: shard {o.shard} failed{job}:\n{o.error}")
        else:
            print(f"{stage}: shard {o.shard} failed{job}: {o.reason}\n  log: {o.log}")
    if failed:
        raise HarnessError(
            f"{stage}: {len(failed)} of {len(outcomes)} shards failed (details above); "
            "rerun the same command to retry what is missing"
        )


def scoring_dimensions(cfg: DictConfig, plan: Plan, quiet: bool = False) -> list[str]:
    """``scoring.dimensions``, or the task's defaults that the suite can feed; with random fixtures, the defaults
    that can run here. VBench's source tree and co-tracker are put in place first (``provide_code``)."""
    from eval.benchmarks import get_benchmark
    from eval.scoring.setup import provide_code
    from eval.scoring.specs import spec

    provide_code(cfg.scoring)
    if cfg.scoring.dimensions:
        dims = list(cfg.scoring.dimensions)
        for dim in dims:
            if spec(dim).constants is None:  # unknown dimensions fail in spec(), before any work
                raise HarnessError(
                    f"scoring.dimensions names {dim}, which is not a VBench dimension (the score stage runs it "
                    "where a dimension needs it); fix: take it out"
                )
        return _fed(dims, plan, quiet, named=True)
    dims = _fed(list(get_benchmark(plan.suite.benchmark).defaults), plan, quiet, named=False)
    unfed = [
        d
        for d in dims
        if spec(d).needs_auxiliary
        and not any(d in dict(item.meta).get("auxiliary_info", {}) for item in plan.suite.items)
    ]
    if unfed and not quiet:
        print(
            f"score: no prompt of suite {plan.suite.name} carries the auxiliary_info that {', '.join(unfed)} "
            "read (VBench_full_info.json has it: suite vbench_t2v); the results will be partial"
        )
    dims = [d for d in dims if d not in unfed]
    if cfg.scoring.fixtures:
        from eval.scoring.fixtures import has_fixture, missing_code
        from eval.scoring.setup import scoring_roots
        from eval.scoring.weights import code_problems

        roots = scoring_roots(cfg.scoring)
        # bert=False: the fixtures include a bert-base-uncased stand-in (scene)
        problems = {
            d: [str(p) for p in code_problems([d], bert=False, roots=roots)]
            + [f"missing {f.path(roots)}: {f.how_to_get(roots)}" for f in missing_code([d], roots)]
            for d in dims
            if has_fixture(d)
        }
        skipped = [d for d in dims if not has_fixture(d) or problems[d]]
        slow = [d for d in dims if spec(d).slow_on_cpu and d not in skipped]
        if skipped and not quiet:
            print(f"score: {', '.join(skipped)} cannot run here, so the results will be partial:")
            for d in skipped:
                print(
                    f"  - {d}: "
                    + (
                        "; ".join(problems[d])
                        if problems.get(d)
                        else f"no random fixture (see `python -m eval.scoring.weights check --dimensions {d}`)"
                    )
                )
        if slow and not quiet:
            print(
                f"score: {', '.join(slow)} run full-size random models (one to two minutes a video on a CPU), "
                f"so only when named: scoring.dimensions=[{','.join(slow)}]; the results will be partial"
            )
        dims = [d for d in dims if d not in skipped and d not in slow]
    return dims


def _fed(dims: list[str], plan: Plan, quiet: bool, named: bool) -> list[str]:
    """``dims`` less those that can score no prompt of the suite (camera_motion: prompts with a camera phrase).
    An item that lists such a dimension but whose prompt it cannot score is an error, and so is a dimension named
    in scoring.dimensions that no prompt can feed."""
    from eval.scoring.specs import spec
    from eval.workers.score import wanted

    kept = []
    for dim in dims:
        rule = spec(dim)
        if rule.accepts is None:
            kept.append(dim)
            continue
        bad = [item.id for item in plan.suite.items if dim in item.dimensions and not rule.scores_prompt(item.prompt)]
        if bad:
            raise HarnessError(
                f"suite {plan.suite.name}: {len(bad)} item(s) list {dim}, but {dim} can score only "
                f"prompts with {rule.accepts_what}: {', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}"
                f"; fix: put the phrase in the prompt, or take {dim} off those items' dimensions"
            )
        n_items = len({u.item_id for u in wanted(plan, dim)})
        if not n_items and named:
            raise HarnessError(
                f"scoring.dimensions names {dim}, but no prompt of suite {plan.suite.name} has "
                f"{rule.accepts_what}; fix: leave {dim} out, or add such prompts"
            )
        if not n_items:
            if not quiet:
                print(f"score: {dim} is left out: no prompt of suite {plan.suite.name} has {rule.accepts_what}")
            continue
        candidates = sum(not item.dimensions or dim in item.dimensions for item in plan.suite.items)
        if not quiet and n_items < candidates:
            print(f"score: {dim} scores the {n_items} item(s) whose prompts have {rule.accepts_what}")
        kept.append(dim)
    return kept


def score_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> dict[str, str]:
    """Score every generated video for every dimension; returns the scorer id of each dimension.

    Where VBench's T2V static filter chooses temporal_flickering's videos (``eval.scoring.static_filter``),
    a first launch flags them (with every other dimension) and a second scores those it keeps."""
    from eval.benchmarks import get_benchmark
    from eval.scoring.records import current_scores
    from eval.scoring.setup import prepare_scoring
    from eval.scoring.static_filter import STATIC_FILTER, Selection, applies, selection_notes
    from eval.scoring.video_major import runs_video_major
    from eval.workers.score import ScoreShard, scoreable, selection
    from eval.workers.score_videos import VideoMajorShard

    dims = scoring_dimensions(cfg, plan)
    filtered = [d for d in dims if applies(plan.suite.benchmark, d)]
    from eval.generators import generator_class

    fps = generator_class(plan.generator.name).expected_video(generator_cfg).fps
    benchmark = get_benchmark(plan.suite.benchmark)
    config, scorers = prepare_scoring(cfg.scoring, benchmark.with_filters(dims), fps)
    waves = [[STATIC_FILTER, *(d for d in dims if d not in filtered)], filtered] if filtered else [dims]
    if config["fps"] is None:
        print(
            f"score: generator {plan.generator.name} fixes no fps, so the videos' container fps is not checked "
            "(VBench's dynamic_degree reads it); set generator.expect_fps to check it"
        )
    n_chunks = max(1, int(cfg.scoring.chunks))
    launched = 0
    for wave in waves:
        if launched and wave is filtered and not cfg.launcher.get("wait", True):
            print(
                f"score: {', '.join(filtered)} is scored on the videos the static filter keeps: rerun this "
                "command once the submitted jobs are done"
            )
            break
        done = done_records(run_dir, verify=False)
        workers, sizes, chosen_of, todo = [], {}, {}, 0
        for dim in wave:
            chosen = selection(run_dir, plan, dim, done, scorers)
            if isinstance(chosen, Selection):
                for line in selection_notes(plan.items, chosen):
                    print(line)
            sizes[dim] = max(1, min(n_chunks, len(scoreable(plan, dim, done, chosen))))
            chosen_of[dim] = chosen
        again = bool(config.get("retry_failed"))
        have = {d: current_scores(run_dir, d, scorers[d]) for d in wave}
        left = functools.partial(_left, plan, done, chosen_of, have, again)
        joint = [d for d in wave if runs_video_major(d)]  # one shard per chunk scores all of these
        if joint:
            chunks = max(sizes[d] for d in joint)
            for c in range(chunks):
                n = sum(left(d, c, chunks) for d in joint)
                workers += [VideoMajorShard(str(run_dir), joint, c, chunks, scorers, config)] if n else []
                todo += n
        for dim in (d for d in wave if d not in joint):
            for c in range(sizes[dim]):
                n = left(dim, c, sizes[dim])
                workers += [ScoreShard(str(run_dir), dim, c, sizes[dim], scorers[dim], config)] if n else []
                todo += n
        if not workers:
            continue
        print(
            f"score: {todo} scores to compute (videos x dimensions), "
            f"{len(workers)} shards over {len({d for w in workers for d in w.dimensions})} dimensions, "
            f"launcher {cfg.launcher.name}"
        )
        launched += len(workers)
        try:
            run_workers("score", run_dir, workers, cfg, todo=todo, chunks=n_chunks, scorers=scorers)
        except HarnessError:  # the next wave still scores what the flags settled; the files say what failed
            pass
    if not cfg.launcher.get("wait", True):
        return scorers
    lines, retryable = score_gaps(run_dir, plan, {d: scorers[d] for d in benchmark.with_filters(dims)})
    if lines:
        raise StageIncomplete("score: " + "; ".join(lines), retryable=retryable)
    if not launched:
        print(f"score: all {len(dims)} dimensions scored")
    return scorers


def _left(plan, done, chosen_of, have, again, dim: str, chunk: int, chunks: int) -> int:
    """How many of ``dim``'s videos chunk ``chunk`` of ``chunks`` still has to score."""
    from eval.workers.score import pending

    return len(pending(plan, dim, done, chosen_of[dim], have[dim], chunk, chunks, again))


class StageIncomplete(HarnessError):
    """A stage left work undone; the later stages still run on what there is. ``retryable``: a rerun may finish it."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def score_gaps(run_dir: Path, plan: Plan, scorers: dict[str, str]) -> tuple[list[str], bool]:
    """What the stored scores of ``scorers``' dimensions lack, one line per dimension and kind: videos that failed
    for good (a rerun cannot fix them), failed and will be retried, or have no score (their shard failed or was not
    run); and whether a rerun may fill any of it."""
    from eval.scoring.records import scores_path
    from eval.status import video_scores

    done = done_records(run_dir, verify=False)
    lines, retryable = [], False
    for dim in scorers:
        records = video_scores(run_dir, plan, dim, scorers, done)
        failed = [r for r in records if r is not None and r.status == "failed"]
        for_good = [r for r in failed if r.retryable is False]
        again = [r for r in failed if r.retryable is not False]
        pending = sum(r is None for r in records)
        where = scores_path(run_dir, dim, 0, 1).parent
        if for_good:
            lines.append(
                f"{dim}: {_videos(for_good)} failed and a rerun cannot fix that ({_first_line(for_good)}); "
                f"the results are partial and name the failures (see {where}; scoring.retry_failed=true "
                "tries again)"
            )
        if again:
            lines.append(f"{dim}: {_videos(again)} failed and a rerun may fix that ({_first_line(again)}; see {where})")
        if pending:
            lines.append(f"{dim}: {pending} video(s) not scored (their shard failed, see above)")
        retryable = retryable or bool(again) or bool(pending)
    return lines, retryable


def _videos(records) -> str:
    return f"{len(records)} video{'s' if len(records) > 1 else ''}"


def _first_line(records) -> str:
    """The most common first line of the records' errors."""
    from collections import Counter

    return Counter((r.error or "").strip().splitlines()[0] if r.error else "?" for r in records).most_common(1)[0][0]


def aggregate_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> Path:
    from eval.results import build_results, provenance, write_results
    from eval.scoring.setup import prepare_scoring

    dims = scoring_dimensions(cfg, plan, quiet=True)
    config, scorers = prepare_scoring(cfg.scoring, dims, check=False)
    results = build_results(
        run_dir,
        plan,
        dims,
        scorers,
        n_resamples=int(cfg.scoring.bootstrap_resamples),
        seed=int(cfg.scoring.seed),
        provenance=provenance(run_dir, config["provenance"]),
        model=cfg.run.get("label"),
    )
    path = write_results(run_dir, results)
    total = results["total"]["value"]
    print(f"aggregate: {path} ({results['status']}{', Total %.2f%%' % (100 * total) if total is not None else ''})")
    return path


def report_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> Path:
    """The run's own leaderboard against the published baselines, into ``<run>/report/``."""
    from eval.report import build_report
    from eval.report.html import BANNER
    from eval.report.load import load_results

    index = build_report([run_dir], run_dir / "report", previews=bool(cfg.report.previews))
    if load_results(run_dir).random_weights:
        import textwrap

        print("\n".join(["", "*" * 100, *(f"* {line}" for line in textwrap.wrap(BANNER, 96)), "*" * 100]))
    print(f"report: {index}")
    if cfg.report.get("tracker"):
        from eval.console import shard_log, stage_logs, to_log
        from eval.tracking import log_run

        log = shard_log(stage_logs(run_dir, "report"), cfg.report.tracker)
        with nullcontext() if cfg.run.verbose else to_log(log):
            where = log_run(cfg.report.tracker, run_dir, run_dir / "report", cfg.report.tracker_project)
        print(f"report: logged to {cfg.report.tracker}: {where}")
    return index
