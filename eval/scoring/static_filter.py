"""VBench's T2V static filter: which videos temporal_flickering is scored on.

VBench (T2V) makes 25 videos for each temporal_flickering prompt, runs ``vbench static_filter`` (RAFT
optical flow, ``vbench/cli/static_filter.py``) over them in ``sorted(glob("*.mp4"))`` order, i.e. by
file name ``{prompt}-{i}.mp4`` (i = 0, 1, 10, 11, ..., 19, 2, 20, ..., 24, 3, ..., 9), keeps the first
5 judged static per prompt and scores temporal_flickering on those alone. A prompt with fewer static
videos is scored on what it has (VBench logs a warning; so does the score stage), one with none adds
nothing.

The rule here: temporal_flickering is filtered where the suite's benchmark says so (``Benchmark.filters``:
VBench, i.e. ``vbench_t2v``, ``smoke_t2v``, custom suites without images), whatever the samples per prompt;
VBench-I2V scores it on every video, so its suites are never filtered.

Each video's flag is the scoring pseudo-dimension ``static_filter`` (1.0 static, 0.0 not), computed
by VBench's own ``StaticFilter.infer`` (``vbench_call.static_flags``) through the same sharded score
workers and records (keyed by video sha256 and a scorer id over the VBench version and the RAFT
weights), so it is cached, resumable and shardable like any dimension. It enters no result: ``select``
turns the flags into the kept videos, stopping at the 5th static one exactly as VBench's loop does,
so an item's choice is settled once its flags up to there are known. Like VBench's loop, no video
after an item's 5th static one is flagged at all (``needed``): the static filter's videos are those
with fewer than 5 known static ones before them in VBench's order (an upper bound while flags are
missing, exactly the videos VBench's loop infers once they are in), and a worker flags its videos in
that order, skipping each one the flags so far have made unneeded. The score stage flags in its
first launch (beside the other dimensions) and scores temporal_flickering in a second; videos under
128 px are refused, since RAFT gives NaN there and VBench's check reads NaN as static.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from eval.benchmarks import get_benchmark
from eval.scoring.records import current_scores

STATIC_FILTER = "static_filter"
FILTERED = "temporal_flickering"
KEEP = 5  # VBench's static filter keeps this many static videos per prompt


def applies(benchmark: str, dimension: str) -> bool:
    """Whether ``dimension`` is scored only on the static filter's videos in a suite of ``benchmark``."""
    return get_benchmark(benchmark).filter_of(dimension) == STATIC_FILTER


def vbench_order(unit) -> str:
    """Sort key of a unit among its item's videos in VBench's order: the file names ``{prompt}-{i}.mp4``
    share the prompt, so they sort as ``"{i}.mp4"`` does."""
    return f"{unit.index}.mp4"


@dataclass(frozen=True)
class Selection:
    """The filter's choice: ``kept`` maps each settled item to its kept unit keys (VBench's order);
    ``pending`` maps each unsettled item to the most videos it can still keep."""

    kept: Mapping[str, tuple[str, ...]]
    pending: Mapping[str, int]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for keys in self.kept.values() for key in keys)

    @property
    def expected(self) -> int:
        """Videos to score: exact once every item is settled, an upper bound until then."""
        return len(self.keys) + sum(self.pending.values())

    @property
    def short(self) -> dict[str, int]:
        """Settled items that keep fewer than ``KEEP`` videos, and how many they keep."""
        return {item: len(keys) for item, keys in self.kept.items() if len(keys) < KEEP}


def select(units: Iterable, static: Mapping[str, bool]) -> Selection:
    """Per item, the first ``KEEP`` units flagged static in VBench's order. ``static`` maps unit keys to
    flags; an item is settled once every unit before its ``KEEP``-th static one has a flag."""
    by_item = defaultdict(list)
    for unit in units:
        by_item[unit.item_id].append(unit)
    kept, pending = {}, {}
    for item, its in by_item.items():
        chosen = _first_static(sorted(its, key=vbench_order), static)
        if chosen is None:
            pending[item] = min(KEEP, len(its))
        else:
            kept[item] = chosen
    return Selection(kept, pending)


def in_vbench_order(units: Iterable) -> list:
    """``units`` item by item (in order of first appearance), each item's in VBench's order."""
    first: dict[str, int] = {}
    for unit in units:
        first.setdefault(unit.item_id, len(first))
    return sorted(units, key=lambda u: (first[u.item_id], vbench_order(u)))


@dataclass(frozen=True)
class Needed:
    """The videos to flag (``keys``): per item in VBench's order, those with fewer than ``KEEP`` known static
    videos before them; ``expected`` as ``Selection``'s, for the counts that treat the filter as a dimension."""

    keys: frozenset[str]

    @property
    def expected(self) -> int:
        return len(self.keys)


def needed(units: Iterable, static: Mapping[str, bool]) -> Needed:
    """Which of ``units`` VBench's loop flags, as far as ``static`` (unit key -> flag) tells: it stops asking
    once a prompt has ``KEEP`` static videos (``vbench/cli/static_filter.py:150-155``); an unknown flag is
    not static, so the set only shrinks as flags come in."""
    keys, found = [], defaultdict(int)
    for unit in in_vbench_order(units):
        if found[unit.item_id] < KEEP:
            keys.append(unit.key)
            found[unit.item_id] += bool(static.get(unit.key))
    return Needed(frozenset(keys))


def _first_static(ordered: list, static: Mapping[str, bool]) -> tuple[str, ...] | None:
    chosen = []
    for unit in ordered:
        if len(chosen) == KEEP:
            break
        if unit.key not in static:
            return None
        if static[unit.key]:
            chosen.append(unit.key)
    return tuple(chosen)


def read_flags(run_dir: Path, units: Iterable, done: Mapping, scorer: str) -> dict[str, bool]:
    """Unit key -> static, for the ``units`` whose current video has a flag under ``scorer``."""
    records = current_scores(run_dir, STATIC_FILTER, scorer)
    flags = {}
    for unit in units:
        record = records.get(done[unit.key].sha256) if unit.key in done else None
        if record is not None and record.status == "ok":
            flags[unit.key] = record.value == 1.0
    return flags


def selection_notes(items: Mapping, chosen: Selection) -> list[str]:
    """What the score stage prints about a choice: VBench's warning for each prompt with fewer than
    ``KEEP`` static videos, and how many prompts still wait for flags (missing videos or failed flags)."""
    lines = [
        f"warning: prompt {items[item].prompt!r} has {n} static video(s) of {items[item].samples}, fewer than "
        f"the {KEEP} VBench's static filter keeps; its {FILTERED} is scored on {n or 'none'}, as VBench does"
        for item, n in chosen.short.items()
    ]
    if chosen.pending:
        lines.append(
            f"score: {len(chosen.pending)} prompt(s) wait for static filter flags (videos not made yet, or "
            f"flags that failed: see scores/{STATIC_FILTER}/); their {FILTERED} follows once those are in"
        )
    return lines
