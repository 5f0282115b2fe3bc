"""``results.json``: a pure function of the run's plan, manifests and per-video scores.

Per dimension: the raw value by VBench's single-process formula over the per-video scores, the
normalised value, a bootstrap CI over prompts, n_scored / n_expected, n_failed (n_failed_for_good of them
a rerun cannot fix) and the failures' first error lines with their counts. A dimension that
is not fully scored gets no group score and no Total (never a 0), and the run is marked partial.
T2V temporal_flickering counts only the videos VBench's static filter keeps (n_expected: how many it
keeps; an upper bound while flags are missing); ``static_filter`` summarises the flags, and each video's
flag is among its scores. The flags enter no score.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from eval.aggregate import aggregate, bootstrap
from eval.atomic import write_json_atomic
from eval.benchmarks import get_benchmark
from eval.manifest import done_records
from eval.ordered_sum import ordered_sum
from eval.plan import Plan
from eval.scoring.records import current_scores
from eval.scoring.specs import VideoScore, percent_mean, spec, weighted_mean
from eval.scoring.static_filter import FILTERED, KEEP, STATIC_FILTER, Selection, read_flags
from eval.vbench_constants import DIMENSIONS, SOURCE
from eval.workers.score import expected, scoreable, selection, wanted

RESULTS_FILE = "results.json"
RESULTS_SCHEMA = 3  # 2: adds model, date, cost and the per-video table; 3: model_info
PACKAGES = (
    "torch",
    "torchvision",
    "diffusers",
    "transformers",
    "vbench",
    "numpy",
    "timm",
    "pyiqa",
    "dreamsim",
    "open-clip-torch",
    "submitit",
    "hydra-core",
)


def dimension_scores(
    run_dir: Path, plan: Plan, dimension: str, scorer: str, done: dict, chosen: Selection | None = None
) -> tuple[dict, dict[str, list]]:
    """Counts and per-prompt scores of one dimension over the run's current videos (those ``chosen`` by
    the static filter, if given); ``done`` is the run's ``done_records``. Each video counts once, as in VBench,
    which scores every file: byte-identical videos share one stored score (keyed by sha256) but count apart."""
    have = current_scores(run_dir, dimension, scorer)
    units = [(u, have.get(r.sha256)) for u, r in scoreable(plan, dimension, done, chosen)]
    records = [(u, rec) for u, rec in units if rec is not None]
    by_prompt: dict[str, list[VideoScore]] = defaultdict(list)
    for unit, rec in records:
        if rec.status == "ok":
            by_prompt[unit.item_id].append(VideoScore(rec.value, rec.weight, tuple(sorted(rec.extra.items()))))
    n_ok = sum(len(v) for v in by_prompt.values())
    failed = [r for _, r in records if r.status == "failed"]
    counts = {
        "n_scored": n_ok,
        "n_expected": expected(plan, dimension, chosen),
        "n_failed": len(failed),
        "n_failed_for_good": sum(r.retryable is False for r in failed),
        "errors": dict(sorted(Counter(r.error.strip().splitlines()[0] for r in failed if r.error).items())),
        "last_scored": max((r.time for _, r in records), default=None),
    }
    return counts, dict(sorted(by_prompt.items()))


def build_results(
    run_dir: Path,
    plan: Plan,
    dimensions: list[str],
    scorers: dict[str, str],
    *,
    provenance: dict,
    n_resamples: int = 1000,
    seed: int = 0,
    model: str | None = None,
) -> dict:
    from eval.generators import generator_class

    adapter_cls = generator_class(plan.generator.name)
    display_name = adapter_cls.display_name(plan.generator.config, plan.suite.task)
    benchmark = plan.suite.benchmark
    bench = get_benchmark(benchmark)
    per_dim, records, reducers, raw = {}, {}, {}, {}
    done = done_records(run_dir, verify=False)
    chosen = {dim: selection(run_dir, plan, dim, done, scorers) for dim in dimensions}
    for dim in dimensions:
        counts, by_prompt = dimension_scores(run_dir, plan, dim, scorers[dim], done, chosen[dim])
        reduce = spec(dim).reduce
        value = reduce([s for scores in by_prompt.values() for s in scores]) if by_prompt else None
        complete = counts["n_scored"] == counts["n_expected"] > 0
        entry = {"raw": value, "complete": complete, **counts, "scorer": scorers[dim]}
        if dim == "camera_motion" and by_prompt:
            entry["per_type"] = _camera_per_type(by_prompt)
        per_dim[dim] = entry
        if complete and dim in bench.dimensions:
            raw[dim] = value
            prompts = list(by_prompt.values())
            if reduce in RESAMPLED:  # the same sums in the same order, on arrays of the prompts' videos
                records[dim], reducers[dim] = list(range(len(prompts))), ResampledMean(prompts, RESAMPLED[reduce])
            else:
                records[dim] = prompts
                reducers[dim] = lambda prompts, reduce=reduce: reduce([s for scores in prompts for s in scores])
    point = aggregate(raw, benchmark, check_range=False)
    ci = (
        bootstrap(records, benchmark, reducers=reducers, n_resamples=n_resamples, seed=seed, check_range=False)
        if records
        else None
    )
    for dim, entry in per_dim.items():
        entry["normalised"] = DIMENSIONS[dim].normalise(entry["raw"]) if entry["raw"] is not None else None
        interval = ci.raw.get(dim) if ci else None
        entry["ci95"] = [interval.low, interval.high] if interval else None
        # possible only with random-weight models; real VBench scores are fractions
        entry["out_of_range"] = entry["raw"] is not None and not 0.0 <= entry["raw"] <= 1.0
    complete = point.complete and all(e["complete"] for e in per_dim.values())
    videos = video_table(run_dir, plan, dimensions, scorers, chosen, done)
    return {
        "schema": RESULTS_SCHEMA,
        "model": model or display_name,
        "model_info": {
            "display_name": display_name,
            "random_weights": adapter_cls.random_weights(plan.generator.config),
            "published_as": adapter_cls.published_as(plan.generator.config, plan.suite.task),
        },
        "date": _date(videos, per_dim),
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
        "static_filter": filter_summary(run_dir, plan, scorers, chosen.get(FILTERED), done),
        "groups": {
            g: {"value": v, "ci95": _interval(ci.groups.get(g) if ci else None)} for g, v in point.groups.items()
        },
        "total": {"value": point.total, "ci95": _interval(ci.total if ci else None)},
        "bootstrap": {"resamples": n_resamples, "seed": seed, "unit": "prompt"},
        "constants_source": SOURCE,
        "cost": generation_cost(videos),
        "provenance": provenance,
        "videos": videos,
    }


def filter_summary(
    run_dir: Path, plan: Plan, scorers: dict[str, str], chosen: Selection | None, done: dict
) -> dict | None:
    """The static filter's flags and choice for temporal_flickering; None where it does not filter."""
    if chosen is None:
        return None
    units = wanted(plan, STATIC_FILTER)
    flags = read_flags(run_dir, units, done, scorers[STATIC_FILTER])
    return {
        "scorer": scorers[STATIC_FILTER],
        "keep": KEEP,
        "n_videos": len(units),
        "n_flagged": len(flags),
        "n_static": sum(flags.values()),
        "n_kept": len(chosen.keys),
        "complete": not chosen.pending,
        "pending": sorted(chosen.pending),
        "short": dict(sorted(chosen.short.items())),
    }


def video_table(
    run_dir: Path,
    plan: Plan,
    dimensions: list[str],
    scorers: dict[str, str],
    chosen: dict[str, Selection | None],
    done: dict,
) -> list[dict]:
    """One entry per planned video: its unit, prompt, image, file, generation facts and current scores
    (a filtered dimension's only where the static filter keeps the video; the filter's flag where it ran)."""
    shown = [*dimensions, *([STATIC_FILTER] if any(c is not None for c in chosen.values()) else [])]
    scores = {dim: current_scores(run_dir, dim, scorers[dim]) for dim in shown}
    kept = {dim: c.keys for dim, c in chosen.items() if c is not None}
    rows = []
    for unit in plan.units:
        item, record = plan.items[unit.item_id], done.get(unit.key)
        row = {
            "key": unit.key,
            "item_id": unit.item_id,
            "index": unit.index,
            "seed": unit.seed,
            "prompt": item.prompt,
            "image": item.image,
            "video": None,
            "sha256": None,
            "seconds": None,
            "device": None,
            "time": None,
            "scores": {},
        }
        if record is not None:
            row.update(
                video=record.video, sha256=record.sha256, seconds=record.seconds, device=record.device, time=record.time
            )
            for dim in shown:
                score = scores[dim].get(record.sha256)
                if score is not None and (dim not in kept or unit.key in kept[dim]):
                    row["scores"][dim] = score.value if score.status == "ok" else "failed"
        rows.append(row)
    return rows


# Reducers that are VBench's weighted mean of the videos' scores over a divisor (eval.scoring.specs).
RESAMPLED = {weighted_mean: 1.0, percent_mean: 100.0}


class ResampledMean:
    """``weighted_mean`` (over ``divisor``) of the videos of the prompts a bootstrap replicate drew, from their
    indices: the videos' values and weights gathered from arrays and summed in order by ``np.cumsum``, which adds
    in sequence as the reducers' ``ordered_sum`` does (the same bits, on every supported Python). 1000 replicates
    of 5590 videos take a second rather than minutes."""

    def __init__(self, prompts: list[list[VideoScore]], divisor: float):
        import numpy as np

        flat = [s for scores in prompts for s in scores]
        self.weights = np.array([s.weight for s in flat], dtype=float)
        self.products = np.array([s.value * s.weight for s in flat], dtype=float)
        self.lengths = np.array([len(scores) for scores in prompts])
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.divisor = divisor

    def __call__(self, indices) -> float:
        import numpy as np

        indices = np.asarray(indices)
        lengths = self.lengths[indices]
        first = np.cumsum(lengths) - lengths  # where each drawn prompt's videos start in the gathered arrays
        videos = np.repeat(self.starts[indices] - first, lengths) + np.arange(lengths.sum())
        total = np.cumsum(self.weights[videos])[-1]
        if total <= 0:
            return weighted_mean([])  # its error
        mean = float(np.cumsum(self.products[videos])[-1]) / float(total)
        return mean / self.divisor if self.divisor != 1.0 else mean


def generation_cost(videos: list[dict]) -> dict | None:
    """Mean generation seconds per video and the devices, over videos whose time was measured."""
    timed = [v for v in videos if v["seconds"] is not None]
    if not timed:
        return None
    devices = sorted({v["device"] for v in timed if v["device"]})
    return {
        "videos": len(timed),
        "seconds_per_video": sum(v["seconds"] for v in timed) / len(timed),
        "devices": devices,
        "gpu": bool(devices) and all(d.startswith("cuda") for d in devices),
    }


def _date(videos: list[dict], per_dim: dict) -> str | None:
    """The UTC date of the newest stored video or score, so the same stored results give the same file."""
    times = [v["time"] for v in videos if v["time"]] + [e["last_scored"] for e in per_dim.values() if e["last_scored"]]
    return datetime.fromtimestamp(max(times), UTC).strftime("%Y-%m-%d") if times else None


def _interval(interval) -> list[float] | None:
    return [interval.low, interval.high] if interval else None


def _camera_per_type(by_prompt: dict[str, list[VideoScore]]) -> dict[str, float]:
    per_type: dict[str, list[float]] = defaultdict(list)
    for scores in by_prompt.values():
        for s in scores:
            per_type[dict(s.extra)["prompt_type"]].append(s.value)
    return {t: ordered_sum(v) / len(v) for t, v in sorted(per_type.items())}


def provenance(run_dir: Path, extra: dict) -> dict:
    """Harness git sha, package versions, devices and weights of the videos, plus ``extra``."""
    repo = Path(__file__).resolve().parents[1]
    try:
        sha = (
            subprocess.run(
                ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or None
        )
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
