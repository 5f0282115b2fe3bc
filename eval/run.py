"""The harness entry point: ``python -m eval.run +suite=<name> [overrides]``.

Stages read and write files under the run directory, so rerunning the same command resumes.
Nothing heavy (torch, diffusers, vbench) is imported here; stages import what they need.
"""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from eval.console import LOGS, summary, warnings_to_log
from eval.errors import HarnessError, UnsupportedTask

STAGES = ("generate", "score", "aggregate", "report")
COUNTS = ("run.shards", "scoring.chunks")  # settings that must be whole numbers of 1 or more


def check_count(setting: str, value) -> None:
    """Refuse a count that is not a whole number >= 1 (never clamp it silently)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HarnessError(
            f"{setting}={value} is not allowed: {setting} takes a whole number of 1 or more (e.g. {setting}=4)"
        )


def run(cfg: DictConfig) -> Path:
    started = time.perf_counter()
    from eval.generators import generator_class, resolve_generator
    from eval.lock import run_lock
    from eval.plan import GeneratorSpec, Plan, run_dir_for, write_or_check_plan
    from eval.suites import load_suite

    if "suite" not in cfg:
        raise HarnessError(
            "no suite given; add +suite=NAME (smoke, smoke_t2v, vbench_t2v, vbench_i2v, or custom with suite.path=FILE)"
        )
    unknown = [s for s in cfg.run.stages if s not in STAGES]
    if unknown:
        raise HarnessError(f"unknown stage(s) {', '.join(unknown)}; run.stages takes {', '.join(STAGES)}")
    for setting in COUNTS:
        check_count(setting, OmegaConf.select(cfg, setting))
    generator_cfg = OmegaConf.to_container(cfg.generator, resolve=True)
    suite_options = OmegaConf.to_container(cfg.suite, resolve=True)
    name = suite_options.pop("name")
    adapter = generator_class(generator_cfg["name"])
    aspect = _model_aspect(adapter, generator_cfg)
    if name == "vbench_i2v" and not suite_options.get("ratio") and aspect:
        from eval.suites.vbench_i2v import ratio_for

        suite_options["ratio"] = ratio_for(*aspect)  # the crops of the model's aspect, e.g. 720x480 -> 3-2
    suite = load_suite(name, **suite_options)
    launcher_cfg = OmegaConf.to_container(cfg.launcher, resolve=True)
    spec = GeneratorSpec.from_config(resolve_generator(generator_cfg, suite.task, launcher_cfg), adapter.execution_keys)
    run_dir = (Path(cfg.run.dir) if cfg.run.dir else run_dir_for(cfg.run.root, suite.name, spec)).resolve()
    from eval import stages

    plan = Plan.build(suite, spec, int(cfg.run.base_seed))
    stages.preflight(plan, cfg, generator_cfg)
    quiet = nullcontext() if cfg.run.verbose else warnings_to_log(run_dir / LOGS / "main.log")
    with run_lock(run_dir), quiet:
        plan = write_or_check_plan(run_dir, plan)
        print(
            f"run: {run_dir} ({len(plan.units)} videos, {len(plan.suite.items)} items, "
            f"generator {spec.name} {spec.fingerprint})"
        )
        incomplete = []
        for stage in STAGES:
            if stage in cfg.run.stages:
                try:
                    getattr(stages, f"{stage}_stage")(run_dir, plan, cfg, generator_cfg)
                except stages.StageIncomplete as err:  # the later stages run on what there is
                    print(err)
                    incomplete.append(err)
    print("\n".join(summary(run_dir, time.perf_counter() - started)))
    if any(err.retryable for err in incomplete):
        raise HarnessError(f"{run_dir} is incomplete (above); rerun the same command to retry what a rerun can fix")
    if incomplete:
        print(f"run: {run_dir} is partial: what is missing cannot be fixed by a rerun (above)")
    return run_dir


def _model_aspect(adapter, generator_cfg: dict) -> tuple[int, int] | None:
    try:
        return adapter.aspect(generator_cfg)
    except ValueError as err:
        raise HarnessError(f"generator {generator_cfg['name']}: {err}") from None


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode != RunMode.MULTIRUN:
        try:
            run(cfg)
        except HarnessError as err:
            print(f"error: {err}", file=sys.stderr)
            sys.exit(2)
        return
    from eval import sweep

    sweep_dir, overrides = Path(hydra_cfg.sweep.dir), list(hydra_cfg.overrides.task)
    try:
        run_dir = run(cfg)
    except UnsupportedTask as err:  # e.g. a T2V-only model in a sweep over I2V suites
        print(f"skipped: {err}")
        sweep.record(sweep_dir, overrides, skipped=str(err))
        return
    except HarnessError as err:  # the other jobs of the sweep still run
        print(f"error: {err}", file=sys.stderr)
        sweep.record(sweep_dir, overrides, error=str(err))
        return
    sweep.record(sweep_dir, overrides, run_dir=run_dir)
    for benchmark, report in sweep.combined_reports(sweep_dir, previews=bool(cfg.report.previews)).items():
        print(f"sweep: {benchmark} leaderboard of this sweep so far: {report}")


if __name__ == "__main__":
    main()
