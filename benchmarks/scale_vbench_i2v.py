"""A run of VBench-I2V's size (5590 videos, 512 shards) from stand-in videos, and how long each stage takes on it.

The suite is the real ``vbench2_i2v_full_info.json`` (1118 items over 355 images, 5 samples each; default
``../shared/vbench/``) with stand-in images in the layout the real data uses (``<data>/crop/16-9/<image_name>``,
small drawn JPEGs). The videos are hard links of a few small real mp4s (moving content, 24 fps) in VBench's
naming ``{prompt}-{index}.mp4``, imported with ``generator=external`` and scored on the tiny fixtures: the
distinct files are scored once, since records are keyed by sha256. The run is built once and cached
(``--cache``); then every figure is measured on it, each command in a fresh process as a user would run it:

- ``eval.status``; planning (load the suite, the integrity gate, the plan, checked against ``plan.json``);
  a no-op rerun of the whole command (every stage finds its work done; aggregate and report run again);
  ``run.stages=[aggregate]``; ``python -m eval.report`` with the previews in place;
- the drill-down page's first paint (``first-contentful-paint``) and load in headless Chromium.

    nice -n 10 .venv/bin/python benchmarks/scale_vbench_i2v.py [--cache DIR] [--items N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

FULL_INFO = REPO.parent / "shared" / "vbench" / "vbench2_i2v_full_info.json"
SOURCES, FRAMES, FPS, HEIGHT, WIDTH, SAMPLES, SHARDS = 4, 16, 24, 144, 256, 5, 512


def stand_in_videos(folder: Path) -> list[Path]:
    """``SOURCES`` small mp4s, each a different colour of square moving over a gradient."""
    import numpy as np

    from videogen.mp4 import write_mp4

    paths = []
    for n in range(SOURCES):
        path = folder / f"source-{n}.mp4"
        if not path.is_file():
            y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
            frames = np.empty((FRAMES, HEIGHT, WIDTH, 3), np.uint8)
            for t in range(FRAMES):
                frame = np.stack([x * 255 // WIDTH, y * 255 // HEIGHT, 0 * x + 40 * n], -1)
                left, top = 10 + 9 * t, 30 + 3 * n * t
                frame[top : top + 40, left : left + 40] = (60 * n, 200, 255 - 60 * n)
                frames[t] = frame
            write_mp4(frames, path, fps=FPS)
        paths.append(path)
    return paths


def build_inputs(cache: Path, full_info: Path, n_items: int | None) -> tuple[Path, Path]:
    """The suite data folder (JSON + stand-in crops) and the videos folder (hard links), made once."""
    from PIL import Image

    data, videos = cache / "data", cache / "videos"
    entries = json.loads(full_info.read_text())[:n_items]
    crops = data / "crop" / "16-9"
    crops.mkdir(parents=True, exist_ok=True)
    videos.mkdir(parents=True, exist_ok=True)
    (data / full_info.name).write_text(json.dumps(entries))
    for entry in entries:
        image = crops / entry["image_name"]
        if not image.is_file():
            colour = tuple(hashlib.sha256(entry["image_name"].encode()).digest()[:3])
            Image.new("RGB", (WIDTH, HEIGHT), colour).save(image, "JPEG")
    sources = stand_in_videos(cache)
    for entry in entries:
        for index in range(SAMPLES):
            link = videos / f"{entry['prompt_en']}-{index}.mp4"
            if not link.exists():
                pick = int(hashlib.sha256(link.name.encode()).hexdigest(), 16) % SOURCES
                os.link(sources[pick], link)
    return data, videos


def run_args(cache: Path, data: Path, videos: Path, dimensions: str) -> list[str]:
    return [
        "+suite=vbench_i2v",
        f"suite.data_dir={data}",
        f"suite.samples={SAMPLES}",
        "generator=external",
        f"generator.videos={videos}",
        f"generator.expect_fps={FPS}",
        "scoring=tiny",
        f"scoring.dimensions=[{dimensions}]",
        f"run.shards={SHARDS}",
        f"run.dir={cache / 'run'}",
        "run.progress=false",
    ]


def timed(*argv: str) -> tuple[float, str]:
    """Wall seconds and output of ``python ARGV`` in a fresh process; exits on failure."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"python {' '.join(argv)} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds, done.stdout


def browser_figures(page: Path) -> dict:
    """First paint, load, rows on screen, and the times of a sort, a filter and a page turn, in headless Chromium."""
    import tempfile

    from browser import chromium, first_paint_ms
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as profile:
        driver = chromium(Path(profile))
        try:
            driver.get(page.as_uri())
            figures = {
                "first_paint_ms": first_paint_ms(driver),
                "load_ms": driver.execute_script(
                    "var n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd;"
                ),
                "rows": driver.execute_script("return document.getElementById('videos').allRows.length;"),
                "rows_shown": len(driver.find_elements(By.CSS_SELECTOR, "#videos tbody tr")),
            }
            for name, action in {
                "next_page_ms": "document.querySelector('.pager .next').click();",
                "sort_ms": "document.querySelectorAll('#videos thead th')[7].click();",
                "filter_ms": "var f = document.querySelector('.pager input.filter'); f.value = 'bubbles';"
                " f.dispatchEvent(new Event('input'));",
            }.items():
                figures[name] = driver.execute_script(
                    f"var t = performance.now(); {action} document.body.offsetHeight; return performance.now() - t;"
                )
            figures["label"] = driver.find_element(By.CSS_SELECTOR, ".pager .page-label").text
        finally:
            driver.quit()
    return figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cache", type=Path, default=None, help="default: $SKYREELS_CACHE/benchmarks/scale_vbench_i2v")
    p.add_argument("--full-info", type=Path, default=FULL_INFO, help="vbench2_i2v_full_info.json")
    p.add_argument("--items", type=int, default=None, help="only the first N items (default: all 1118)")
    p.add_argument(
        "--dimensions",
        default="temporal_flickering,background_consistency",
        help="scored (default: two cheap ones; VBench's compute on the few distinct files is not what is measured)",
    )
    args = p.parse_args()
    from videogen.cache import cache_dir

    cache = (args.cache or cache_dir() / "benchmarks" / "scale_vbench_i2v").resolve()
    data, videos = build_inputs(cache, args.full_info, args.items)
    run, run_dir = run_args(cache, data, videos, args.dimensions), cache / "run"
    if not (run_dir / "results.json").is_file():
        seconds, _ = timed("-m", "eval.run", *run)
        print(f"built the run (import, score, aggregate, report; once, then cached): {seconds:.1f} s")
    plan = json.loads((run_dir / "plan.json").read_text())
    scores = sum(1 for f in (run_dir / "scores").glob("*/*.jsonl") for _ in f.open())
    dims = sorted(p.name for p in (run_dir / "scores").iterdir())
    print(
        f"run: {run_dir}: {len(plan['units'])} videos, {len(plan['suite']['items'])} items, {SHARDS} shards; "
        f"{SOURCES} distinct video files; {scores} score lines over {len(dims)} dimensions "
        f"(one per distinct file and dimension); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    figures = {
        "eval.status": timed("-m", "eval.status", str(run_dir)),
        "planning (run.stages=[])": timed("-m", "eval.run", *run, "run.stages=[]"),
        "no-op rerun (generate, score)": timed("-m", "eval.run", *run, "run.stages=[generate,score]"),
        "no-op rerun (every stage)": timed("-m", "eval.run", *run),
        "aggregate": timed("-m", "eval.run", *run, "run.stages=[aggregate]"),
        "report (previews in place)": timed("-m", "eval.report", str(run_dir)),
    }
    for name, (seconds, _) in figures.items():
        print(f"{name:32} {seconds:7.1f} s")
    page = next((run_dir / "report").glob("videos-*.html"))
    shown = browser_figures(page)
    print(
        f"drill-down page ({page.stat().st_size / 2**20:.1f} MiB, {shown['rows']} rows, {shown['rows_shown']} "
        f"displayed) in headless Chromium: first paint {shown['first_paint_ms']:.0f} ms, load {shown['load_ms']:.0f} "
        f"ms; sort {shown['sort_ms']:.0f} ms, filter {shown['filter_ms']:.0f} ms, next page "
        f"{shown['next_page_ms']:.0f} ms ({shown['label']})"
    )
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
