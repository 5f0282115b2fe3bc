"""VBench's own evaluation of a run's videos, for comparing with the harness's per-video scores: one
``VBenchI2V.evaluate`` call (as VBench's README runs it) on the run's files under VBench's names, with the
weights the harness used (``$VBENCH_CACHE_DIR``, ``$TORCH_HOME``, as ``prepare_scoring`` set them)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def official(run_dir: Path, work: Path, dims: list[str], device: str = "cpu") -> dict:
    """``{dimension: [aggregate, per-video list, ...]}`` from ``VBenchI2V.evaluate`` on the run's videos; each item
    is asked for the dimensions it lists (all of ``dims`` if it lists none), as VBench's full-info JSON does."""
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
        asked = [d for d in dims if not item.dimensions or d in item.dimensions]
        info.append({"prompt_en": item.prompt, "dimension": asked, "image_name": Path(item.image).name})
    for unit in (u for u in plan.units if u.key in done):
        (videos / f"{plan.items[unit.item_id].prompt}-{unit.index}.mp4").symlink_to(run_dir / done[unit.key].video)
    (work / "full_info.json").write_text(json.dumps(info))
    link_dreamsim_models(work)
    # camera_motion first: i2v_background's DreamSim moves torch.hub's folder to ./models for the rest of the
    # process, where VBench's torch.hub.load("facebookresearch/co-tracker", ...) would then look (and download)
    order = sorted(dims, key=lambda d: d != "camera_motion")
    import vbench2_beta_i2v.i2v_background as background

    with _working_dir(work), torch_hub_dir_kept(), _vbench_cache_dir(), _dreamsim_on(device, background):
        bench = VBenchI2V(torch.device(device), str(work / "full_info.json"), str(work / "out"))
        os.makedirs(work / "out", exist_ok=True)
        bench.evaluate(str(videos), "bench", dimension_list=order, local=True, resolution="16-9")
    return json.loads((work / "out" / "bench_eval_results.json").read_text())


def per_video(run_dir: Path, results: dict) -> tuple[dict, dict]:
    """(the harness's, VBench's) ``{(dimension, file name): value}`` for the same videos."""
    from eval.plan import load_plan
    from eval.scoring.records import read_scores

    plan = load_plan(run_dir)
    names = {u.key: f"{plan.items[u.item_id].prompt}-{u.index}.mp4" for u in plan.units}
    ours = {
        (r.dimension, names[r.key]): r.value
        for r in read_scores(run_dir)
        if r.status == "ok" and r.dimension in results
    }
    theirs = {
        (dim, Path(v["video_path"]).name): float(v["video_results"])  # per-video list last, as VBench returns
        for dim, returned in results.items()
        for v in returned[-1]
    }
    return ours, theirs
