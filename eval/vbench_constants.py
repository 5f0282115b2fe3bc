"""VBench's per-dimension normalisation constants and score formulas, as data.

Source: Vchitect/VBench ``scripts/constant.py`` at commit 45e79ec (the VBench-I2V formula in
force since 2024-12-31). A raw dimension value (a fraction, as in VBench's result JSON) is
normalised as ``(raw - min) / (max - min)``, not clipped. A group score is the weighted mean of
its dimensions' normalised values (weights from ``DIMENSIONS``); Total is the weighted mean of
the group scores (weights from ``Benchmark.group_weights``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

SOURCE = "Vchitect/VBench scripts/constant.py, commit 45e79ec"


@dataclass(frozen=True)
class Dimension:
    """One VBench dimension: its normalisation range and its weight inside its group."""

    name: str
    min: float = 0.0
    max: float = 1.0
    weight: float = 1.0

    def normalise(self, raw: float) -> float:
        """``(raw - min) / (max - min)``, unclipped, as VBench's scripts compute it."""
        return (raw - self.min) / (self.max - self.min)


DIMENSIONS: Mapping[str, Dimension] = MappingProxyType(
    {
        d.name: d
        for d in (
            Dimension("subject_consistency", 0.1462, 1.0),
            Dimension("background_consistency", 0.2615, 1.0),
            Dimension("i2v_subject", 0.1462, 1.0),
            Dimension("i2v_background", 0.2615, 1.0),
            Dimension("temporal_flickering", 0.6293, 1.0),
            Dimension("motion_smoothness", 0.706, 0.9975),
            Dimension("dynamic_degree", weight=0.5),
            Dimension("aesthetic_quality"),
            Dimension("imaging_quality"),
            Dimension("object_class"),
            Dimension("multiple_objects"),
            Dimension("human_action"),
            Dimension("color"),
            Dimension("spatial_relationship"),
            Dimension("scene", 0.0, 0.8222),
            Dimension("appearance_style", 0.0009, 0.2855),
            Dimension("temporal_style", 0.0, 0.364),
            Dimension("overall_consistency", 0.0, 0.364),
            Dimension("camera_motion", weight=0.1),
        )
    }
)


@dataclass(frozen=True)
class Benchmark:
    """A benchmark's groups (name -> dimensions), Total weights, and report-only dimensions.

    ``formula`` names the formula version, as the baselines' ``formula`` column does.
    ``reported`` dimensions may be scored and shown but enter no group.
    """

    name: str
    formula: str
    groups: Mapping[str, tuple[str, ...]]
    group_weights: Mapping[str, float]
    reported: tuple[str, ...] = ()

    @property
    def scored(self) -> tuple[str, ...]:
        """Dimensions that enter a group, in group order."""
        return tuple(d for dims in self.groups.values() for d in dims)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Every dimension this benchmark knows: scored, then report-only."""
        return self.scored + self.reported


_QUALITY_T2V = (
    "subject_consistency",
    "background_consistency",
    "temporal_flickering",
    "motion_smoothness",
    "dynamic_degree",
    "aesthetic_quality",
    "imaging_quality",
)
_SEMANTIC = (
    "object_class",
    "multiple_objects",
    "human_action",
    "color",
    "spatial_relationship",
    "scene",
    "appearance_style",
    "temporal_style",
    "overall_consistency",
)
_QUALITY_I2V = (
    "subject_consistency",
    "background_consistency",
    "motion_smoothness",
    "dynamic_degree",
    "aesthetic_quality",
    "imaging_quality",
)
_I2V = ("camera_motion", "i2v_subject", "i2v_background")

BENCHMARKS: Mapping[str, Benchmark] = MappingProxyType(
    {
        b.name: b
        for b in (
            Benchmark(
                "vbench",
                "vbench_standard",
                MappingProxyType({"quality": _QUALITY_T2V, "semantic": _SEMANTIC}),
                MappingProxyType({"quality": 4.0, "semantic": 1.0}),
            ),
            Benchmark(
                "vbench_i2v",
                "vbench_i2v_2024-12-31",
                MappingProxyType({"i2v": _I2V, "quality": _QUALITY_I2V}),
                MappingProxyType({"i2v": 1.0, "quality": 1.0}),
                reported=("temporal_flickering",),
            ),
        )
    }
)
