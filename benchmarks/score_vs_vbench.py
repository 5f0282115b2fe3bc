"""The harness's score stage (the video-major scorer) against VBench's own entry points, on the same videos,
weights and code, every per-video value compared bitwise (``float.hex``; dynamic_degree's booleans and the
static filter's choice included).

* I2V: the smoke suite's 3 prompts and images, ``--videos`` videos of ``--frames`` frames at 24 fps and
  ``--height`` x ``--width`` (the image panned, or held still, so that the optical-flow dimensions take both
  their moving and their static paths), scored on the 9 I2V dimensions that run here: one official
  ``VBenchI2V.evaluate`` call against ``python -m eval.run ... run.stages=[score]``.
* T2V static filter: one VBench temporal_flickering prompt with ``--static-videos`` videos (a third held
  still): VBench's ``static_filter(args)`` (``vbench/cli/static_filter.py:120``) against the score stage's
  static-filter protocol (flags, then temporal_flickering on the kept videos); the kept files must match.
* Each side runs in a fresh subprocess per repeat (imports and model loading included), alternating which
  goes first; the ratio is of the summed wall times.
* Peak RSS (``ru_maxrss``) of one video-major score worker on ``--rss`` videos (the T2V prompt's, on
  ``T2V_RSS``), each in a fresh subprocess.

Videos are written once and kept under ``$SKYREELS_CACHE/score-bench/``. Random-weight fixtures, as the
tests use. The defaults are the issue's sizes (97 frames, 24 fps, 256x448, 6 I2V videos, a 25-video prompt,
3 repeats); on a slow or shared CPU pass smaller ones and say so.

    .venv/bin/python benchmarks/score_vs_vbench.py [--videos 6 --frames 97 --height 256 --width 448]
        [--static-videos 25] [--repeats 3] [--rss 2,8] [--skip i2v,static,rss] [--device cpu]
    # the same comparison at full size on a GPU (target harness/official <= 0.33)
    .venv/bin/python benchmarks/score_vs_vbench.py --device cuda --height 544 --width 960
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from eval.benchmarks import BENCHMARKS  # noqa: E402 (after the path)

# VBench-I2V's dimensions that run without VBench's source tree (camera_motion needs it)
QUALITY = [d for d in BENCHMARKS["vbench_i2v"].defaults if d != "camera_motion"]
T2V_RSS = ["subject_consistency", "background_consistency", "dynamic_degree"]  # DINO, CLIP, RAFT; both decoders
STATIC_PROMPT = "In a still frame, a stop sign"  # a temporal_flickering prompt of VBench_full_info.json
FPS = 24


def _frames(image, frames: int, height: int, width: int, moving: bool, index: int):
    """The image panned 5 px a frame (or held still), from a start shifted by ``index``: every video is distinct,
    as the score stage scores byte-identical videos once."""
    import numpy as np
    from PIL import Image

    base = np.asarray(Image.open(image).convert("RGB").resize((width, height), Image.BICUBIC))
    return np.stack([np.roll(base, 7 * index + (5 * i if moving else 0), axis=1) for i in range(frames)])


def _write_videos(folder: Path, jobs: list[tuple[str, int, Path, bool]], args) -> None:
    from videogen.mp4 import write_mp4

    for prompt, index, image, moving in jobs:
        path = folder / f"{prompt}-{index}.mp4"
        if not path.exists():
            write_mp4(_frames(image, args.frames, args.height, args.width, moving, index), path, fps=FPS)


def _size(args) -> str:
    return f"{args.frames}x{args.height}x{args.width}"


def bench_dir(size: str) -> Path:
    """The cached videos and runs of one ``FRAMESxHEIGHTxWIDTH`` size."""
    from videogen.cache import cache_dir

    return cache_dir() / "score-bench" / f"{size}-distinct"  # videos of an earlier version were not distinct


def i2v_overrides(args, videos: Path) -> list[str]:
    return [
        "+suite=smoke",
        f"suite.samples={args.videos // 3}",
        "generator=external",
        f"generator.videos={videos}",
        f"generator.expect_fps={FPS}",
        f"scoring.device={args.device}",
    ]


def t2v_overrides(args, root: Path) -> list[str]:
    return [
        "+suite=custom",
        f"suite.path={root / 'suite.jsonl'}",
        "generator=external",
        f"generator.videos={root / 'videos'}",
        f"generator.expect_fps={FPS}",
        f"scoring.device={args.device}",
    ]


def prepare(args) -> tuple[Path, Path, Path, Path]:
    """The cached I2V and T2V runs (videos imported, nothing scored) and their inputs' folders."""
    from harness import run_inprocess

    from eval.plan import load_plan

    base = bench_dir(_size(args))
    i2v_videos = base / "i2v-videos"
    i2v_videos.mkdir(parents=True, exist_ok=True)
    runs = base / "runs" / REPO.name  # a plan records the suite file's path, so one run root per checkout
    i2v = run_inprocess(*i2v_overrides(args, i2v_videos), f"run.root={runs}", "run.stages=[]")  # names the images
    plan = load_plan(i2v)
    jobs = [(it.prompt, i, Path(it.image), i % 2 == 0) for it in plan.suite.items for i in range(args.videos // 3)]
    _write_videos(i2v_videos, jobs, args)
    i2v = run_inprocess(*i2v_overrides(args, i2v_videos), f"run.root={runs}", "run.stages=[generate]")
    t2v_root = base / f"t2v-{args.static_videos}"
    (t2v_root / "videos").mkdir(parents=True, exist_ok=True)
    samples = max(args.static_videos, *(args.rss or [0]))
    (t2v_root / "suite.jsonl").write_text(
        json.dumps({"prompt": STATIC_PROMPT, "samples": samples}) + "\n"  # every dimension: T2V_RSS's too
    )
    image = plan.suite.items[0].image
    _write_videos(t2v_root / "videos", [(STATIC_PROMPT, i, Path(image), i % 3 != 0) for i in range(samples)], args)
    t2v = run_inprocess(*t2v_overrides(args, t2v_root), f"run.root={runs}", "run.stages=[generate]")
    for folder in (i2v_videos, t2v_root / "videos"):
        files = list(folder.glob("*.mp4"))
        if len({hashlib.sha256(f.read_bytes()).digest() for f in files}) != len(files):
            sys.exit(f"{folder}: some videos are byte-identical, and the score stage scores those once")
    return i2v, i2v_videos, t2v, t2v_root


def _fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    return path


def _copy(run_dir: Path, to: Path) -> Path:
    shutil.copytree(
        run_dir, _fresh(to), ignore=shutil.ignore_patterns("scores", "scoring-work", "results.json", ".lock")
    )
    return to


def _child(*argv: str) -> tuple[float, dict]:
    """Wall seconds of a fresh ``python this.py --child ...`` process, and the JSON it printed last."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"child {argv} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


# --- the children: each prints one JSON line last ---------------------------------------------------------


def child_official_i2v(run_dir: Path, work: Path, device: str) -> dict:
    from vbench_official import official

    return _hexes(official(run_dir, work, QUALITY, device))


def _hexes(results: dict) -> dict:
    return {
        f"{dim}|{Path(v['video_path']).name}": float(v["video_results"]).hex()
        for dim, returned in results.items()
        for v in returned[-1]
    }


def child_harness(run_dir: Path, overrides: list[str], dims: list[str]) -> dict:
    from harness import run_inprocess

    from eval.plan import load_plan
    from eval.scoring.records import read_scores

    run_inprocess(*overrides, f"run.dir={run_dir}", "run.stages=[score]", f"scoring.dimensions=[{','.join(dims)}]")
    plan = load_plan(run_dir)
    names = {u.key: f"{plan.items[u.item_id].prompt}-{u.index}.mp4" for u in plan.units}
    return {f"{r.dimension}|{names[r.key]}": r.value.hex() for r in read_scores(run_dir) if r.status == "ok"}


def child_official_static(run_dir: Path, work: Path, device: str) -> dict:
    """VBench's ``static_filter(args)`` as its CLI runs it (``vbench/cli/static_filter.py:120-162``)."""
    import torch
    import vbench.cli.static_filter as module
    from harness import compose

    from eval.manifest import done_records
    from eval.plan import load_plan
    from eval.scoring.setup import weights_roots

    vbench_dir, _ = weights_roots(compose("+suite=smoke").scoring)
    plan, done = load_plan(run_dir), done_records(run_dir)
    videos = work / "videos"
    videos.mkdir(parents=True)
    for unit in plan.units:
        (videos / f"{plan.items[unit.item_id].prompt}-{unit.index}.mp4").symlink_to(run_dir / done[unit.key].video)
    args = argparse.Namespace(
        model=str(vbench_dir / "raft_model/models/raft-things.pth"),
        videos_path=str(videos),
        result_path=str(work / "out"),
        store_name="filtered_static_video.json",
        small=False,
        mixed_precision=False,
        alternate_corr=False,
        filter_scope="temporal_flickering",
    )
    module.DEVICE = torch.device(device)
    module.static_filter(args)
    kept = json.loads((work / "out" / args.store_name).read_text())[STATIC_PROMPT]["static_path"]
    return {"kept": [Path(p).name for p in kept]}


def child_harness_static(run_dir: Path, overrides: list[str]) -> dict:
    child_harness(run_dir, overrides, ["temporal_flickering"])
    from eval.plan import load_plan
    from eval.scoring.records import read_scores
    from eval.scoring.static_filter import vbench_order

    plan = load_plan(run_dir)
    units = {u.key: u for u in plan.units}
    kept = sorted((units[r.key] for r in read_scores(run_dir, "temporal_flickering")), key=vbench_order)
    return {"kept": [f"{STATIC_PROMPT}-{u.index}.mp4" for u in kept]}


def child_rss(run_dir: Path, n: int) -> dict:
    """One video-major worker on the first ``n`` of the prompt's videos (chunk 0 of ``len // n`` chunks)."""
    from harness import compose

    from eval.plan import load_plan
    from eval.scoring.setup import prepare_scoring
    from eval.workers.score_videos import VideoMajorShard

    config, scorers = prepare_scoring(compose("+suite=smoke").scoring, T2V_RSS, FPS)
    chunks = len(load_plan(run_dir).units) // n
    result = VideoMajorShard(str(run_dir), T2V_RSS, 0, chunks, scorers, config)()
    assert result.scored == n * len(T2V_RSS) and not result.failed, result
    return {
        "videos": result.scored // len(T2V_RSS),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(argv: list[str]) -> None:
    kind, *rest = argv
    if kind == "official-i2v":
        out = child_official_i2v(Path(rest[0]), Path(rest[1]), rest[2])
    elif kind == "harness":
        out = child_harness(Path(rest[0]), json.loads(rest[1]), json.loads(rest[2]))
    elif kind == "official-static":
        out = child_official_static(Path(rest[0]), Path(rest[1]), rest[2])
    elif kind == "harness-static":
        out = child_harness_static(Path(rest[0]), json.loads(rest[1]))
    else:
        out = child_rss(Path(rest[0]), int(rest[1]))
    print(json.dumps(out))


# --- the comparison ---------------------------------------------------------------------------------------


def compare(label: str, pairs: list[tuple[str, callable]], repeats: int) -> tuple[dict, dict]:
    """Run each side ``repeats`` times, alternating which goes first; returns ({side: [seconds]}, {side: values})."""
    seconds, values = {side: [] for side, _ in pairs}, {}
    for r in range(repeats):
        for side, run in pairs if r % 2 == 0 else pairs[::-1]:
            s, out = run(r)
            seconds[side].append(s)
            if side in values and values[side] != out:
                sys.exit(f"{label}: {side} gave other values in repeat {r + 1}")
            values[side] = out
            print(f"{label} repeat {r + 1}: {side} {s:.1f} s", flush=True)
    return seconds, values


def report(label: str, seconds: dict, values: dict, target: float) -> bool:
    (ours, theirs) = ("harness", "official")
    ratio = sum(seconds[ours]) / sum(seconds[theirs])
    equal = values[ours] == values[theirs]
    n = len(values[theirs]) if "kept" not in values[theirs] else len(values[theirs]["kept"])
    print(
        f"{label}: harness {' '.join(f'{s:.1f}' for s in seconds[ours])} s, official "
        f"{' '.join(f'{s:.1f}' for s in seconds[theirs])} s; ratio harness/official {ratio:.3f} "
        f"(target <= {target}); {n} values compared, identical: {equal}"
    )
    if not equal:
        diff = sorted(
            k for k in set(values[ours]) | set(values[theirs]) if values[ours].get(k) != values[theirs].get(k)
        )
        for key in diff[:10]:
            print(f"{label}: differing {key}: harness {values[ours].get(key)}, official {values[theirs].get(key)}")
    return equal


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=6, help="I2V videos (a multiple of 3: the smoke suite's prompts)")
    p.add_argument("--frames", type=int, default=97)
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--width", type=int, default=448)
    p.add_argument("--static-videos", type=int, default=25, help="videos of the T2V temporal_flickering prompt")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rss", type=lambda s: [int(x) for x in s.split(",")], default=[2, 8])
    p.add_argument("--skip", default="", help="comma-separated parts to leave out: i2v, static, rss")
    p.add_argument("--device", default="cpu", help="cpu or cuda, for both sides")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = p.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    samples = max(args.static_videos, *args.rss)
    if any(samples // (samples // n) != n for n in args.rss):
        p.error(f"--rss {args.rss}: each must be the first chunk of the prompt's {samples} videos (25: 2 and 8)")
    import tempfile

    from harness import compose

    from eval.scoring.setup import prepare_scoring

    i2v, i2v_videos, t2v, t2v_root = prepare(args)
    prepare_scoring(compose("+suite=smoke").scoring, [*QUALITY, "static_filter"])  # fixtures, outside the timing
    work = args.work or Path(tempfile.mkdtemp(prefix="score-bench-"))
    n_i2v = len(list((i2v / "videos").glob("*.mp4")))
    print(f"videos: I2V {n_i2v}, T2V prompt {args.static_videos}; {_size(args)} at {FPS} fps; work {work}")
    ok = True
    if "static" not in skip:
        overrides = t2v_overrides(args, t2v_root)
        seconds, values = compare(
            "static filter",
            [
                (
                    "official",
                    lambda r: _child(
                        "official-static", str(t2v), str(_fresh(work / f"static-official-{r}")), args.device
                    ),
                ),
                (
                    "harness",
                    lambda r: _child(
                        "harness-static", str(_copy(t2v, work / f"static-harness-{r}")), json.dumps(overrides)
                    ),
                ),
            ],
            args.repeats,
        )
        print(f"static filter keeps: {values['official']['kept']}")
        ok &= report(f"T2V static filter ({args.static_videos} videos)", seconds, values, 0.33)
    if "rss" not in skip:
        peaks = {n: _child("rss", str(_copy(t2v, work / f"rss-{n}")), str(n))[1]["max_rss_mb"] for n in args.rss}
        lo, hi = peaks[min(peaks)], peaks[max(peaks)]
        print(
            "peak RSS of one score worker ("
            + ", ".join(f"{n} videos: {mb:.0f} MB" for n, mb in peaks.items())
            + f"): {max(peaks)} vs {min(peaks)} videos {hi / lo:.3f} (target <= 1.10)"
        )
    if "i2v" not in skip:
        overrides = i2v_overrides(args, i2v_videos)
        seconds, values = compare(
            "I2V",
            [
                (
                    "official",
                    lambda r: _child("official-i2v", str(i2v), str(_fresh(work / f"official-{r}")), args.device),
                ),
                (
                    "harness",
                    lambda r: _child(
                        "harness", str(_copy(i2v, work / f"harness-{r}")), json.dumps(overrides), json.dumps(QUALITY)
                    ),
                ),
            ],
            args.repeats,
        )
        ok &= report(f"I2V ({len(QUALITY)} dimensions)", seconds, values, 0.67)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
