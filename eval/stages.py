"""Stage drivers: decide what is incomplete, hand it to the launcher, report."""
from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from eval.errors import HarnessError
from eval.jsonl import append_line, read_lines
from eval.manifest import done_records
from eval.plan import EXECUTION_KEYS, Plan

LAUNCHES = "launches.jsonl"


def last_shard_count(run_dir: Path, stage: str = "generate") -> int:
    """The shard count of the run's latest launch of ``stage`` (1 if there was none)."""
    launches = [line for line in read_lines(Path(run_dir) / LAUNCHES)
                if line.get("stage") == stage and isinstance(line.get("shards"), int)]
    return launches[-1]["shards"] if launches else 1


def preflight(plan: Plan, cfg: DictConfig, generator_cfg: dict) -> None:
    """What the requested stages need and can be checked in seconds (generator settings and weights, VBench's
    weights and code), before the run directory is made or anything is launched."""
    from eval.generators import preflight_generator

    if "generate" in cfg.run.stages:
        preflight_generator(generator_cfg, plan.suite.task)
    if "score" in cfg.run.stages and not cfg.scoring.fixtures:
        from eval.scoring.setup import weights_roots
        from eval.scoring.weights import Roots
        from eval.scoring.weights import preflight as scoring_preflight

        from eval.scoring.static_filter import with_filter

        vbench_dir, torch_home = weights_roots(cfg.scoring)
        dims = with_filter(plan.suite.task, scoring_dimensions(cfg, plan, quiet=True))
        scoring_preflight(dims, Roots(vbench_dir, torch_home / "hub"))


def generate_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> None:
    from eval.workers.generate import GenerateShard

    n_shards = max(1, min(int(cfg.run.shards), len(plan.units)))
    done = done_records(run_dir)
    incomplete = [s for s in range(n_shards) if any(u.key not in done for u in plan.shard(s, n_shards))]
    if not incomplete:
        print(f"generate: all {len(plan.units)} videos done")
        return
    execution = {k: generator_cfg[k] for k in EXECUTION_KEYS if k in generator_cfg}
    workers = [GenerateShard(str(run_dir), s, n_shards, execution, progress=bool(cfg.run.progress))
               for s in incomplete]
    print(f"generate: {len(plan.units) - len(done)} of {len(plan.units)} videos to make, "
          f"{len(incomplete)} of {n_shards} shards, launcher {cfg.launcher.name}")
    run_workers("generate", run_dir, workers, cfg, shards=n_shards)
    after = done_records(run_dir, verify=False)
    print(f"generate: {sum(u.key in after for u in plan.units)} of {len(plan.units)} videos done")


def run_workers(stage: str, run_dir: Path, workers: list, cfg: DictConfig, **record) -> None:
    """Launch ``workers`` (each has a ``shard`` label), record the launch, and fail loudly if any failed."""
    from eval.launch import launch

    launcher = OmegaConf.to_container(cfg.launcher, resolve=True)
    folder = run_dir / "logs" / datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    outcomes = launch(workers, launcher, folder)
    append_line(run_dir / LAUNCHES, {"time": time.time(), "stage": stage, **record,
                                      "launched": [w.shard for w in workers], "launcher": launcher["name"],
                                      "jobs": {str(o.shard): o.job_id for o in outcomes if o.job_id}})
    failed = [o for o in outcomes if not o.ok]
    for o in failed:
        print(f"{stage}: shard {o.shard} failed{f' (job {o.job_id})' if o.job_id else ''}:\n{o.error}")
    if failed:
        raise HarnessError(f"{stage}: {len(failed)} of {len(outcomes)} shards failed (details above); "
                           "rerun the same command to retry what is missing")


def scoring_dimensions(cfg: DictConfig, plan: Plan, quiet: bool = False) -> list[str]:
    """``scoring.dimensions``, or the task's defaults; with random fixtures, the defaults that can run here."""
    from eval.scoring.dimensions import DEFAULT_DIMENSIONS, adapter

    if cfg.scoring.dimensions:
        dims = list(cfg.scoring.dimensions)
        for dim in dims:
            adapter(dim)  # unknown dimensions fail here, before any work
        return dims
    dims = list(DEFAULT_DIMENSIONS[plan.suite.task])
    unfed = [d for d in dims if adapter(d).needs_auxiliary
             and not any(d in dict(item.meta).get("auxiliary_info", {}) for item in plan.suite.items)]
    if unfed and not quiet:
        print(f"score: no prompt of suite {plan.suite.name} carries the auxiliary_info that {', '.join(unfed)} "
              "read (VBench_full_info.json has it: suite vbench_t2v); the results will be partial")
    dims = [d for d in dims if d not in unfed]
    if cfg.scoring.fixtures:
        from eval.scoring.fixtures import NOT_BY_DEFAULT, SUPPORTED
        from eval.scoring.weights import code_problems

        # bert=False: the fixtures include a bert-base-uncased stand-in (scene)
        skipped = [d for d in dims if d not in SUPPORTED or code_problems([d], bert=False)]
        slow = [d for d in dims if d in NOT_BY_DEFAULT and d not in skipped]
        if skipped and not quiet:
            print(f"score: no random fixture can run {', '.join(skipped)} here (see `python -m "
                  f"eval.scoring.weights check --dimensions {','.join(skipped)}`); the results will be partial")
        if slow and not quiet:
            print(f"score: {', '.join(slow)} run full-size random models (one to two minutes a video on a CPU), "
                  f"so only when named: scoring.dimensions=[{','.join(slow)}]; the results will be partial")
        dims = [d for d in dims if d not in skipped and d not in slow]
    return dims


def score_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> dict[str, str]:
    """Score every generated video for every dimension; returns the scorer id of each dimension.

    Where VBench's T2V static filter chooses temporal_flickering's videos (``eval.scoring.static_filter``),
    a first launch flags them (with every other dimension) and a second scores those it keeps."""
    from eval.scoring.setup import prepare_scoring
    from eval.scoring.static_filter import STATIC_FILTER, applies, selection_notes, with_filter
    from eval.workers.score import ScoreShard, scoreable, selection

    dims = scoring_dimensions(cfg, plan)
    filtered = [d for d in dims if applies(plan.suite.task, d)]
    config, scorers = prepare_scoring(cfg.scoring, with_filter(plan.suite.task, dims), generator_cfg)
    waves = [[STATIC_FILTER, *(d for d in dims if d not in filtered)], filtered] if filtered else [dims]
    n_chunks = max(1, int(cfg.scoring.chunks))
    launched, failures = 0, []
    for wave in waves:
        if launched and wave is filtered and not cfg.launcher.get("wait", True):
            print(f"score: {', '.join(filtered)} is scored on the videos the static filter keeps: rerun this "
                  "command once the submitted jobs are done")
            break
        done = done_records(run_dir, verify=False)
        workers = []
        for dim in wave:
            chosen = selection(run_dir, plan, dim, done, scorers)
            if chosen is not None:
                for line in selection_notes(plan.items, chosen):
                    print(line)
            chunks = max(1, min(n_chunks, len(scoreable(plan, dim, done, chosen))))
            workers += [w for w in (ScoreShard(str(run_dir), dim, c, chunks, scorers[dim], config)
                                    for c in range(chunks)) if w.todo()]
        if not workers:
            continue
        print(f"score: {len(workers)} shards over {len({w.dimension for w in workers})} dimensions, "
              f"launcher {cfg.launcher.name}")
        launched += len(workers)
        try:
            run_workers("score", run_dir, workers, cfg, chunks=n_chunks)
        except HarnessError as err:  # the next wave still scores what the flags settled
            failures.append(str(err))
    if failures:
        raise HarnessError("; ".join(failures))
    if not launched:
        print(f"score: all {len(dims)} dimensions scored")
    return scorers


def aggregate_stage(run_dir: Path, plan: Plan, cfg: DictConfig, generator_cfg: dict) -> Path:
    from eval.results import build_results, provenance, write_results
    from eval.scoring.setup import prepare_scoring

    dims = scoring_dimensions(cfg, plan, quiet=True)
    config, scorers = prepare_scoring(cfg.scoring, dims, generator_cfg, check=False)
    results = build_results(run_dir, plan, dims, scorers, n_resamples=int(cfg.scoring.bootstrap_resamples),
                            seed=int(cfg.scoring.seed), provenance=provenance(run_dir, config["provenance"]),
                            model=cfg.run.get("label"))
    path = write_results(run_dir, results)
    total = results["total"]["value"]
    print(f"aggregate: {path} ({results['status']}"
          f"{', Total %.2f%%' % (100 * total) if total is not None else ''})")
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
    return index
