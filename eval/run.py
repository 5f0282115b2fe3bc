"""The harness entry point: ``python -m eval.run +suite=<name> [overrides]``.

Stages read and write files under the run directory, so rerunning the same command resumes.
Nothing heavy (torch, diffusers, vbench) is imported here; stages import what they need.
"""
from __future__ import annotations

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from eval.errors import HarnessError

STAGES = ("generate", "score", "aggregate", "report")
COUNTS = ("run.shards", "scoring.chunks")  # settings that must be whole numbers of 1 or more


def check_count(setting: str, value) -> None:
    """Refuse a count that is not a whole number >= 1 (never clamp it silently)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HarnessError(f"{setting}={value} is not allowed: {setting} takes a whole number of 1 or more "
                           f"(e.g. {setting}=4)")


def run(cfg: DictConfig) -> Path:
    from eval.generators import generator_class, resolve_generator
    from eval.lock import run_lock
    from eval.plan import GeneratorSpec, Plan, run_dir_for, write_or_check_plan
    from eval.suites import load_suite

    if "suite" not in cfg:
        raise HarnessError("no suite given; add +suite=NAME (smoke, smoke_t2v, vbench_t2v, vbench_i2v, "
                           "or custom with suite.path=FILE)")
    unknown = [s for s in cfg.run.stages if s not in STAGES]
    if unknown:
        raise HarnessError(f"unknown stage(s) {', '.join(unknown)}; run.stages takes {', '.join(STAGES)}")
    for setting in COUNTS:
        check_count(setting, OmegaConf.select(cfg, setting))
    generator_cfg = OmegaConf.to_container(cfg.generator, resolve=True)
    suite_options = OmegaConf.to_container(cfg.suite, resolve=True)
    name = suite_options.pop("name")
    sized = generator_cfg.get("width") and generator_cfg.get("height")  # None: each video sized from its image
    if name == "vbench_i2v" and not suite_options.get("ratio") and sized:
        from eval.suites.vbench_i2v import ratio_for

        suite_options["ratio"] = ratio_for(generator_cfg["width"], generator_cfg["height"])
    suite = load_suite(name, **suite_options)
    launcher_cfg = OmegaConf.to_container(cfg.launcher, resolve=True)
    spec = GeneratorSpec.from_config(resolve_generator(generator_cfg, suite.task, launcher_cfg),
                                     generator_class(generator_cfg["name"]).execution_keys)
    run_dir = (Path(cfg.run.dir) if cfg.run.dir else run_dir_for(cfg.run.root, suite.name, spec)).resolve()
    from eval import stages

    plan = Plan.build(suite, spec, int(cfg.run.base_seed))
    stages.preflight(plan, cfg, generator_cfg)
    with run_lock(run_dir):
        plan = write_or_check_plan(run_dir, plan)
        print(f"run: {run_dir} ({len(plan.units)} videos, {len(plan.suite.items)} items, "
              f"generator {spec.name} {spec.fingerprint})")
        incomplete = []
        for stage in STAGES:
            if stage in cfg.run.stages:
                try:
                    getattr(stages, f"{stage}_stage")(run_dir, plan, cfg, generator_cfg)
                except stages.StageIncomplete as err:  # the later stages run on what there is
                    print(err)
                    incomplete.append(err)
    if any(err.retryable for err in incomplete):
        raise HarnessError(f"{run_dir} is incomplete (above); rerun the same command to retry what a rerun can fix")
    if incomplete:
        print(f"run: {run_dir} is partial: what is missing cannot be fixed by a rerun (above)")
    return run_dir


@hydra.main(version_base="1.3", config_path="../configs", config_name="config")
def main(cfg: DictConfig) -> None:
    try:
        run(cfg)
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
