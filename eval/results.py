"""``results.json``: a pure function of the run's plan, manifests and per-video scores.

Per dimension: the raw value by VBench's single-process formula over the per-video scores, the
normalised value, a bootstrap CI over prompts, n_scored / n_expected and n_failed. A dimension that
is not fully scored gets no group score and no Total (never a 0), and the run is marked partial.
"""
from __future__ import annotations

import importlib.metadata
import subprocess
from collections import defaultdict
from pathlib import Path

from eval.aggregate import aggregate, bootstrap, get_benchmark
from eval.atomic import write_json_atomic
from eval.manifest import done_records
from eval.plan import Plan
from eval.scoring.dimensions import VideoScore, adapter
from eval.scoring.records import current_scores
from eval.vbench_constants import DIMENSIONS, SOURCE
from eval.workers.score import expected

RESULTS_FILE = "results.json"
RESULTS_SCHEMA = 1
BENCHMARK_OF_TASK = {"t2v": "vbench", "i2v": "vbench_i2v"}
PACKAGES = ("torch", "torchvision", "diffusers", "transformers", "vbench", "numpy", "timm", "pyiqa",
            "dreamsim", "open-clip-torch", "submitit", "hydra-core")


def dimension_scores(run_dir: Path, plan: Plan, dimension: str, scorer: str) -> tuple[dict, dict[str, list]]:
    """Counts and per-prompt scores of one dimension over the run's current videos."""
    done = done_records(run_dir, verify=False)
    current = {r.sha256: r for r in done.values()}
    records = {sha: rec for sha, rec in current_scores(run_dir, dimension, scorer).items() if sha in current}
    by_prompt: dict[str, list[VideoScore]] = defaultdict(list)
    for rec in records.values():
        if rec.status == "ok":
            by_prompt[rec.item_id].append(VideoScore(rec.value, rec.weight, tuple(sorted(rec.extra.items()))))
    n_ok = sum(len(v) for v in by_prompt.values())
    counts = {"n_scored": n_ok, "n_expected": expected(plan, dimension),
              "n_failed": sum(1 for r in records.values() if r.status == "failed"),
              "last_scored": max((r.time for r in records.values()), default=None)}
    return counts, dict(sorted(by_prompt.items()))


def build_results(run_dir: Path, plan: Plan, dimensions: list[str], scorers: dict[str, str], *,
                  provenance: dict, n_resamples: int = 1000, seed: int = 0) -> dict:
    benchmark = BENCHMARK_OF_TASK[plan.suite.task]
    bench = get_benchmark(benchmark)
    per_dim, records, reducers, raw = {}, {}, {}, {}
    for dim in dimensions:
        counts, by_prompt = dimension_scores(run_dir, plan, dim, scorers[dim])
        reduce = adapter(dim).reduce
        value = reduce([s for scores in by_prompt.values() for s in scores]) if by_prompt else None
        complete = counts["n_scored"] == counts["n_expected"] > 0
        entry = {"raw": value, "complete": complete, **counts, "scorer": scorers[dim]}
        if dim == "camera_motion" and by_prompt:
            entry["per_type"] = _camera_per_type(by_prompt)
        per_dim[dim] = entry
        if complete and dim in bench.dimensions:
            raw[dim] = value
            records[dim] = list(by_prompt.values())
            reducers[dim] = lambda prompts, reduce=reduce: reduce([s for scores in prompts for s in scores])
    point = aggregate(raw, benchmark, check_range=False)
    ci = bootstrap(records, benchmark, reducers=reducers, n_resamples=n_resamples, seed=seed,
                   check_range=False) if records else None
    for dim, entry in per_dim.items():
        entry["normalised"] = DIMENSIONS[dim].normalise(entry["raw"]) if entry["raw"] is not None else None
        interval = ci.raw.get(dim) if ci else None
        entry["ci95"] = [interval.low, interval.high] if interval else None
        # possible only with random-weight models; real VBench scores are fractions
        entry["out_of_range"] = entry["raw"] is not None and not 0.0 <= entry["raw"] <= 1.0
    complete = point.complete and all(e["complete"] for e in per_dim.values())
    return {
        "schema": RESULTS_SCHEMA,
        "run": str(run_dir),
        "suite": plan.suite.name,
        "task": plan.suite.task,
        "benchmark": benchmark,
        "formula": bench.formula,
        "generator": plan.generator.config,
        "fingerprint": plan.generator.fingerprint,
        "status": "complete" if complete else "partial",
        "missing": list(point.missing),
        "dimensions": per_dim,
        "groups": {g: {"value": v, "ci95": _interval(ci.groups.get(g) if ci else None)}
                   for g, v in point.groups.items()},
        "total": {"value": point.total, "ci95": _interval(ci.total if ci else None)},
        "bootstrap": {"resamples": n_resamples, "seed": seed, "unit": "prompt"},
        "constants_source": SOURCE,
        "provenance": provenance,
    }


def _interval(interval) -> list[float] | None:
    return [interval.low, interval.high] if interval else None


def _camera_per_type(by_prompt: dict[str, list[VideoScore]]) -> dict[str, float]:
    per_type: dict[str, list[float]] = defaultdict(list)
    for scores in by_prompt.values():
        for s in scores:
            per_type[dict(s.extra)["prompt_type"]].append(s.value)
    return {t: sum(v) / len(v) for t, v in sorted(per_type.items())}


def provenance(run_dir: Path, extra: dict) -> dict:
    """Harness git sha, package versions, devices and weights of the videos, plus ``extra``."""
    repo = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10).stdout.strip() or None
    except OSError:
        sha = None
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    done = done_records(run_dir, verify=False).values()
    return {
        "harness": {"version": importlib.metadata.version("skyreels-eval"), "git_sha": sha},
        "packages": versions,
        "generation": {
            "devices": sorted({r.device for r in done if r.device}),
            "weights": sorted({f"{k}={v}" for r in done for k, v in (r.weights or {}).items()}),
        },
        **extra,
    }


def write_results(run_dir: Path, results: dict) -> Path:
    return write_json_atomic(Path(run_dir) / RESULTS_FILE, results)
