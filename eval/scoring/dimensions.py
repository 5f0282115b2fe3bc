"""The dimension registry: where VBench's code for each dimension lives, how one entry of its
``video_results`` becomes a per-video score, and how per-video scores combine into the dimension's
raw value exactly as VBench's single-process code computes it.

VBench's multi-GPU gather changes two formulas (subject_consistency becomes video-weighted instead of
frame-pair-weighted; appearance_style keeps the last frame); we always use the single-process ones,
so 1 shard and N shards give identical numbers. A new dimension: one entry here (and a constants
row in ``eval/vbench_constants.py`` if it enters a total).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from eval.errors import HarnessError


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


def _camera(entry: dict, frames: int) -> VideoScore:
    return VideoScore(float(entry["video_results"]),
                      extra=(("prompt_type", entry["prompt_type"]), ("predict_type", list(entry["predict_type"]))))


def weighted_mean(scores: Sequence[VideoScore]) -> float:
    total = sum(s.weight for s in scores)
    if total <= 0:
        raise HarnessError("no frame pairs to average over (every video has fewer than 2 frames)")
    return sum(s.value * s.weight for s in scores) / total


def percent_mean(scores: Sequence[VideoScore]) -> float:
    """imaging_quality: MUSIQ scores are 0-100 per video; the aggregate is a fraction."""
    return weighted_mean(scores) / 100.0


@dataclass(frozen=True)
class DimensionAdapter:
    name: str
    module: str  # VBench module with compute_<name>(json_dir, device, submodules_list)
    per_video: Callable[[dict, int], VideoScore] = _plain
    reduce: Callable[[Sequence[VideoScore]], float] = weighted_mean
    needs_image: bool = False


_VB, _I2V = "vbench", "vbench2_beta_i2v"
REGISTRY: dict[str, DimensionAdapter] = {d.name: d for d in (
    DimensionAdapter("subject_consistency", f"{_VB}.subject_consistency", _frame_pairs),
    DimensionAdapter("background_consistency", f"{_VB}.background_consistency", _counted_pairs),
    DimensionAdapter("temporal_flickering", f"{_VB}.temporal_flickering"),
    DimensionAdapter("motion_smoothness", f"{_VB}.motion_smoothness"),
    DimensionAdapter("dynamic_degree", f"{_VB}.dynamic_degree"),
    DimensionAdapter("aesthetic_quality", f"{_VB}.aesthetic_quality"),
    DimensionAdapter("imaging_quality", f"{_VB}.imaging_quality", reduce=percent_mean),
    DimensionAdapter("i2v_subject", f"{_I2V}.i2v_subject", needs_image=True),
    DimensionAdapter("i2v_background", f"{_I2V}.i2v_background", needs_image=True),
    DimensionAdapter("camera_motion", f"{_I2V}.camera_motion", _camera),
)}

I2V_DIMENSIONS = ("i2v_subject", "i2v_background", "camera_motion", "subject_consistency",
                  "background_consistency", "motion_smoothness", "dynamic_degree", "aesthetic_quality",
                  "imaging_quality", "temporal_flickering")
# What a suite is scored on unless scoring.dimensions says otherwise (T2V: the quality dimensions the
# wheel can run here; the semantic ones are added as their adapters land).
DEFAULT_DIMENSIONS = {
    "i2v": I2V_DIMENSIONS,
    "t2v": ("subject_consistency", "background_consistency", "temporal_flickering", "motion_smoothness",
            "dynamic_degree", "aesthetic_quality", "imaging_quality"),
}


def adapter(name: str) -> DimensionAdapter:
    if name not in REGISTRY:
        raise HarnessError(f"unknown or not yet supported dimension {name!r}; supported: "
                           f"{', '.join(sorted(REGISTRY))} (set scoring.dimensions)")
    return REGISTRY[name]
