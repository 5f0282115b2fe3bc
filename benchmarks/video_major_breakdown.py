"""Where a video-major score worker spends its time: seconds (wall and CPU) per dimension to build its models and
to score ``--videos`` of the I2V videos that ``benchmarks/score_vs_vbench.py`` wrote (run that first, with the
same size), each video decoded once beforehand; the I2V image is the smoke suite's sunset. Random-weight fixtures.

    .venv/bin/python benchmarks/video_major_breakdown.py [--size 97x144x256] [--videos 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from score_vs_vbench import QUALITY, bench_dir  # beside this file; it puts the repository on the path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", default="97x144x256", help="FRAMESxHEIGHTxWIDTH of score_vs_vbench.py's videos")
    p.add_argument("--videos", type=int, default=2)
    args = p.parse_args()
    from harness import compose

    from eval.scoring.setup import prepare_scoring
    from eval.suites.smoke import ensure_smoke_images

    folder = bench_dir(args.size) / "i2v-videos"
    videos = sorted(folder.glob("*.mp4"))[: args.videos]
    if len(videos) < args.videos:
        sys.exit(f"{folder}: run benchmarks/score_vs_vbench.py at this size first (it writes the videos)")
    image = ensure_smoke_images() / "sunset.png"
    config, _ = prepare_scoring(compose("+suite=smoke").scoring, QUALITY, 24)
    os.environ.update(config["env"])
    import tempfile

    import torch

    from eval.scoring.video_major import VideoMajorScorer, call_of, decode

    scorer = VideoMajorScorer(torch.device("cpu"), Path(tempfile.mkdtemp(prefix="breakdown-")))
    frames = int(args.size.split("x")[0])
    decoded = {str(v): decode(str(v), tuple(sorted({x for d in QUALITY for x in call_of(d).decoders}))) for v in videos}
    print(f"{len(videos)} videos of {args.size} ({folder}); torch threads {torch.get_num_threads()}")
    print(f"{'dimension':24} {'build s':>8} {'score wall s':>13} {'score CPU s':>12}")
    total = 0.0
    for dim in QUALITY:
        start = time.perf_counter()
        scorer.build(dim)
        built, start, cpu = time.perf_counter() - start, time.perf_counter(), time.process_time()
        for path in decoded:
            scorer.score(dim, path, str(image), frames, decoded)
        wall = time.perf_counter() - start
        total += built + wall
        print(f"{dim:24} {built:8.1f} {wall:13.1f} {time.process_time() - cpu:12.1f}", flush=True)
    print(f"{'total':24} {total:8.1f}")


if __name__ == "__main__":
    main()
