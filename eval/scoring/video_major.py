"""The video-major scorer: one worker scores a chunk of videos on a set of dimensions, with VBench's own models
and VBench's own per-video functions, each model built once and each video decoded once per decoder.

VBench 0.1.5's ``compute_<dimension>`` builds its models, reads its video list from a full-info JSON and hands
both to an inner function over the list (the spec's ``per_call`` names it and where the list goes). Here:

* **Models**: each ``compute_<dimension>`` is run once per worker on an empty video list, with its inner
  function replaced by a recorder, so VBench's own code builds the models (``init_submodules``, the shims of
  ``eval.scoring.vbench_call``); the recorded arguments are then used for every video. Loads that VBench makes
  identically are made once: ``torch.hub.load`` of the same repo and entry point (DINO ViT-B/16 for
  subject_consistency and i2v_subject: ``vbench/utils.py:295-303`` and ``vbench2_beta_i2v/utils.py:300-308``
  differ only in ``read_frame``/``resolution``, extra keywords that DINO's ``dino_vitb16(pretrained=True,
  **kwargs)`` passes on to ``vit_base``, whose ``VisionTransformer(..., **kwargs)`` ignores them; the weights
  come from the same URL: facebookresearch/dino 144f705 ``hubconf.py:50-62``, ``vision_transformer.py``).
  A test checks that the two builds' weights are equal. (CLIP ViT-B/32, which appearance_style would share
  with background_consistency, is built once anyway: appearance_style is not scored here.)
* **Decodes**: two decoders, as VBench has. ``decord``: ``load_video`` (``vbench/utils.py:147-175``,
  ``vbench2_beta_i2v/utils.py:168-192``) reads every frame with ``VideoReader(path, num_threads=1)`` and
  ``get_batch(range(len))``; the frames of that very call are kept (uint8) and VBench's ``load_video`` runs
  unchanged on a stand-in ``VideoReader`` that returns them, so its float conversion and transforms are VBench's.
  ``cv2``: temporal_flickering, motion_smoothness, dynamic_degree and the static filter read
  ``cv2.VideoCapture(path)`` frame by frame (dynamic_degree also its ``CAP_PROP_FPS``); the frames are read
  once and replayed (as copies) by a stand-in ``VideoCapture`` in those modules. The next video is decoded in
  a thread while the current one is scored; a video's frames are freed when its dimensions are done.
* **Early exits**: dynamic_degree's ``check_move`` and the static filter's ``check_static`` turn the list of
  per-pair flow scores into a boolean and are monotone in every score (a higher score can only make
  ``check_move`` True and ``check_static`` False: ``vbench/dynamic_degree.py:84-93``,
  ``vbench/cli/static_filter.py:57-69``). After each pair, VBench's own check is run on the scores so far
  padded with the lowest (0.0) and the highest (inf) values the pairs still to come could have; where both
  give the same answer, that is the answer of the full loop, and the loop stops (``_decided``).
* **Reference images**: i2v_subject and i2v_background embed a video's image before its frames, for each video;
  an image's videos follow one another, so the image is embedded once for them (``_ReferenceOnce``: the same
  input tensor, bit for bit, gives the stored features of the model's own call).
* Nothing else changes: the same frames, transforms, batch sizes, threads and devices as VBench's loop, so every
  per-video value is bit-identical to ``compute_<dimension>``'s (``benchmarks/score_vs_vbench.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .specs import CV2, DECORD, SPECS, InnerCall, spec
from .static_filter import STATIC_FILTER

DECORD_MODULES = ("vbench.utils", "vbench2_beta_i2v.utils")  # where load_video finds VideoReader
# the VBench modules whose per-video function reads ``cv2.VideoCapture``
CV2_MODULES = tuple(s.module for s in SPECS.values() if s.per_call and CV2 in s.per_call.decoders)


def call_of(dimension: str) -> InnerCall:
    call = spec(dimension).per_call
    if call is None:
        raise ValueError(f"{dimension} has no per-video VBench function (DimensionSpec.per_call)")
    return call


def runs_video_major(dimension: str) -> bool:
    return spec(dimension).per_call is not None


# --- decoding ---------------------------------------------------------------------------------------


def decode(path: str, decoders: Iterable[str]) -> dict:
    """``{decoder: frames}``: decord's uint8 (T, H, W, C) array as ``load_video`` gets it; cv2's (fps, BGR frames)."""
    out = {}
    if DECORD in decoders:
        import decord

        decord.bridge.set_bridge("native")  # as load_video sets it
        reader = decord.VideoReader(path, num_threads=1)
        out[DECORD] = reader.get_batch(range(len(reader))).asnumpy()
    if CV2 in decoders:
        import cv2

        capture, frames = cv2.VideoCapture(path), []
        fps = capture.get(cv2.CAP_PROP_FPS)
        while capture.isOpened():
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(frame)
        capture.release()
        out[CV2] = (fps, frames)
    return out


class _DecodedBatch:
    """Stands in for decord's ``VideoReader(path, num_threads=1).get_batch(range(len))``."""

    def __init__(self, frames):
        self.frames = frames

    def __len__(self) -> int:
        return len(self.frames)

    def get_batch(self, indices):
        if list(indices) != list(range(len(self.frames))):
            raise RuntimeError(f"VBench asked decord for frames {list(indices)}, not every frame")
        return self

    def asnumpy(self):
        return self.frames


class _Replay:
    """Stands in for ``cv2.VideoCapture(path)``: the frames read once, each ``read()`` a copy."""

    def __init__(self, fps: float, frames: list):
        self.fps, self.frames, self.next = fps, frames, 0

    def isOpened(self) -> bool:  # noqa: N802 (cv2's name)
        return True

    def read(self):
        if self.next == len(self.frames):
            return False, None
        self.next += 1
        return True, self.frames[self.next - 1].copy()

    def get(self, prop):
        import cv2

        if prop != cv2.CAP_PROP_FPS:
            raise RuntimeError(f"VBench asked cv2 for property {prop}, which the replay does not keep")
        return self.fps

    def release(self) -> None:
        pass


class _Cv2:
    """cv2 as VBench's modules see it, with ``VideoCapture`` replaying the decoded video."""

    def __init__(self, cv2, decoded: dict[str, dict]):
        self._cv2, self._decoded = cv2, decoded

    def __getattr__(self, name):
        return getattr(self._cv2, name)

    def VideoCapture(self, path):  # noqa: N802 (cv2's name)
        return _Replay(*_frames(self._decoded, path, CV2))


def _frames(decoded: dict[str, dict], path: str, decoder: str):
    if path not in decoded or decoder not in decoded[path]:
        raise RuntimeError(f"VBench read {path} with {decoder}, which this worker did not decode for it")
    return decoded[path][decoder]


@contextmanager
def decoded_frames(decoded: dict[str, dict]):
    """Inside, VBench's decoders return ``decoded[path]`` instead of reading the file."""
    import cv2

    from .vbench_call import _patched

    def reader(path, *args, **kwargs):
        if args or kwargs != {"num_threads": 1}:
            raise RuntimeError(f"VBench opened {path} with decord options {args} {kwargs}, which are not replayed")
        return _DecodedBatch(_frames(decoded, path, DECORD))

    with ExitStack() as stack:
        for name in DECORD_MODULES:
            stack.enter_context(_patched(importlib.import_module(name), "VideoReader", reader))
        for name in CV2_MODULES:
            stack.enter_context(_patched(importlib.import_module(name), "cv2", _Cv2(cv2, decoded)))
        yield


def decode_ahead(
    paths: list[str], decoders_of: Callable[[str], tuple[str, ...]]
) -> Iterator[tuple[str, dict | Exception]]:
    """``(path, {decoder: frames})`` for each path, the next one decoded in a thread meanwhile. ``decoders_of(path)``
    is asked (in the caller's thread) when that decode starts, just before the video ahead of it is handed out, so a
    video that no longer needs a decoder is not read; a video that cannot be decoded gives its exception."""

    def job(path, decoders):
        try:
            return decode(path, decoders)
        except Exception as err:
            return err

    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(job, paths[0], decoders_of(paths[0])) if paths else None
        for i, path in enumerate(paths):
            current = ahead.result()
            if i + 1 < len(paths):
                ahead = pool.submit(job, paths[i + 1], decoders_of(paths[i + 1]))
            yield path, current
            del current


# --- early exits ------------------------------------------------------------------------------------


class _Decided(Exception):
    def __init__(self, value: bool):
        self.value = value


def _decided(check: Callable[[list], bool], scores: list, pairs: int) -> bool | None:
    """The answer ``check`` gives on ``pairs`` scores whatever the ones after ``scores`` are, or None (undecided):
    ``check`` is monotone in each score, and flow scores lie in [0, inf]."""
    rest = pairs - len(scores)
    low, high = check(scores + [0.0] * rest), check(scores + [math.inf] * rest)
    return low if low == high else None


def with_early_exit(model, check: str, extra_pairs: int) -> None:
    """``model.infer`` (DynamicDegree, StaticFilter) stops at the first pair after which ``model.<check>`` is
    decided. VBench's ``infer`` calls ``set_params(frame, count)`` once with the frame count, then
    ``get_score`` once per pair: ``count - 1`` consecutive pairs plus ``extra_pairs`` (the static filter's
    first-last and last-first, ``vbench/cli/static_filter.py:82``)."""
    cls, state = type(model), {}

    def set_params(frame, count):
        state.update(scores=[], pairs=count - 1 + extra_pairs)
        return cls.set_params(model, frame=frame, count=count)

    def get_score(img, flo):
        score = cls.get_score(model, img, flo)
        state["scores"].append(score)
        answer = _decided(getattr(model, check), state["scores"], state["pairs"])
        if answer is not None and len(state["scores"]) < state["pairs"]:
            raise _Decided(answer)
        return score

    def infer(path):
        try:
            return cls.infer(model, path)
        except _Decided as decided:
            return decided.value

    model.set_params, model.get_score, model.infer = set_params, get_score, infer


# --- the reference image --------------------------------------------------------------------------------


class _ReferenceOnce:
    """Stands in for the model an I2V function embeds each video's reference image with, first (``method``), and
    then its frames: that first call is answered with the previous video's features when its input tensor is
    the same bit for bit (an image's videos follow one another in a chunk), so each image is embedded once in a
    row of its videos. Every other call, and anything else asked of the model, is the model's own."""

    def __init__(self, model, method: str):
        self.model, self.method = model, method
        self.first, self.key, self.features, self.embedded = False, None, None, 0

    def next_video(self) -> None:
        self.first = True

    def _embed(self, x):
        embed = self.model if self.method == "__call__" else getattr(self.model, self.method)
        if not self.first:
            return embed(x)
        self.first = False
        data = x.detach().cpu().contiguous().numpy()
        key = (tuple(x.shape), str(x.dtype), str(x.device), hashlib.sha256(data.tobytes()).digest())
        if key != self.key:  # detached: the same values, without keeping the forward's graph between videos
            self.key, self.features = key, embed(x).detach()
            self.embedded += 1
        return self.features

    def __call__(self, x):
        if self.method != "__call__":
            return self.model(x)
        return self._embed(x)

    def __getattr__(self, name):
        if name == self.__dict__.get("method"):
            return self._embed
        return getattr(self.__dict__["model"], name)


# --- models -----------------------------------------------------------------------------------------


@contextmanager
def shared_loads(cache: dict):
    """``torch.hub.load`` of a local repo and entry point (VBench's local mode: DINO) returns the model already
    built with them; other loads (DreamSim's own backbones) are left alone."""
    import torch.hub

    from .vbench_call import _patched

    original = torch.hub.load

    def load(repo_or_dir, model, *args, source="github", **kwargs):
        if source != "local":
            return original(repo_or_dir, model, *args, source=source, **kwargs)
        if (repo_or_dir, model) not in cache:
            cache[repo_or_dir, model] = original(repo_or_dir, model, *args, source=source, **kwargs)
        return cache[repo_or_dir, model]

    with _patched(torch.hub, "load", load):
        yield


class VideoMajorScorer:
    """Builds each dimension's models once (VBench's ``compute_<dimension>`` on no videos), then scores videos."""

    def __init__(self, device, workdir: Path, ratio: str = "16-9"):
        self.device, self.workdir, self.ratio = device, Path(workdir).resolve(), ratio
        self.calls: dict[str, tuple[list, dict]] = {}
        self.loads: dict = {}

    def build(self, dimension: str) -> None:
        """VBench's own model building for ``dimension``; raises what VBench raises."""
        if dimension in self.calls:
            return
        if dimension == STATIC_FILTER:
            from .vbench_call import static_filter_model

            model = static_filter_model(self.device)
            self.calls[dimension] = ([model], {})
        else:
            self.calls[dimension] = self._recorded(dimension)
        call = call_of(dimension)
        if call.check:
            with_early_exit(self.calls[dimension][0][0], call.check, call.extra_pairs)
        if call.reference:
            args, kwargs = self.calls[dimension]
            self.calls[dimension] = ([_ReferenceOnce(args[0], call.reference), *args[1:]], kwargs)

    def _recorded(self, dimension: str) -> tuple[list, dict]:
        import json

        from .vbench_call import _patched, vbench_env

        module = importlib.import_module(spec(dimension).module)
        call, recorded = call_of(dimension), []

        def recorder(*args, **kwargs):
            recorded.append((list(args), kwargs))
            return 0.0, []

        self.workdir.mkdir(parents=True, exist_ok=True)
        info = self.workdir / "no_videos.json"
        info.write_text(json.dumps([]))
        with vbench_env(dimension, self.workdir, self.device, self.ratio) as submodules, shared_loads(self.loads):
            with _patched(module, call.inner, recorder):
                getattr(module, spec(dimension).function)(str(info), self.device, submodules)
        (arguments,) = recorded
        return arguments

    def score(self, dimension: str, path: str, image: str | None, frames: int, decoded: dict[str, dict]):
        """VBench's per-video result for one decoded video, as a ``VideoScore``; raises if VBench gives none or NaN."""
        from .specs import VideoScore
        from .vbench_call import VBenchCallError, _patched

        call, (args, kwargs) = call_of(dimension), self.calls[dimension]
        with decoded_frames(decoded):
            if dimension == STATIC_FILTER:
                import vbench.cli.static_filter as module

                with _patched(module, "DEVICE", self.device):  # its get_frames sends frames there
                    return VideoScore(1.0 if args[0].infer(path) else 0.0)
            args = list(args)
            args[call.videos_at] = [(image, path) if call.pairs else path]
            if call.reference:
                args[0].next_video()
            module = importlib.import_module(spec(dimension).module)
            _, results = getattr(module, call.inner)(*args, **kwargs)
        if not results:
            raise VBenchCallError(f"VBench returned no {dimension} result for {path}")
        score = spec(dimension).per_video(results[0], frames)
        if not math.isfinite(score.value):
            raise VBenchCallError(f"VBench's {dimension} model returned {score.value} for {path}")
        return score
