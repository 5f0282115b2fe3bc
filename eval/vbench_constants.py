"""VBench's per-dimension normalisation constants and score formulas, as data.

Source: Vchitect/VBench ``scripts/constant.py`` at commit 45e79ec (the VBench-I2V formula in
force since 2024-12-31). A raw dimension value (a fraction, as in VBench's result JSON) is
normalised as ``(raw - min) / (max - min)``, not clipped. A group score is the weighted mean of
its dimensions' normalised values (weights from ``DIMENSIONS``); Total is the weighted mean of
the group scores (weights from ``eval.benchmarks.Benchmark.group_weights``).
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
