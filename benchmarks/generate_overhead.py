"""Harness overhead of the generate stage: ``eval.run`` on N smoke units with the tiny generator, against a
bare loop that calls the same diffusers pipeline and writes the same mp4s. Both run in this process,
alternating, after one warm-up each; prints the median wall times and their ratio (target <= 1.05).

    .venv/bin/python benchmarks/generate_overhead.py [--samples 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def harness(samples: int, root: Path) -> float:
    from harness import run_inprocess

    start = time.perf_counter()
    run_inprocess("+suite=smoke", f"suite.samples={samples}", f"run.root={root}")
    return time.perf_counter() - start


def bare(samples: int, out: Path) -> float:
    import numpy as np
    import torch
    from diffusers import HunyuanSkyreelsImageToVideoPipeline, HunyuanVideoTransformer3DModel
    from harness import compose

    from eval.plan import unit_seed
    from eval.suites import load_suite
    from skyreels.recipe import DEFAULT_NEGATIVE_PROMPT, PROMPT_TEMPLATE
    from skyreels.tiny import ensure_tiny_checkpoint
    from videogen.image import load_conditioning_image
    from videogen.mp4 import write_mp4

    start = time.perf_counter()
    root = ensure_tiny_checkpoint()
    suite = load_suite("smoke", samples=samples)
    transformer = HunyuanVideoTransformer3DModel.from_pretrained(root / "SkyReels-V1-Hunyuan-I2V")
    pipe = HunyuanSkyreelsImageToVideoPipeline.from_pretrained(root / "HunyuanVideo", transformer=transformer)
    pipe.vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    g = compose("+suite=smoke").generator  # the same settings the harness runs with
    h, w = g.height, g.width
    for item in suite.items:
        for index in range(item.samples):
            seed = unit_seed(0, item.id, index)
            video = pipe(
                image=load_conditioning_image(item.image, w, h),
                prompt="FPS-24, " + item.prompt,
                negative_prompt=DEFAULT_NEGATIVE_PROMPT,
                height=h,
                width=w,
                num_frames=g.num_frames,
                num_inference_steps=g.num_inference_steps,
                true_cfg_scale=6.0,
                guidance_scale=1.0,
                generator=torch.Generator("cpu").manual_seed(seed),
                output_type="np",
                prompt_template=PROMPT_TEMPLATE,
            ).frames[0]
            frames = (np.clip(video, 0, 1) * 255).round().astype(np.uint8)
            write_mp4(frames, out / f"{item.id}-{index}.mp4", fps=24)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=8, help="videos per smoke prompt (3 prompts)")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)  # steadier timings on a shared 2-core machine
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        harness(1, tmp / "warm-h")
        bare(1, tmp / "warm-b")
        h, b = [], []
        for r in range(args.repeats):
            h.append(harness(args.samples, tmp / f"h{r}"))
            b.append(bare(args.samples, tmp / f"b{r}"))
    n = 3 * args.samples
    hm, bm = statistics.median(h), statistics.median(b)
    print(f"units: {n}  harness: {hm:.2f} s ({hm / n:.3f} s/video)  bare loop: {bm:.2f} s ({bm / n:.3f} s/video)")
    print(f"ratio harness/bare: {hm / bm:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
