"""The dimension registry: where VBench's code for each dimension lives, how one entry of its
``video_results`` becomes a per-video score, and how per-video scores combine into the dimension's
raw value exactly as VBench's single-process code computes it.

VBench's multi-GPU gather changes two formulas (subject_consistency becomes video-weighted instead of
frame-pair-weighted; appearance_style keeps the last frame); we always use the single-process ones,
so 1 shard and N shards give identical numbers. A new dimension: one entry here (and a constants
row in ``eval/vbench_constants.py`` if it enters a total).

VBench's color leaves out of ``video_results`` (and of its average) every video in which no frame shows
the prompt's object captioned with a colour word: such a video scores ``UNCOUNTED`` (weight 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eval.errors import HarnessError
from eval.vbench_constants import BENCHMARKS


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
    total = sum(s.weight for s in scores)
    if total <= 0:
        raise HarnessError("no frame pairs to average over (every video has fewer than 2 frames)")
    return sum(s.value * s.weight for s in scores) / total


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


@dataclass(frozen=True)
class DimensionAdapter:
    name: str
    module: str  # VBench module with compute_<name>(json_dir, device, submodules_list)
    per_video: Callable[[dict, int], VideoScore] = _plain
    reduce: Callable[[Sequence[VideoScore]], float] = weighted_mean
    needs_image: bool = False
    needs_auxiliary: bool = False  # reads the entry's auxiliary_info[<name>] from VBench_full_info.json
    omits_uncounted: bool = False  # VBench leaves videos it does not count out of video_results
    accepts: Callable[[str], bool] | None = None  # the prompts it can score at all (None: every prompt)
    accepts_what: str = ""  # what such a prompt carries, for messages

    def scores_prompt(self, prompt: str) -> bool:
        return self.accepts is None or self.accepts(prompt)


_VB, _I2V = "vbench", "vbench2_beta_i2v"
REGISTRY: dict[str, DimensionAdapter] = {
    d.name: d
    for d in (
        DimensionAdapter("subject_consistency", f"{_VB}.subject_consistency", _frame_pairs),
        DimensionAdapter("background_consistency", f"{_VB}.background_consistency", _counted_pairs),
        DimensionAdapter("temporal_flickering", f"{_VB}.temporal_flickering"),
        DimensionAdapter("motion_smoothness", f"{_VB}.motion_smoothness"),
        DimensionAdapter("dynamic_degree", f"{_VB}.dynamic_degree"),
        DimensionAdapter("aesthetic_quality", f"{_VB}.aesthetic_quality"),
        DimensionAdapter("imaging_quality", f"{_VB}.imaging_quality", reduce=percent_mean),
        DimensionAdapter("i2v_subject", f"{_I2V}.i2v_subject", needs_image=True),
        DimensionAdapter("i2v_background", f"{_I2V}.i2v_background", needs_image=True),
        DimensionAdapter(
            "camera_motion",
            f"{_I2V}.camera_motion",
            _camera,
            accepts=lambda prompt: camera_type(prompt) is not None,
            accepts_what="one of VBench's camera phrases (" + ", ".join(map(repr, CAMERA_PHRASES)) + ")",
        ),
        DimensionAdapter("object_class", f"{_VB}.object_class", _counted_frames, needs_auxiliary=True),
        DimensionAdapter("multiple_objects", f"{_VB}.multiple_objects", _counted_frames, needs_auxiliary=True),
        DimensionAdapter("human_action", f"{_VB}.human_action"),
        DimensionAdapter("color", f"{_VB}.color", reduce=counted_mean, needs_auxiliary=True, omits_uncounted=True),
        DimensionAdapter("spatial_relationship", f"{_VB}.spatial_relationship", _listed_frames, needs_auxiliary=True),
        DimensionAdapter("scene", f"{_VB}.scene", _counted_frames, needs_auxiliary=True),
        DimensionAdapter("appearance_style", f"{_VB}.appearance_style", _listed_frames, needs_auxiliary=True),
        DimensionAdapter("temporal_style", f"{_VB}.temporal_style"),
        DimensionAdapter("overall_consistency", f"{_VB}.overall_consistency"),
    )
}

I2V_DIMENSIONS = (
    "i2v_subject",
    "i2v_background",
    "camera_motion",
    "subject_consistency",
    "background_consistency",
    "motion_smoothness",
    "dynamic_degree",
    "aesthetic_quality",
    "imaging_quality",
    "temporal_flickering",
)
# What a suite is scored on unless scoring.dimensions says otherwise (T2V: VBench's 16 dimensions).
DEFAULT_DIMENSIONS = {"i2v": I2V_DIMENSIONS, "t2v": BENCHMARKS["vbench"].scored}


def adapter(name: str) -> DimensionAdapter:
    if name not in REGISTRY:
        raise HarnessError(
            f"unknown or not yet supported dimension {name!r}; supported: "
            f"{', '.join(sorted(REGISTRY))} (set scoring.dimensions)"
        )
    return REGISTRY[name]
