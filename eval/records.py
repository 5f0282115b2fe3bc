"""Frozen records that flow between stages, serialised as JSON next to the outputs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SuiteItem:
    """One prompt (and optional conditioning image) of a suite.

    ``prompt`` is the suite's own prompt text (for VBench suites: VBench's prompt, without
    SkyReels' ``"FPS-24, "`` prefix). ``samples`` is how many videos the item needs.
    ``image`` is an absolute path; ``image_sha256`` its content hash, filled by the integrity gate.
    """

    id: str
    prompt: str
    samples: int = 1
    image: str | None = None
    image_sha256: str | None = None
    dimensions: tuple[str, ...] = ()
    meta: tuple[tuple[str, Any], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["dimensions"] = list(self.dimensions)
        d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SuiteItem:
        return cls(
            **{**d, "dimensions": tuple(d.get("dimensions", ())), "meta": tuple(sorted(d.get("meta", {}).items()))}
        )


@dataclass(frozen=True)
class Suite:
    """A named, validated list of items. ``task`` is ``"t2v"`` or ``"i2v"``; ``benchmark`` is what it is scored
    against (``eval.benchmarks``), named by its loader."""

    name: str
    task: str
    items: tuple[SuiteItem, ...]
    source: str
    benchmark: str

    @property
    def n_videos(self) -> int:
        return sum(item.samples for item in self.items)
