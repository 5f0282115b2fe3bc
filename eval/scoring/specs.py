"""One ``DimensionSpec`` per dimension: everything the harness knows about it, in one place.

A spec names VBench's module and function for the dimension, how one entry of its ``video_results``
becomes a per-video score (``per_video``), how per-video scores combine into the dimension's raw value
exactly as VBench's single-process code computes it (``reduce``), the weight sets it reads (by name, so
dimensions that load the same model share it: ``eval.scoring.weights.MODELS``, each with its random-weight
fixture builder), the smallest video it can score, the shims its VBench call needs
(``eval.scoring.vbench_call``), the code it needs besides the wheel, and whether its fixtures are too slow
to score by default. Its normalisation and weight are its row in ``eval.vbench_constants``; the benchmarks
that use it are in ``eval.benchmarks``; ``per_call`` is VBench's per-video function the video-major scorer calls
(the inner function's def, where it decodes and where ``compute_<name>`` calls it are cited as file:line of
vbench 0.1.5, which is VBench 45e79ec). Every other table (weight files per dimension, checks, defaults,
shims) is derived from these specs. A new dimension: one entry here plus its constants row.

VBench's multi-GPU gather changes two formulas (subject_consistency becomes video-weighted instead of
frame-pair-weighted; appearance_style keeps the last frame); we always use the single-process ones,
so 1 shard and N shards give identical numbers.

VBench's color leaves out of ``video_results`` (and of its average) every video in which no frame shows
the prompt's object captioned with a colour word: such a video scores ``UNCOUNTED`` (weight 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.errors import HarnessError
from eval.ordered_sum import ordered_sum
from eval.vbench_constants import DIMENSIONS, Dimension


@dataclass(frozen=True)
class VideoScore:
    """One video's score for one dimension; ``weight`` is what VBench's aggregate weighs it by."""

    value: float
    weight: float = 1.0
    extra: tuple[tuple[str, object], ...] = ()


def _plain(entry: dict, frames: int) -> VideoScore:
    return VideoScore(float(entry["video_results"]))


def _frame_pairs(entry: dict, frames: int) -> VideoScore:
    """subject_consistency: VBench sums pair similarities over all frame pairs of all videos."""
    return VideoScore(float(entry["video_results"]), weight=float(frames - 1))


def _counted_pairs(entry: dict, frames: int) -> VideoScore:
    """background_consistency reports its own pair count per video."""
    return VideoScore(float(entry["video_results"]), weight=float(entry["cnt_per_video"]))


def _listed_frames(entry: dict, frames: int) -> VideoScore:
    """appearance_style, spatial_relationship: VBench averages every frame of every video."""
    return VideoScore(float(entry["video_results"]), weight=float(len(entry["frame_results"])))


def _counted_frames(entry: dict, frames: int) -> VideoScore:
    """scene, object_class, multiple_objects: VBench divides all successful frames by all frames."""
    return VideoScore(float(entry["video_results"]), weight=float(entry["frame_count"]))


UNCOUNTED = VideoScore(0.0, weight=0.0, extra=(("counted", False),))


def _camera(entry: dict, frames: int) -> VideoScore:
    """VBench builds ``predict_type`` with ``list(set(...))``, whose order follows ``PYTHONHASHSEED``: stored sorted."""
    return VideoScore(
        float(entry["video_results"]),
        extra=(("prompt_type", entry["prompt_type"]), ("predict_type", sorted(entry["predict_type"]))),
    )


# camera_motion's target is the first of these phrases in the video's file name ``{prompt}-{i}.mp4``, and
# VBench raises ValueError for a name with none (``get_type``, vbench2_beta_i2v/camera_motion.py at 45e79ec).
CAMERA_PHRASES = {
    "camera pans left": "pan_left",
    "camera pans right": "pan_right",
    "camera tilts up": "tilt_up",
    "camera tilts down": "tilt_down",
    "camera zooms in": "zoom_in",
    "camera zooms out": "zoom_out",
    "camera static": "static",
}


def camera_type(prompt: str) -> str | None:
    """The camera motion VBench reads from ``prompt``, or None: camera_motion cannot score it."""
    return next((kind for phrase, kind in CAMERA_PHRASES.items() if phrase in prompt), None)


def weighted_mean(scores: Sequence[VideoScore]) -> float:
    total = ordered_sum(s.weight for s in scores)
    if total <= 0:
        raise HarnessError("no frame pairs to average over (every video has fewer than 2 frames)")
    return ordered_sum(s.value * s.weight for s in scores) / total


def percent_mean(scores: Sequence[VideoScore]) -> float:
    """imaging_quality: MUSIQ scores are 0-100 per video; the aggregate is a fraction."""
    return weighted_mean(scores) / 100.0


def counted_mean(scores: Sequence[VideoScore]) -> float:
    """color: the mean over the videos VBench counted (``UNCOUNTED`` ones weigh 0)."""
    if not any(s.weight for s in scores):
        raise HarnessError(
            f"color: VBench counted none of these {len(scores)} videos (no frame shows the prompt's "
            "object captioned with a colour), so the score is undefined (VBench divides by zero); "
            "check the videos, or leave color out of scoring.dimensions"
        )
    return weighted_mean(scores)


# RAFT (dynamic_degree, the static filter) and AMT-S (motion_smoothness) divide by zero on pyramids of smaller
# frames; the static filter would read RAFT's NaN as "static".
MIN_FLOW_SIZE = 128
# Code besides the vbench wheel a spec may require (checked by eval.scoring.weights.code_problems).
REQUIREMENTS = ("vbench_source", "cotracker", "detectron2", "bert")
SHIMS = ("viclip_tokenizer", "dreamsim", "no_grad")
DECORD, CV2 = "decord", "cv2"  # VBench's two video decoders


@dataclass(frozen=True)
class InnerCall:
    """How VBench scores one video (``eval.scoring.video_major``): ``compute_<name>`` calls ``inner(...)`` with
    its models and the video list at position ``videos_at`` (image-video pairs where ``pairs``); ``decoders``
    are what ``inner`` reads the video with; ``check`` names the model's monotone boolean check that allows an
    early exit, over the frame count less one plus ``extra_pairs`` flow pairs; ``reference`` names the method of
    the model (the inner function's first argument) whose first call for each video embeds its reference image."""

    inner: str
    videos_at: int
    decoders: tuple[str, ...]
    pairs: bool = False
    check: str | None = None
    extra_pairs: int = 0
    reference: str | None = None  # the model method that embeds each video's reference image, before its frames


@dataclass(frozen=True)
class DimensionSpec:
    name: str
    module: str  # VBench module with ``function`` (compute_<name>(json_dir, device, submodules_list))
    per_video: Callable[[dict, int], VideoScore] = _plain
    reduce: Callable[[Sequence[VideoScore]], float] = weighted_mean
    models: tuple[str, ...] = ()  # the weight sets it reads (eval.scoring.weights.MODELS)
    min_frames: int = 1  # 2 where it compares consecutive frames
    min_size: int = 0  # the shorter side it needs (optical flow: MIN_FLOW_SIZE)
    needs_image: bool = False
    needs_auxiliary: bool = False  # reads the entry's auxiliary_info[<name>] from VBench_full_info.json
    omits_uncounted: bool = False  # VBench leaves videos it does not count out of video_results
    accepts: Callable[[str], bool] | None = None  # the prompts it can score at all (None: every prompt)
    accepts_what: str = ""  # what such a prompt carries, for messages
    shims: tuple[str, ...] = ()  # SHIMS its VBench call needs (eval.scoring.vbench_call)
    requires: tuple[str, ...] = ()  # REQUIREMENTS: code besides the wheel
    slow_on_cpu: bool = False  # its fixed full-size models: scored with fixtures only when named
    function: str = ""  # default compute_<name>
    per_call: InnerCall | None = None  # VBench's per-video function (None: scored by whole compute_<name> calls)

    def __post_init__(self):
        if not self.function:
            object.__setattr__(self, "function", f"compute_{self.name}")
        unknown = set(self.shims) - set(SHIMS) | set(self.requires) - set(REQUIREMENTS)
        if unknown:
            raise ValueError(f"{self.name}: unknown shims or requirements {sorted(unknown)}")

    def scores_prompt(self, prompt: str) -> bool:
        return self.accepts is None or self.accepts(prompt)

    @property
    def constants(self) -> Dimension | None:
        """Its normalisation range and group weight (None: enters no score, the static filter)."""
        return DIMENSIONS.get(self.name)


_VB, _I2V = "vbench", "vbench2_beta_i2v"
_PAIRS = dict(min_frames=2)
_FLOW = dict(min_size=MIN_FLOW_SIZE)
_GRIT = dict(models=("grit",), requires=("detectron2", "bert"), slow_on_cpu=True, needs_auxiliary=True)
_VICLIP = dict(models=("viclip",), shims=("viclip_tokenizer",), slow_on_cpu=True)
SPECS: dict[str, DimensionSpec] = {
    d.name: d
    for d in (
        DimensionSpec(
            "subject_consistency",
            f"{_VB}.subject_consistency",
            _frame_pairs,
            models=("dino",),
            per_call=InnerCall("subject_consistency", 1, (DECORD,)),  # subject_consistency.py:30,47,78
            **_PAIRS,
        ),
        DimensionSpec(
            "background_consistency",
            f"{_VB}.background_consistency",
            _counted_pairs,
            models=("clip_b32",),
            per_call=InnerCall("background_consistency", 2, (DECORD,)),  # background_consistency.py:23,39,73
            **_PAIRS,
        ),
        DimensionSpec(
            "temporal_flickering",
            f"{_VB}.temporal_flickering",
            per_call=InnerCall("temporal_flickering", 0, (CV2,)),  # temporal_flickering.py:52,18,69
            **_PAIRS,
        ),
        DimensionSpec(
            "motion_smoothness",
            f"{_VB}.motion_smoothness",
            models=("amt",),
            per_call=InnerCall("motion_smoothness", 1, (CV2,)),  # motion_smoothness.py:171,35,188
            **_PAIRS,
            **_FLOW,
        ),
        DimensionSpec(
            "dynamic_degree",
            f"{_VB}.dynamic_degree",
            models=("raft",),
            per_call=InnerCall("dynamic_degree", 1, (CV2,), check="check_move"),  # dynamic_degree.py:141,98,160
            **_PAIRS,
            **_FLOW,
        ),
        DimensionSpec(
            "aesthetic_quality",
            f"{_VB}.aesthetic_quality",
            models=("aesthetic",),
            per_call=InnerCall("laion_aesthetic", 2, (DECORD,)),  # aesthetic_quality.py:47,54,93
        ),
        DimensionSpec(
            "imaging_quality",
            f"{_VB}.imaging_quality",
            reduce=percent_mean,
            models=("musiq",),
            per_call=InnerCall("technical_quality", 1, (DECORD,)),  # imaging_quality.py:39,46,68
        ),
        DimensionSpec(
            "i2v_subject",
            f"{_I2V}.i2v_subject",
            models=("dino",),
            needs_image=True,
            # i2v_subject.py:19,39,72; the image embedded first: 35
            per_call=InnerCall("i2v_subject", 1, (DECORD,), pairs=True, reference="__call__"),
            **_PAIRS,
        ),
        DimensionSpec(
            "i2v_background",
            f"{_I2V}.i2v_background",
            models=("dreamsim",),
            needs_image=True,
            shims=("dreamsim",),
            # i2v_background.py:20,40,75; the image embedded first: 36
            per_call=InnerCall("i2v_background", 1, (DECORD,), pairs=True, reference="embed"),
            **_PAIRS,
        ),
        DimensionSpec(
            "camera_motion",
            f"{_I2V}.camera_motion",
            _camera,
            models=("cotracker",),
            accepts=lambda prompt: camera_type(prompt) is not None,
            accepts_what="one of VBench's camera phrases (" + ", ".join(map(repr, CAMERA_PHRASES)) + ")",
            requires=("vbench_source", "cotracker"),
            **_PAIRS,
        ),
        DimensionSpec("object_class", f"{_VB}.object_class", _counted_frames, **_GRIT),
        DimensionSpec("multiple_objects", f"{_VB}.multiple_objects", _counted_frames, **_GRIT),
        DimensionSpec("human_action", f"{_VB}.human_action", models=("umt",), slow_on_cpu=True),
        DimensionSpec("color", f"{_VB}.color", reduce=counted_mean, omits_uncounted=True, **_GRIT),
        DimensionSpec("spatial_relationship", f"{_VB}.spatial_relationship", _listed_frames, **_GRIT),
        DimensionSpec(
            "scene",
            f"{_VB}.scene",
            _counted_frames,
            models=("tag2text",),
            needs_auxiliary=True,
            shims=("no_grad",),
            requires=("bert",),
            slow_on_cpu=True,
        ),
        DimensionSpec(
            "appearance_style", f"{_VB}.appearance_style", _listed_frames, models=("clip_b32",), needs_auxiliary=True
        ),
        DimensionSpec("temporal_style", f"{_VB}.temporal_style", **_VICLIP),
        DimensionSpec("overall_consistency", f"{_VB}.overall_consistency", **_VICLIP),
        # Not a VBench dimension: VBench's T2V static filter (``vbench static_filter``), whose per-video flags
        # choose temporal_flickering's videos (eval.scoring.static_filter); enters no score.
        # Its per-video call is StaticFilter.infer, with the first-last and last-first pairs (static_filter.py:77-94).
        DimensionSpec(
            "static_filter",
            "vbench.cli.static_filter",
            models=("raft",),
            function="StaticFilter",
            per_call=InnerCall("infer", 0, (CV2,), check="check_static", extra_pairs=2),
            **_FLOW,
        ),
    )
}


def spec(name: str) -> DimensionSpec:
    if name not in SPECS:
        raise HarnessError(
            f"unknown or not yet supported dimension {name!r}; supported: "
            f"{', '.join(sorted(SPECS))} (set scoring.dimensions)"
        )
    return SPECS[name]
