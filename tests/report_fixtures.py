"""Synthetic ``results.json`` files (the current schema) for the report tests, with real little mp4s and images."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from eval.aggregate import aggregate
from eval.atomic import sha256_file
from eval.benchmarks import get_benchmark
from eval.results import RESULTS_SCHEMA
from eval.vbench_constants import DIMENSIONS, SOURCE

# Plausible raw values (fractions) for every dimension of both benchmarks.
RAW = {
    "subject_consistency": 0.95,
    "background_consistency": 0.96,
    "temporal_flickering": 0.97,
    "motion_smoothness": 0.98,
    "dynamic_degree": 0.4,
    "aesthetic_quality": 0.6,
    "imaging_quality": 0.65,
    "i2v_subject": 0.97,
    "i2v_background": 0.975,
    "camera_motion": 0.3,
    "object_class": 0.8,
    "multiple_objects": 0.5,
    "human_action": 0.9,
    "color": 0.8,
    "spatial_relationship": 0.6,
    "scene": 0.45,
    "appearance_style": 0.23,
    "temporal_style": 0.24,
    "overall_consistency": 0.26,
}
SUITE_OF = {"vbench_i2v": ("vbench_i2v", "i2v"), "vbench": ("vbench_t2v", "t2v")}


def write_results(
    run_dir: Path,
    *,
    benchmark: str = "vbench_i2v",
    suite: str | None = None,
    model: str = "Model A",
    raw: dict | None = None,
    drop: tuple[str, ...] = (),
    generator: dict | None = None,
    published_as: str | None = None,
    n_videos: int = 2,
    tiny: bool = False,
) -> Path:
    """A run folder with ``n_videos`` real mp4s, an image, and a consistent ``results.json``."""
    from PIL import Image

    from videogen.mp4 import write_mp4

    bench = get_benchmark(benchmark)
    suite_name, task = SUITE_OF[benchmark]
    raw = {d: (raw or RAW)[d] for d in bench.dimensions if d not in drop}
    point = aggregate(raw, benchmark, check_range=False)
    run_dir.mkdir(parents=True, exist_ok=True)
    image = run_dir / "image.png"
    Image.new("RGB", (48, 32), (200, 120, 40)).save(image)
    videos = []
    for i in range(n_videos):
        frames = np.full((5, 32, 48, 3), 40 * i, np.uint8)
        frames[:, :, : 8 * (i + 1)] = 250
        for t in range(len(frames)):
            frames[t, 4 * t : 4 * t + 8, 20:28] = (0, 0, 255)  # a square that moves, so every frame differs
        write_mp4(frames, run_dir / "videos" / f"v{i}.mp4", fps=24)
        videos.append(
            {
                "key": f"item{i}-0",
                "item_id": f"item{i}",
                "index": 0,
                "seed": 100 + i,
                "prompt": f"prompt number {i}",
                "image": str(image) if task == "i2v" else None,
                "video": f"videos/v{i}.mp4",
                "sha256": sha256_file(run_dir / "videos" / f"v{i}.mp4"),
                "seconds": 10.0 + i,
                "device": "cuda:0",
                "time": 1_790_000_000.0,
                "scores": {d: raw[d] for d in raw},
            }
        )
    dims = {
        d: {
            "raw": v,
            "complete": True,
            "n_scored": n_videos,
            "n_expected": n_videos,
            "n_failed": 0,
            "last_scored": 1_790_000_000.0,
            "scorer": "s",
            "normalised": DIMENSIONS[d].normalise(v),
            "ci95": [v - 0.01, v + 0.01],
            "out_of_range": False,
        }
        for d, v in raw.items()
    }
    generator = {
        "name": "skyreels",
        "base": "tiny" if tiny else "hub",
        "transformer": "hub",
        "num_inference_steps": 30,
        **(generator or {}),
    }
    results = {
        "schema": RESULTS_SCHEMA,
        "model": model,
        "date": "2026-09-21",
        "run": str(run_dir),
        "model_info": {"display_name": model, "random_weights": tiny, "published_as": published_as},
        "suite": suite or suite_name,
        "task": task,
        "benchmark": benchmark,
        "formula": bench.formula,
        "generator": generator,
        "fingerprint": hashlib.sha256(json.dumps(generator, sort_keys=True).encode()).hexdigest()[:16],
        "status": "complete" if point.complete else "partial",
        "missing": list(point.missing),
        "dimensions": dims,
        "groups": {g: {"value": v, "ci95": None} for g, v in point.groups.items()},
        "total": {"value": point.total, "ci95": None},
        "bootstrap": {"resamples": 1000, "seed": 0, "unit": "prompt"},
        "constants_source": SOURCE,
        "cost": {"videos": n_videos, "seconds_per_video": 10.5, "devices": ["cuda:0"], "gpu": True},
        "provenance": {
            "harness": {"version": "0.1.0", "git_sha": "abc"},
            "packages": {"vbench": "0.1.5"},
            "generation": {"devices": ["cuda:0"], "weights": ["transformer=Skywork/x@123"]},
            "scoring": {
                "vbench": ["0.1.5"],
                "code": {"subject_consistency": "vbench==0.1.5"},
                "preprocessing": "p",
                "fixtures": tiny,
                "weights": {},
            },
        },
        "videos": videos,
    }
    path = run_dir / "results.json"
    path.write_text(json.dumps(results, indent=1))
    return path


def rescore_videos(results: Path, shift: dict[str, float] | None = None, *, seed: int = 0, noise: float = 0.02) -> Path:
    """Give every video of ``results`` its own score of each dimension, as a real run has: the dimension's value
    plus a per-item effect (the same in every run with this ``seed``), per-video noise (``seed`` and the run's
    fingerprint) and ``shift`` (fractions); imaging_quality per video on VBench's 0-100 scale."""
    data = json.loads(results.read_text())
    items = np.random.default_rng(seed)
    effect = {v["item_id"]: items.normal(0.0, 0.05) for v in data["videos"]}
    rng = np.random.default_rng([seed, int(data["fingerprint"], 16)])
    for video in data["videos"]:
        for dim, value in video["scores"].items():
            value += effect[video["item_id"]] + rng.normal(0.0, noise) + (shift or {}).get(dim, 0.0)
            video["scores"][dim] = 100.0 * value if dim == "imaging_quality" else value
    results.write_text(json.dumps(data, indent=1))
    return results
