"""The typed generator interface every adapter implements, and the checks the harness runs on what comes back.

An adapter is a ``Generator`` subclass (as lm-evaluation-harness's ``LM``). Its class methods are torch-free
(planning, status and reports call them); ``__init__`` loads the model once per worker; ``generate`` makes one
unit's video at a path and returns ``VideoFacts``; ``describe`` returns ``Provenance``. The harness
(``eval.workers.generate``) checks each return against the file and the expected video, and a bad return
fails that unit only.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from eval.errors import HarnessError

# Settings every generator takes that choose where and how to run, not what comes out (never fingerprinted).
EXECUTION_KEYS = ("device", "offline")


@dataclass(frozen=True)
class VideoFacts:
    """What ``generate`` wrote: the container's frames, fps and size, and what it cost."""

    frames: int
    fps: float
    width: int
    height: int
    seconds: float
    peak_rss_bytes: int | None = None
    peak_gpu_bytes: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ExpectedVideo:
    """What every video of a run must be, known before any is made. ``None``: decided per video (e.g. an
    aspect kept from the conditioning image) or, for imported videos, not asked for."""

    fps: float | None
    frames: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Provenance:
    """Where a worker's videos come from: each weights repo as resolved (source, revision, commit, path),
    the device and dtype they ran on, the settings and library versions."""

    weights: dict[str, dict] = field(default_factory=dict)
    device: str | None = None
    dtype: str | None = None
    settings: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)

    @property
    def weights_summary(self) -> dict[str, str]:
        """``{name: "source@commit"}``, as each manifest line records it."""
        return {
            name: f"{w['source']}@{w.get('commit') or w.get('revision') or 'local'}" for name, w in self.weights.items()
        }

    def to_json(self) -> dict:
        return {**asdict(self), "weights_summary": self.weights_summary}


class TaskMismatch(ValueError):
    """The suite's task is one the generator cannot do."""


class BadReturn(TypeError):
    """An adapter's ``generate`` returned something the harness cannot record."""


class Generator(ABC):
    """Load once, then make one video per ``generate`` call.

    Subclasses set ``tasks`` (the suite tasks they can make) and may extend ``execution_keys``.
    """

    tasks: ClassVar[tuple[str, ...]] = ("t2v", "i2v")
    execution_keys: ClassVar[tuple[str, ...]] = EXECUTION_KEYS

    # -- torch-free class methods: planning, status and the report use them ------------------------------
    @classmethod
    def check_task(cls, task: str) -> None:
        if task not in cls.tasks:
            raise TaskMismatch(
                f"it makes {' and '.join(t.upper() for t in cls.tasks)} videos, not {task.upper()}; "
                f"use {'a text' if task == 't2v' else 'an image'}-to-video generator for this suite"
            )

    @classmethod
    def resolve(cls, config: dict, task: str, launcher: dict) -> dict:
        """The config to fingerprint, with device-dependent values (e.g. ``dtype=auto``) made explicit.
        Settings are validated here (``ValueError`` naming the setting and the fix)."""
        cls.check_task(task)
        return config

    @classmethod  # noqa: B027 (an optional hook)
    def preflight(cls, config: dict, task: str) -> None:
        """Stop a run that cannot work (missing weights) in seconds, before anything is launched."""

    @classmethod
    @abstractmethod
    def expected_video(cls, config: dict) -> ExpectedVideo:
        """What every video of a run with ``config`` must be (its fps at least, which VBench reads)."""

    @classmethod
    @abstractmethod
    def display_name(cls, config: dict, task: str) -> str:
        """The model's name in leaderboards, e.g. ``CogVideoX-5b-I2V``."""

    @classmethod
    def aspect(cls, config: dict) -> tuple[int, int] | None:
        """The (width, height) whose aspect the model is made for, which picks VBench-I2V's image crops;
        by default the expected size. Models that size each video by its image override it."""
        expected = cls.expected_video(config)
        return None if expected.width is None or expected.height is None else (expected.width, expected.height)

    @classmethod
    def random_weights(cls, config: dict) -> bool:
        """True when ``config`` loads random weights (the tiny checkpoints): its scores mean nothing."""
        return False

    @classmethod
    def published_as(cls, config: dict, task: str) -> str | None:
        """The model's name in the published baselines, when the run is of its real weights and recipe."""
        return None

    # -- a loaded model -------------------------------------------------------------------------------------
    @abstractmethod
    def __init__(self, config: dict, task: str):
        """Load the model once (a worker makes many videos with it)."""

    @abstractmethod
    def generate(self, item, unit, out_path: Path) -> VideoFacts:
        """Write ``unit``'s video (``item``'s prompt and image, ``unit.seed``) as an mp4 at ``out_path``."""

    @abstractmethod
    def describe(self) -> Provenance:
        """The loaded model's provenance."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Free the model."""


def check_planned_device(config: dict, actual: str) -> None:
    """Refuse to run on another device type than the one the run was planned (and fingerprinted) for."""
    planned = config.get("device_type")
    if planned and actual != planned:
        raise HarnessError(
            f"this run was planned for device type {planned} (part of its fingerprint, since it "
            f"changes pixels) but this worker has {actual}: run it where {planned} is (e.g. SLURM "
            f"launcher.gres=gpu:1 for cuda), or give generator.device={actual} for a new run"
        )


def resolve_device_dtype(config: dict, launcher: dict, knobs) -> dict:
    """``config`` as fingerprinted: the planned device type (``eval.device``) and the dtype ``dtype=auto`` means
    on it made explicit, speed ``knobs`` (``videogen.knobs.SpeedKnobs``) the planned device cannot run refused,
    and a cache threshold without a cache left out (``videogen.knobs.fingerprinted``)."""
    from eval.device import planned_device_type
    from videogen.device import SettingsError, resolved_dtype
    from videogen.knobs import check_knobs, fingerprinted

    device_type = planned_device_type(config.get("device", "auto"), launcher)
    problems = check_knobs(knobs, device_type)
    if problems:
        raise SettingsError("; ".join(problems))
    return fingerprinted(
        {**config, "device_type": device_type, "dtype": resolved_dtype(config.get("dtype", "auto"), device_type)}
    )


def check_facts(facts: Any, out_path: Path, expected: ExpectedVideo) -> VideoFacts:
    """``facts`` if it is a well-formed ``VideoFacts`` for a file at ``out_path`` that matches ``expected``,
    else ``BadReturn`` naming what is wrong (the unit fails; the shard goes on)."""
    if not isinstance(facts, VideoFacts):
        raise BadReturn(
            f"generate() returned {type(facts).__name__}, not VideoFacts; return "
            f"VideoFacts({', '.join(f.name for f in fields(VideoFacts))})"
        )
    if not Path(out_path).is_file():
        raise BadReturn(f"generate() returned but wrote no file at {out_path}")
    problems = [
        f"{name}={getattr(facts, name)!r}"
        for name in ("frames", "width", "height")
        if not isinstance(getattr(facts, name), int) or getattr(facts, name) < 1
    ]
    if not isinstance(facts.fps, (int, float)) or not math.isfinite(facts.fps) or facts.fps <= 0:
        problems.append(f"fps={facts.fps!r}")
    if problems:
        raise BadReturn(f"generate() returned impossible video facts: {', '.join(problems)}")
    wrong = mismatches(asdict(facts), expected)
    if wrong:
        raise BadReturn(f"the video does not match the run's settings: {', '.join(wrong)}")
    return facts


def mismatches(facts: dict, expected: ExpectedVideo) -> list[str]:
    """``["fps=8 (the run expects 24)", ...]`` for each fact of ``facts`` that ``expected`` fixes otherwise."""
    return [
        f"{name}={facts[name]} (the run expects {want})"
        for name, want in asdict(expected).items()
        if want is not None and abs(facts[name] - want) > 1e-3
    ]
