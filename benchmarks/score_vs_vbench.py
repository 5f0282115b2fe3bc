"""The harness's score stage against one official ``VBenchI2V.evaluate`` call, on the same videos and weights.

Both run in this process on the smoke suite's videos with the random-weight fixtures, for the I2V
dimensions that can run here (camera_motion needs VBench's source checkout). Prints both wall times,
their ratio, and whether every per-video value is equal. This is the baseline for making scoring faster.

    .venv/bin/python benchmarks/score_vs_vbench.py [--samples 5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

DIMENSIONS = ["i2v_subject", "i2v_background", "subject_consistency", "background_consistency",
              "motion_smoothness", "dynamic_degree", "aesthetic_quality", "imaging_quality", "temporal_flickering"]


def official(run_dir: Path, work: Path, dims: list[str]) -> tuple[float, dict]:
    import torch
    from vbench2_beta_i2v import VBenchI2V

    from eval.manifest import done_records
    from eval.plan import load_plan
    from eval.scoring.vbench_call import _dreamsim_on, _vbench_cache_dir, _working_dir
    from eval.scoring.weights import link_dreamsim_models, torch_hub_dir_kept

    plan = load_plan(run_dir)
    done = done_records(run_dir)
    videos = work / "videos"
    videos.mkdir(parents=True)
    crops = work / "vbench2_beta_i2v" / "data" / "crop" / "16-9"
    crops.mkdir(parents=True)
    info = []
    for item in plan.suite.items:
        (crops / Path(item.image).name).symlink_to(item.image)
        info.append({"prompt_en": item.prompt, "dimension": dims, "image_name": Path(item.image).name})
    for unit in plan.units:
        (videos / f"{plan.items[unit.item_id].prompt}-{unit.index}.mp4").symlink_to(run_dir / done[unit.key].video)
    (work / "full_info.json").write_text(json.dumps(info))
    link_dreamsim_models(work)
    start = time.perf_counter()
    with _working_dir(work), torch_hub_dir_kept(), _vbench_cache_dir(), _dreamsim_on("cpu"):
        bench = VBenchI2V(torch.device("cpu"), str(work / "full_info.json"), str(work / "out"))
        os.makedirs(work / "out", exist_ok=True)
        bench.evaluate(str(videos), "bench", dimension_list=dims, local=True, resolution="16-9")
    seconds = time.perf_counter() - start
    return seconds, json.loads((work / "out" / "bench_eval_results.json").read_text())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=5, help="videos per smoke prompt (3 prompts; VBench reads <= 5)")
    args = p.parse_args()
    from harness import run_inprocess

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_dir = run_inprocess("+suite=smoke", f"suite.samples={args.samples}", f"run.root={tmp}",
                                "run.stages=[generate]")
        dims = f"scoring.dimensions=[{','.join(DIMENSIONS)}]"
        from harness import compose

        from eval.scoring.setup import prepare_scoring

        prepare_scoring(compose("+suite=smoke").scoring, DIMENSIONS, {})  # builds the fixtures outside the timing
        start = time.perf_counter()
        run_inprocess("+suite=smoke", f"suite.samples={args.samples}", f"run.dir={run_dir}",
                      "run.stages=[score,aggregate]", dims)
        harness_s = time.perf_counter() - start
        official_s, results = official(run_dir, tmp / "official", DIMENSIONS)

        from eval.plan import load_plan
        from eval.scoring.records import read_scores

        plan = load_plan(run_dir)
        names = {u.key: f"{plan.items[u.item_id].prompt}-{u.index}.mp4" for u in plan.units}
        ours = {(r.dimension, names[r.key]): r.value for r in read_scores(run_dir) if r.status == "ok"}
        theirs = {(dim, Path(v["video_path"]).name): float(v["video_results"])
                  for dim, (_, per_video, *_) in results.items() for v in per_video}
        equal = ours == theirs
    n = len(theirs)
    print(f"videos: {3 * args.samples}  dimensions: {len(DIMENSIONS)}  per-video values: {n}")
    print(f"harness score stage: {harness_s:.1f} s   official VBenchI2V.evaluate: {official_s:.1f} s")
    print(f"ratio harness/official: {harness_s / official_s:.3f}   per-video values equal: {equal}")
    if not equal:
        diff = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
        print(f"differing: {diff[:10]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
