"""Call VBench's own ``compute_<dimension>`` on a list of videos, with the few shims the wheel needs.

VBench reads videos through a full-info JSON (``prompt_en``, ``dimension``, ``video_list``, for the
T2V semantic dimensions ``auxiliary_info``, for VBench-I2V ``image_name``) and names videos
``{prompt}-{i}.mp4`` (camera_motion and human_action read their target from the file name). We build
that view in a scratch folder of symlinks and run the call inside it:

* VBench-I2V reads reference images from ``vbench2_beta_i2v/data/crop/<ratio>/<image_name>`` relative
  to the working directory: the scratch folder links each item's image there.
* ``i2v_background`` calls ``dreamsim(pretrained=True)`` with no device (so CUDA) and
  ``cache_dir="./models"``: we pass the scoring device, and ``./models`` links to the provisioned
  DreamSim folder. DreamSim also moves torch.hub's cache directory for the rest of the process: we
  put it back.
* ``init_submodules(local=True)`` so that weights come from ``$VBENCH_CACHE_DIR`` (checked by the
  provisioning preflight before any work), never from wget. VBench reads that variable once, when
  ``vbench.utils`` is first imported; we set its ``CACHE_DIR`` from the environment for each call.
* color leaves out of its results the videos it does not count, and divides by zero when it counts
  none: both mean ``UNCOUNTED`` for those videos.
* The T2V static filter (``static_filter``, see ``eval.scoring.static_filter``) is VBench's own
  ``StaticFilter(args, device).infer(path)`` with the CLI's default ``args``; its ``get_frames`` sends
  frames to the module's ``DEVICE = 'cuda'``, which is set to the scoring device for the call.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .dimensions import UNCOUNTED, DimensionAdapter, VideoScore, adapter
from .static_filter import STATIC_FILTER
from .weights import Roots, link_dreamsim_models, required_files, torch_hub_dir_kept


@dataclass(frozen=True)
class VideoInput:
    path: str  # the video file
    prompt: str  # the suite's (VBench) prompt, without the "FPS-24, " prefix
    index: int
    frames: int
    image: str | None = None  # I2V reference image
    auxiliary_info: dict | None = None  # the prompt's VBench_full_info.json auxiliary_info (T2V)


class VBenchCallError(RuntimeError):
    pass


@contextmanager
def _working_dir(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _vbench_cache_dir():
    import sys

    import vbench.utils  # noqa: F401  (the modules below read CACHE_DIR from here)
    import vbench2_beta_i2v.utils  # noqa: F401

    path = os.environ.get("VBENCH_CACHE_DIR") or os.path.expanduser("~/.cache/vbench")
    modules = [m for name, m in list(sys.modules.items())
               if name.split(".")[0] in ("vbench", "vbench2_beta_i2v") and hasattr(m, "CACHE_DIR")]
    saved = [(m, m.CACHE_DIR) for m in modules]
    for m in modules:
        m.CACHE_DIR = path
    try:
        yield
    finally:
        for m, value in saved:
            m.CACHE_DIR = value


@contextmanager
def _patched(owner, name: str, value):
    """``owner.name`` is ``value`` inside, and what it was afterwards."""
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _dreamsim_on(device):
    """VBench's i2v_background builds DreamSim without a device argument, which means CUDA."""
    import functools

    import vbench2_beta_i2v.i2v_background as module

    return _patched(module, "dreamsim", functools.partial(module.dreamsim, device=str(device)))


def build_view(workdir: Path, dimension: str, videos: list[VideoInput], ratio: str) -> Path:
    """Symlinks in VBench naming, the full-info JSON and (I2V) the crop folder; returns the JSON path."""
    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "videos").mkdir(parents=True)
    entries = []
    for video in videos:
        name = workdir / "videos" / f"{video.prompt}-{video.index}.mp4"
        name.symlink_to(Path(video.path).resolve())
        entry = {"prompt_en": video.prompt, "dimension": [dimension], "video_list": [str(name)]}
        if video.auxiliary_info:
            entry["auxiliary_info"] = video.auxiliary_info
        if video.image is not None:
            crop = workdir / "vbench2_beta_i2v" / "data" / "crop" / ratio / Path(video.image).name
            crop.parent.mkdir(parents=True, exist_ok=True)
            if not crop.exists():
                crop.symlink_to(Path(video.image).resolve())
            entry["image_name"] = crop.name
        entries.append(entry)
    info = workdir / "full_info.json"
    info.write_text(json.dumps(entries, ensure_ascii=False, indent=1))
    return info


def compute(dimension: str, videos: list[VideoInput], *, device, workdir: Path,
            ratio: str = "16-9") -> list[VideoScore]:
    """VBench's per-video results for ``videos`` (in order); raises if VBench fails or returns NaN."""
    import importlib

    if dimension == STATIC_FILTER:
        return static_flags(videos, device=device)
    dim = adapter(dimension)
    for video in videos:
        if dim.needs_auxiliary and dimension not in (video.auxiliary_info or {}):
            raise VBenchCallError(f"{video.path}: its prompt {video.prompt!r} has no auxiliary_info[{dimension!r}], "
                                  f"which VBench's {dimension} reads; score {dimension} only on prompts of "
                                  "VBench_full_info.json that list it (suite vbench_t2v)")
    workdir = Path(workdir).resolve()  # VBench is called from inside it: every path must be absolute
    info = build_view(workdir, dimension, videos, ratio)
    module = importlib.import_module(dim.module)  # imported before CACHE_DIR is set, so it is set there too
    utils = importlib.import_module(dim.module.split(".")[0] + ".utils")
    extra = {"resolution": ratio} if dim.module.startswith("vbench2_beta_i2v") else {}
    if dimension == "i2v_background":
        link_dreamsim_models(Path(workdir))
    with _working_dir(Path(workdir)), torch_hub_dir_kept(), _vbench_cache_dir():
        submodules = utils.init_submodules([dimension], local=True, **extra)[dimension]
        with _dreamsim_on(device) if dimension == "i2v_background" else _null():
            video_results = _video_results(dim, module, str(info), device, submodules)
    by_name = {Path(r["video_path"]).name: r for r in video_results}
    scores = []
    for video in videos:
        name = f"{video.prompt}-{video.index}.mp4"
        if name not in by_name and dim.omits_uncounted:
            scores.append(UNCOUNTED)
            continue
        if name not in by_name:
            raise VBenchCallError(f"VBench returned no {dimension} result for {name}")
        score = dim.per_video(by_name[name], video.frames)
        if not math.isfinite(score.value):
            raise VBenchCallError(f"VBench's {dimension} model returned {score.value} for {video.path}")
        scores.append(score)
    return scores


def static_flags(videos: list[VideoInput], *, device) -> list[VideoScore]:
    """VBench's static filter on each video: 1.0 static, 0.0 not. RAFT is loaded once, from the
    provisioned ``raft-things.pth``, with the CLI's defaults (not small, no mixed precision, no
    alternate correlation); the flag depends only on the file's frames, not on its name."""
    import argparse

    import vbench.cli.static_filter as module

    (raft,) = required_files([STATIC_FILTER])
    args = argparse.Namespace(model=str(raft.path(Roots.from_env())), small=False, mixed_precision=False,
                              alternate_corr=False)
    with _patched(module, "DEVICE", device):
        model = module.StaticFilter(args, device)
        return [VideoScore(1.0 if model.infer(video.path) else 0.0) for video in videos]


def _video_results(dim: DimensionAdapter, module, info: str, device, submodules) -> list[dict]:
    """``compute_<dimension>``'s per-video list; [] where VBench counted no video and so divided by zero."""
    try:
        return getattr(module, f"compute_{dim.name}")(info, device, submodules)[-1]
    except ZeroDivisionError as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        if dim.omits_uncounted and (where.filename, where.name) == (module.__file__, dim.name):
            return []
        raise


@contextmanager
def _null():
    yield
