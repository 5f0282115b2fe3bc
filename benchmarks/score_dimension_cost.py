"""Seconds and peak RSS of the score stage per dimension, on one video of the real size (544x960, 97 frames, 24 fps).

The video is a camera pan over a drawn landscape with a ball crossing it (moving content, so the optical-flow
dimensions see motion), written once through ``videogen.mp4.write_mp4`` and cached with its first frame as the
I2V image. It is imported into two one-video runs (``generator=external``: an I2V suite whose prompt has a camera
phrase, and a T2V one), and each dimension is scored by ``python -m eval.run run.stages=[score]
scoring.dimensions=[<dim>]`` in a fresh process after its stored scores are removed: the seconds are that
process's wall time (imports, model loading and the one video), the peak RSS its own ``ru_maxrss`` (``os.wait4``).
The scoring fixtures (random weights, ``scoring=tiny``) are built before any timing. T2V temporal_flickering
includes VBench's static filter (RAFT), which chooses its videos: where it judges the video moving, the row is the
filter's cost alone (nothing is scored, as in VBench) and says so.

    nice -n 10 .venv/bin/python benchmarks/score_dimension_cost.py [--dimensions dynamic_degree,...] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from eval.benchmarks import BENCHMARKS  # noqa: E402 (after the path)

HEIGHT, WIDTH, FRAMES, FPS = 544, 960, 97, 24
PAN = 6  # pixels per frame
PROMPT = "a red ball rolls across a green field under a blue sky, camera pans right"
I2V = list(BENCHMARKS["vbench_i2v"].defaults)
T2V = ["temporal_flickering", "temporal_style", "overall_consistency", "human_action"]


def draw_frames():
    """(FRAMES, HEIGHT, WIDTH, 3) uint8: a window sliding over a wide landscape, a ball moving against it."""
    import numpy as np

    rng = np.random.default_rng(0)
    wide = WIDTH + PAN * FRAMES
    y, x = np.mgrid[0:HEIGHT, 0:wide]
    horizon = HEIGHT * 0.55 + 40 * np.sin(x / 97.0) + 15 * np.sin(x / 23.0)
    sky = np.stack([60 + 80 * y / HEIGHT, 120 + 60 * y / HEIGHT, 230 - 40 * y / HEIGHT], -1)
    grass = np.stack([30 + 0 * y, 110 + 50 * np.sin(x / 11.0) * np.cos(y / 7.0), 40 + 0 * y], -1)
    land = np.where((y > horizon)[..., None], grass, sky) + rng.normal(0, 8, (HEIGHT, wide, 1))
    frames = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    for t in range(FRAMES):
        frame = land[:, PAN * t : PAN * t + WIDTH].copy()
        cx, cy = 100 + 8 * t, HEIGHT * 0.75 - 60 * abs(np.sin(t / 8.0))
        frame[(xx - cx) ** 2 + (yy - cy) ** 2 < 45**2] = (210, 30, 30)
        frames[t] = np.clip(frame, 0, 255)
    return frames


def ensure_inputs(cache: Path) -> dict[str, Path]:
    """The cached video (in VBench naming for each task's suite), the image, and one suite file per task."""
    from PIL import Image

    from videogen.mp4 import write_mp4

    video = cache / f"pan-{WIDTH}x{HEIGHT}x{FRAMES}.mp4"
    image = cache / "image.png"
    if not video.is_file() or not image.is_file():
        frames = draw_frames()
        Image.fromarray(frames[0]).save(image)
        write_mp4(frames, video, fps=FPS)
    videos = cache / "videos"
    videos.mkdir(exist_ok=True)
    named = videos / f"{PROMPT}-0.mp4"
    if not named.exists():
        os.link(video, named)
    suites = {}
    for task, row in {"i2v": {"prompt": PROMPT, "image": image.name}, "t2v": {"prompt": PROMPT}}.items():
        suites[task] = cache / f"{task}.jsonl"
        suites[task].write_text(json.dumps(row) + "\n")
    return {"videos": videos, **suites}


def overrides(task: str, inputs: dict[str, Path], cache: Path) -> list[str]:
    return [
        "+suite=custom",
        f"suite.path={inputs[task]}",
        "suite.samples=1",
        "generator=external",
        f"generator.videos={inputs['videos']}",
        f"generator.expect_fps={FPS}",
        f"run.dir={cache / 'runs' / task}",
        "run.progress=false",
    ]


def measure(args: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (user + system), peak RSS in bytes and output of ``python -m eval.run ARGS`` in a
    fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "eval.run", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"eval.run {' '.join(args)} exited {proc.returncode}:\n{out[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def _lines(run_dir: Path, dimension: str) -> list[dict]:
    return [json.loads(line) for f in (run_dir / "scores" / dimension).glob("*.jsonl") for line in f.open()]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, default=None, help="default: $SKYREELS_CACHE/benchmarks/dimension_cost")
    p.add_argument("--dimensions", default=None, help="comma-separated; default: every one listed below that runs here")
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = p.parse_args()
    from harness import compose

    from eval.scoring.setup import prepare_scoring, provide_code, scoring_roots
    from eval.scoring.weights import code_problems
    from videogen.cache import cache_dir

    cache = args.cache or cache_dir() / "benchmarks" / "dimension_cost"
    cache.mkdir(parents=True, exist_ok=True)
    inputs = ensure_inputs(cache)
    scoring = compose("+suite=smoke").scoring
    provide_code(scoring)
    wanted = args.dimensions.split(",") if args.dimensions else None
    jobs = [(task, d) for task, dims in (("i2v", I2V), ("t2v", T2V)) for d in dims if wanted is None or d in wanted]
    skipped = [d for _, d in jobs if code_problems([d], roots=scoring_roots(scoring))]
    jobs = [(task, d) for task, d in jobs if d not in skipped]
    for task in sorted({t for t, _ in jobs}):  # import the video once per task
        measure([*overrides(task, inputs, cache), "run.stages=[generate]"])
    flagged = {"static_filter"} if ("t2v", "temporal_flickering") in jobs else set()
    prepare_scoring(scoring, sorted({d for _, d in jobs} | flagged))  # fixtures built outside the timing
    print(
        f"video: {WIDTH}x{HEIGHT}, {FRAMES} frames, {FPS} fps ({cache})  CPU cores: {os.cpu_count()}  "
        f"load average: {os.getloadavg()[0]:.1f} (wall seconds grow with the machine's other load, CPU seconds less)"
    )
    if skipped:
        print(f"not measured (VBench's code is missing here): {', '.join(skipped)}")
    rows = []
    print(f"{'task':4} {'dimension':26} {'wall s':>8} {'CPU s':>8} {'peak RSS GiB':>13} {'load':>5}")
    for task, dim in jobs:
        run_dir = cache / "runs" / task
        for old in (run_dir / "scores").glob("*"):
            if old.name in (dim, "static_filter"):
                shutil.rmtree(old)
        score = [*overrides(task, inputs, cache), "run.stages=[score]", f"scoring.dimensions=[{dim}]"]
        seconds, cpu, rss, _ = measure(score)
        scored, note = _lines(run_dir, dim), ""
        if dim == "temporal_flickering" and task == "t2v" and not scored:
            flags = [r["value"] for r in _lines(run_dir, "static_filter") if r["status"] == "ok"]
            if flags != [0.0]:
                raise SystemExit(f"t2v {dim}: no score, and the static filter's flags are {flags}, not one 0.0")
            note = "the static filter judged the video moving: RAFT only, nothing scored (VBench's protocol)"
        elif [r["status"] for r in scored] != ["ok"]:
            raise SystemExit(f"{task} {dim}: expected one ok score line, got {scored}")
        load = os.getloadavg()[0]
        rows.append(dict(task=task, dimension=dim, wall_s=seconds, cpu_s=cpu, peak_rss_bytes=rss, load=load, note=note))
        print(f"{task:4} {dim:26} {seconds:8.1f} {cpu:8.1f} {rss / 2**30:13.2f} {load:5.1f} {note}", flush=True)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
