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
* scene's Tag2Text reads ``bert-base-uncased`` (tokenizer and weights) from the Hugging Face cache, and
  GRiT (object_class, multiple_objects, color, spatial_relationship) its tokenizer.
  With random fixtures the score stage sets ``$SKYREELS_VBENCH_HF_HOME`` (the fixtures' HF home, with a
  stand-in bert): for the call, transformers and huggingface_hub (which fix their cache folder at
  import) read ``$SKYREELS_VBENCH_HF_HOME/hub``, offline (``hf_hub_cache``). Unset: their own cache.
* ViCLIP (temporal_style, overall_consistency): its text encoder builds ``SimpleTokenizer()``, whose
  vocabulary path is a default argument fixed when ``vbench.third_party.ViCLIP.simple_tokenizer`` is
  first imported (from ``CACHE_DIR`` then; it wgets the file there if absent): we import it with
  ``CACHE_DIR`` set, and point that default at ``$VBENCH_CACHE_DIR`` for the call (``viclip_tokenizer``).
* scene runs under ``torch.no_grad()``: VBench's keeps Tag2Text's autograd graph (memory only).
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

from .specs import UNCOUNTED, DimensionSpec, VideoScore, spec
from .static_filter import STATIC_FILTER
from .weights import VBENCH_HF_HOME, Roots, hf_hub_cache, link_dreamsim_models, required_files, torch_hub_dir_kept


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


VICLIP_BPE = "ViCLIP/bpe_simple_vocab_16e6.txt.gz"


def _cache_dir_path() -> str:
    return os.environ.get("VBENCH_CACHE_DIR") or os.path.expanduser("~/.cache/vbench")


@contextmanager
def viclip_tokenizer(cache_dir):
    """ViCLIP's ``SimpleTokenizer()`` reads ``cache_dir``'s vocabulary inside: its module is first
    imported with ``CACHE_DIR = cache_dir`` (so its import-time check finds the file and runs no wget),
    and its default ``bpe_path`` (fixed at that import) is ``cache_dir``'s file."""
    import importlib
    import sys

    import vbench.utils

    name = "vbench.third_party.ViCLIP.simple_tokenizer"
    if name not in sys.modules:
        with _patched(vbench.utils, "CACHE_DIR", str(cache_dir)):
            importlib.import_module(name)
    with _patched(sys.modules[name].SimpleTokenizer.__init__, "__defaults__", (os.path.join(cache_dir, VICLIP_BPE),)):
        yield


def _viclip_for(dim: DimensionSpec):
    return viclip_tokenizer(_cache_dir_path()) if "viclip_tokenizer" in dim.shims else _null()


@contextmanager
def _vbench_cache_dir():
    import sys

    import vbench.utils  # noqa: F401  (the modules below read CACHE_DIR from here)
    import vbench2_beta_i2v.utils  # noqa: F401

    path = _cache_dir_path()
    modules = [
        m
        for name, m in list(sys.modules.items())
        if name.split(".")[0] in ("vbench", "vbench2_beta_i2v") and hasattr(m, "CACHE_DIR")
    ]
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


def _dreamsim_on(device, module):
    """``dreamsim`` (i2v_background): VBench builds DreamSim without a device argument, which means CUDA."""
    import functools

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


def compute(
    dimension: str, videos: list[VideoInput], *, device, workdir: Path, ratio: str = "16-9"
) -> list[VideoScore]:
    """VBench's per-video results for ``videos`` (in order); raises if VBench fails or returns NaN."""
    import importlib

    if dimension == STATIC_FILTER:
        return static_flags(videos, device=device)
    dim = spec(dimension)
    for video in videos:
        if dim.needs_auxiliary and dimension not in (video.auxiliary_info or {}):
            raise VBenchCallError(
                f"{video.path}: its prompt {video.prompt!r} has no auxiliary_info[{dimension!r}], "
                f"which VBench's {dimension} reads; score {dimension} only on prompts of "
                "VBench_full_info.json that list it (suite vbench_t2v)"
            )
    workdir = Path(workdir).resolve()  # VBench is called from inside it: every path must be absolute
    info = build_view(workdir, dimension, videos, ratio)
    with _viclip_for(dim):  # ViCLIP's tokenizer module first, with CACHE_DIR set
        module = importlib.import_module(dim.module)  # imported before CACHE_DIR is set, so it is set there too
    utils = importlib.import_module(dim.module.split(".")[0] + ".utils")
    extra = {"resolution": ratio} if dim.module.startswith("vbench2_beta_i2v") else {}
    if "dreamsim" in dim.shims:
        link_dreamsim_models(Path(workdir))
    with _working_dir(Path(workdir)), torch_hub_dir_kept(), _vbench_cache_dir(), _hf_cache_for(dim):
        submodules = utils.init_submodules([dimension], local=True, **extra)[dimension]
        with _dreamsim_on(device, module) if "dreamsim" in dim.shims else _null(), _no_grad_for(dim):
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
    args = argparse.Namespace(
        model=str(raft.path(Roots.from_env())), small=False, mixed_precision=False, alternate_corr=False
    )
    with _patched(module, "DEVICE", device):
        model = module.StaticFilter(args, device)
        return [VideoScore(1.0 if model.infer(video.path) else 0.0) for video in videos]


def _video_results(dim: DimensionSpec, module, info: str, device, submodules) -> list[dict]:
    """``compute_<dimension>``'s per-video list; [] where VBench counted no video and so divided by zero."""
    try:
        with _viclip_for(dim):
            return getattr(module, dim.function)(info, device, submodules)[-1]
    except ZeroDivisionError as err:
        where = traceback.extract_tb(err.__traceback__)[-1]
        if dim.omits_uncounted and (where.filename, where.name) == (module.__file__, dim.name):
            return []
        raise


@contextmanager
def _null():
    yield


def _no_grad_for(dim: DimensionSpec):
    """``no_grad`` (scene): VBench runs Tag2Text's image and tag heads with autograd on, keeping the graph of 16
    frames (over 20 GB on a CPU); the numbers are the same without it."""
    import torch

    return torch.no_grad() if "no_grad" in dim.shims else _null()


def _hf_cache_for(dim: DimensionSpec):
    """Dimensions that require ``bert`` (scene: Tag2Text's bert-base-uncased; GRiT: its tokenizer): the Hugging
    Face home ``$SKYREELS_VBENCH_HF_HOME``, offline, if set."""
    if "bert" not in dim.requires or not os.environ.get(VBENCH_HF_HOME):
        return _null()
    return hf_hub_cache(Path(os.environ[VBENCH_HF_HOME]), offline=True)
