"""The benchmarks: everything the harness knows about VBench (T2V) and VBench-I2V, one object each.

A ``Benchmark`` owns its task, its standard suite, its groups and Total weights (formula version named as the
baselines' ``formula`` column does), titles, baselines file, the dimensions scored by default and its filter
rules. Suites name their benchmark (``Suite.benchmark``); nothing infers it from the task.

Groups and weights: Vchitect/VBench ``scripts/constant.py`` at commit 45e79ec (the VBench-I2V formula in force
since 2024-12-31); the per-dimension normalisation and weights are in ``eval.vbench_constants``. The T2V static
filter (``eval.scoring.static_filter``): VBench's README, "Dimension: temporal_flickering" (45e79ec).
A new benchmark of the same kind: one object here, its specs (``eval.scoring.specs``), its constants rows, its
suite loader and its baselines file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from eval.errors import HarnessError


@dataclass(frozen=True)
class Benchmark:
    """A benchmark's groups (name -> dimensions), Total weights, report-only dimensions, and its facts.

    ``reported`` dimensions may be scored and shown but enter no group; ``defaults`` are scored unless
    ``scoring.dimensions`` says otherwise; ``filters`` maps a dimension to the pseudo-dimension whose stored
    flags choose its videos."""

    name: str
    task: str  # "t2v" or "i2v"
    title: str
    suite: str  # the standard suite: only its complete runs are ranked against the published rows
    formula: str
    groups: Mapping[str, tuple[str, ...]]
    group_weights: Mapping[str, float]
    group_titles: Mapping[str, str]
    baselines: str  # file under reports/baselines/
    defaults: tuple[str, ...]
    reported: tuple[str, ...] = ()
    filters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def scored(self) -> tuple[str, ...]:
        """Dimensions that enter a group, in group order."""
        return tuple(d for dims in self.groups.values() for d in dims)

    @property
    def dimensions(self) -> tuple[str, ...]:
        """Every dimension this benchmark knows: scored, then report-only."""
        return self.scored + self.reported

    def filter_of(self, dimension: str) -> str | None:
        """The pseudo-dimension that chooses ``dimension``'s videos, or None."""
        return self.filters.get(dimension)

    def with_filters(self, dimensions) -> list[str]:
        """``dimensions`` with the filters they need first (the score stage flags before it scores)."""
        needed = [f for f in dict.fromkeys(self.filter_of(d) for d in dimensions) if f]
        return [*needed, *dimensions]


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
_TITLES = MappingProxyType({"quality": "Quality", "semantic": "Semantic", "i2v": "I2V"})

BENCHMARKS: Mapping[str, Benchmark] = MappingProxyType(
    {
        b.name: b
        for b in (
            Benchmark(
                "vbench",
                task="t2v",
                title="VBench (text-to-video)",
                suite="vbench_t2v",
                formula="vbench_standard",
                groups=MappingProxyType({"quality": _QUALITY_T2V, "semantic": _SEMANTIC}),
                group_weights=MappingProxyType({"quality": 4.0, "semantic": 1.0}),
                group_titles=_TITLES,
                baselines="vbench_t2v.csv",
                defaults=_QUALITY_T2V + _SEMANTIC,
                filters=MappingProxyType({"temporal_flickering": "static_filter"}),
            ),
            Benchmark(
                "vbench_i2v",
                task="i2v",
                title="VBench-I2V (image-to-video)",
                suite="vbench_i2v",
                formula="vbench_i2v_2024-12-31",
                groups=MappingProxyType({"i2v": _I2V, "quality": _QUALITY_I2V}),
                group_weights=MappingProxyType({"i2v": 1.0, "quality": 1.0}),
                group_titles=_TITLES,
                baselines="vbench_i2v.csv",
                # VBench-I2V's README order; temporal_flickering is scored and shown, and enters no group
                defaults=("i2v_subject", "i2v_background", "camera_motion", *_QUALITY_I2V, "temporal_flickering"),
                reported=("temporal_flickering",),
            ),
        )
    }
)
# What a suite of each task is scored against unless it names its benchmark (custom suites).
BY_TASK = MappingProxyType({b.task: b.name for b in BENCHMARKS.values()})


class UnknownBenchmark(HarnessError):
    pass


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called ``name``, or an error listing the known ones."""
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise UnknownBenchmark(f"unknown benchmark {name!r}; use one of {', '.join(BENCHMARKS)}") from None
