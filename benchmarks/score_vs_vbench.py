"""The harness's score stage against one official ``VBenchI2V.evaluate`` call, on the same videos and weights.

Both run in this process on the smoke suite's videos with the random-weight fixtures, for the I2V
dimensions that can run here (camera_motion where VBench's source tree and co-tracker are configured:
``SKYREELS_VBENCH_SRC``, ``SKYREELS_COTRACKER_SRC``, see eval/scoring/code.py). Prints both wall times,
their ratio, and whether every per-video value is equal. This is the baseline for making scoring faster.

    .venv/bin/python benchmarks/score_vs_vbench.py [--samples 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

QUALITY = [
    "i2v_subject",
    "i2v_background",
    "subject_consistency",
    "background_consistency",
    "motion_smoothness",
    "dynamic_degree",
    "aesthetic_quality",
    "imaging_quality",
    "temporal_flickering",
]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=5, help="videos per smoke prompt (3 prompts; VBench reads <= 5)")
    args = p.parse_args()
    from harness import compose, run_inprocess
    from vbench_official import official, per_video

    from eval.scoring.setup import prepare_scoring, provide_code, scoring_roots
    from eval.scoring.weights import code_problems

    scoring = compose("+suite=smoke").scoring
    provide_code(scoring)
    dimensions = QUALITY + ([] if code_problems(["camera_motion"], roots=scoring_roots(scoring)) else ["camera_motion"])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_dir = run_inprocess(
            "+suite=smoke", f"suite.samples={args.samples}", f"run.root={tmp}", "run.stages=[generate]"
        )
        dims = f"scoring.dimensions=[{','.join(dimensions)}]"
        prepare_scoring(scoring, dimensions)  # builds the fixtures outside the timing
        start = time.perf_counter()
        run_inprocess(
            "+suite=smoke", f"suite.samples={args.samples}", f"run.dir={run_dir}", "run.stages=[score,aggregate]", dims
        )
        harness_s = time.perf_counter() - start
        start = time.perf_counter()
        results = official(run_dir, tmp / "official", dimensions)
        official_s = time.perf_counter() - start
        ours, theirs = per_video(run_dir, results)
        equal = ours == theirs
    n = len(theirs)
    print(f"videos: {3 * args.samples}  dimensions: {len(dimensions)} ({', '.join(dimensions)})  per-video values: {n}")
    print(f"harness score stage: {harness_s:.1f} s   official VBenchI2V.evaluate: {official_s:.1f} s")
    print(f"ratio harness/official: {harness_s / official_s:.3f}   per-video values equal: {equal}")
    if not equal:
        diff = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
        print(f"differing: {diff[:10]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
