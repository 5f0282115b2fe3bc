"""VBench / VBench-I2V scores from per-dimension raw values, with bootstrap confidence intervals.

Public API:

- ``aggregate(raw, benchmark)``: raw per-dimension fractions (as in VBench's result JSON, e.g.
  0.9623) -> ``Aggregate`` with raw and normalised values, group scores and Total (fractions).
  A missing dimension (absent or ``None``) is never scored as 0, unlike VBench's own scripts:
  its group and Total are ``None`` and the result is partial (``complete`` is False).
- ``bootstrap(records, benchmark, reducers=...)``: per-prompt records per dimension -> seeded
  percentile confidence intervals for each dimension's raw value, each group and Total.
- ``paired_bootstrap(a, b, benchmark)``: two runs' per-prompt values of the same prompts -> seeded
  percentile intervals of the differences (B minus A) of each dimension, group and Total, the same
  prompts drawn for both runs in each replicate.
- ``percent(x)``: a fraction as percent, for presentation.
- CLI: ``python -m eval.aggregate --benchmark {vbench,vbench_i2v} RAW.json [--json]``.

Formulas and constants: ``eval.vbench_constants``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from eval.benchmarks import BENCHMARKS, Benchmark, get_benchmark
from eval.errors import HarnessError
from eval.ordered_sum import ordered_sum
from eval.vbench_constants import DIMENSIONS

Reducer = Callable[[Sequence[Any]], float]
"""Per-prompt records of one dimension -> that dimension's raw aggregate (a fraction)."""


class AggregateError(HarnessError):
    """Raw values or per-prompt records that cannot be scored."""


@dataclass(frozen=True)
class Aggregate:
    """A benchmark's scores. Every value is a fraction; ``None`` where it cannot be computed.

    ``raw`` and ``normalised`` hold every dimension of the benchmark (``None`` where absent).
    ``missing`` lists the absent dimensions that a group needs; their groups and Total are None.
    """

    benchmark: str
    formula: str
    raw: Mapping[str, float | None]
    normalised: Mapping[str, float | None]
    groups: Mapping[str, float | None]
    total: float | None
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every group and Total could be computed."""
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "formula": self.formula,
            "complete": self.complete,
            "missing": list(self.missing),
            "raw": dict(self.raw),
            "normalised": dict(self.normalised),
            "groups": dict(self.groups),
            "total": self.total,
        }


@dataclass(frozen=True)
class Interval:
    """A confidence interval, as fractions."""

    low: float
    high: float


@dataclass(frozen=True)
class Bootstrap:
    """Point estimate plus percentile intervals (``None`` where the point value is ``None``)."""

    point: Aggregate
    raw: Mapping[str, Interval]
    groups: Mapping[str, Interval | None]
    total: Interval | None
    level: float
    n_resamples: int
    seed: int


@dataclass(frozen=True)
class PairedBootstrap:
    """Two runs scored on the same prompts, and percentile intervals of their differences (B minus A)."""

    a: Aggregate
    b: Aggregate
    raw: Mapping[str, Interval]
    groups: Mapping[str, Interval | None]
    total: Interval | None
    level: float
    n_resamples: int
    seed: int


def percent(value: float | None) -> float | None:
    """A fraction as percent (``0.8161 -> 81.61``); ``None`` stays ``None``."""
    return None if value is None else 100.0 * value


def _check_known(dims: Sequence[str], bench: Benchmark) -> None:
    unknown = [d for d in dims if d not in bench.dimensions]
    if unknown:
        raise AggregateError(
            f"unknown {bench.name} dimension(s) {', '.join(map(repr, unknown))}; known: {', '.join(bench.dimensions)}"
        )


def _checked(dim: str, value: Any, check_range: bool = True) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise AggregateError(
            f"dimension {dim!r}: raw value {value!r} is not a number; "
            "pass a fraction (e.g. 0.9623) or null for a missing dimension"
        )
    value = float(value)
    if not math.isfinite(value):
        raise AggregateError(
            f"dimension {dim!r}: raw value is {value}; fix the scoring run that "
            "produced it, or pass null to mark the dimension missing"
        )
    if check_range and not 0.0 <= value <= 1.0:
        raise AggregateError(
            f"dimension {dim!r}: raw value {value} is outside [0, 1]; pass "
            "fractions as VBench's result JSON has them (96.23% -> 0.9623)"
        )
    return value


def _weighted_mean(dims: Sequence[str], normalised: Mapping[str, float | None]) -> float | None:
    if any(normalised[d] is None for d in dims):
        return None
    weights = [DIMENSIONS[d].weight for d in dims]
    return ordered_sum(w * normalised[d] for w, d in zip(weights, dims)) / ordered_sum(weights)


def aggregate(raw: Mapping[str, float | None], benchmark: str = "vbench", *, check_range: bool = True) -> Aggregate:
    """Score raw per-dimension fractions with ``benchmark``'s formula (see module docstring).

    ``check_range=False`` accepts finite values outside [0, 1]: what VBench's code returns with
    random-weight models (a negative MUSIQ score, say), which the caller then flags itself.
    """
    bench = get_benchmark(benchmark)
    _check_known(list(raw), bench)
    return _score({d: _checked(d, raw.get(d), check_range) for d in bench.dimensions}, bench)


def _score(values: Mapping[str, Any], bench: Benchmark) -> Aggregate:
    """``aggregate`` on checked values: floats, or numpy arrays (one element per bootstrap replicate)."""
    normalised = {d: None if v is None else DIMENSIONS[d].normalise(v) for d, v in values.items()}
    groups = {g: _weighted_mean(dims, normalised) for g, dims in bench.groups.items()}
    total = None
    if all(s is not None for s in groups.values()):
        weights = bench.group_weights
        total = ordered_sum(weights[g] * s for g, s in groups.items()) / ordered_sum(weights.values())
    return Aggregate(
        bench.name,
        bench.formula,
        values,
        normalised,
        groups,
        total,
        tuple(d for d in bench.scored if values[d] is None),
    )


def mean(records: Sequence[Any]) -> float:
    """The default reducer: the mean of per-prompt raw values (one number per prompt)."""
    values = np.asarray(records, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"mean needs one number per prompt, got records of shape {values.shape}")
    return float(values.mean())


def _reduce(dim: str, reducer: Reducer, records: Sequence[Any]) -> float:
    try:
        return reducer(records)
    except (TypeError, ValueError) as exc:
        raise AggregateError(
            f"dimension {dim!r}: reducer {getattr(reducer, '__name__', reducer)} "
            f"failed on its per-prompt records ({exc}); pass per-prompt numbers, "
            "or a reducer for these records"
        ) from exc


def _interval(values: Sequence[float | None], level: float) -> Interval | None:
    if any(v is None for v in values):
        return None
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(np.asarray(values, dtype=float), [tail, 100.0 - tail])
    return Interval(float(low), float(high))


def bootstrap(
    records: Mapping[str, Sequence[Any]],
    benchmark: str = "vbench",
    *,
    reducers: Mapping[str, Reducer] | None = None,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    check_range: bool = True,
) -> Bootstrap:
    """Percentile bootstrap over prompts, independently per dimension.

    ``records`` maps a dimension to its per-prompt records (prompt sets may differ between
    dimensions). ``reducers`` maps a dimension to the function that turns records into its raw
    value (default ``mean``). Each replicate resamples every dimension's prompts with
    replacement, reduces them, and scores the replicate through ``aggregate``. One
    ``numpy.random.Generator(seed)`` draws every replicate of a dimension at once, the dimensions in
    the benchmark's order (``_draws``, shared with ``paired_bootstrap``), so a fixed seed gives
    identical intervals.
    """
    bench = get_benchmark(benchmark)
    _check_known(list(records), bench)
    reducers = dict(reducers or {})
    stray = [d for d in reducers if d not in records]
    if stray:
        raise AggregateError(
            f"reducer given for {', '.join(map(repr, stray))} but no per-prompt "
            "records; pass records for it or drop the reducer"
        )
    _check_resampling(records, n_resamples, level)

    dims = [d for d in bench.dimensions if d in records]
    seqs = {d: list(records[d]) for d in dims}
    reducer_of = {d: reducers.get(d, mean) for d in dims}
    point = aggregate({d: _reduce(d, reducer_of[d], seqs[d]) for d in dims}, bench.name, check_range=check_range)

    draws = _draws({d: len(seqs[d]) for d in dims}, n_resamples, seed)
    replicates = []
    for r in range(n_resamples):
        sample = {d: _reduce(d, reducer_of[d], [seqs[d][i] for i in idx[r].tolist()]) for d, idx in draws.items()}
        replicates.append(aggregate(sample, bench.name, check_range=check_range))

    return Bootstrap(
        point=point,
        raw={d: _interval([r.raw[d] for r in replicates], level) for d in dims},
        groups={g: _interval([r.groups[g] for r in replicates], level) for g in bench.groups},
        total=_interval([r.total for r in replicates], level),
        level=level,
        n_resamples=n_resamples,
        seed=seed,
    )


def paired_bootstrap(
    a: Mapping[str, Sequence[float]],
    b: Mapping[str, Sequence[float]],
    benchmark: str = "vbench",
    *,
    n_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    check_range: bool = True,
) -> PairedBootstrap:
    """Percentile bootstrap of the differences B minus A, paired over prompts.

    ``a[d]`` and ``b[d]`` are the two runs' per-prompt values (fractions) of dimension ``d`` on the same
    prompts in the same order; a run's value of ``d`` is the mean over its prompts. Each replicate draws
    every dimension's prompts with replacement as ``bootstrap`` does (the same generator and order), takes
    the same draw for both runs, scores each run's means with ``aggregate``'s normalisation and weights
    (all replicates at once, as arrays) and keeps the differences of every dimension, group and Total.
    Pairing removes what the prompts share (their difficulty) from the interval, which two unpaired
    intervals would count twice.
    """
    bench = get_benchmark(benchmark)
    _check_known(list(a), bench)
    if set(a) != set(b) or any(len(a[d]) != len(b[d]) for d in a):
        raise AggregateError(
            "paired values must cover the same dimensions and prompts in both runs; "
            + "; ".join(f"{d}: {len(a.get(d, ()))} vs {len(b.get(d, ()))} prompts" for d in sorted(set(a) | set(b)))
        )
    _check_resampling(a, n_resamples, level)
    dims = [d for d in bench.dimensions if d in a]
    values = {}
    for run, given in (("A", a), ("B", b)):
        values[run] = {d: np.asarray(given[d], dtype=float) for d in dims}
        bad = [d for d, x in values[run].items() if x.ndim != 1 or not np.isfinite(x).all()]
        if bad:
            raise AggregateError(
                f"run {run}: the per-prompt values of {', '.join(bad)} are not one finite number per prompt; "
                "pass each prompt's mean score"
            )
    points = {
        run: aggregate({d: float(x.mean()) for d, x in v.items()}, bench.name, check_range=check_range)
        for run, v in values.items()
    }
    draws = _draws({d: len(a[d]) for d in dims}, n_resamples, seed)
    replicates = {
        run: _score({d: v[d][draws[d]].mean(axis=1) if d in v else None for d in bench.dimensions}, bench)
        for run, v in values.items()
    }
    delta = _difference(replicates["A"], replicates["B"])

    def interval(x) -> Interval | None:
        return None if x is None else _interval(x, level)

    return PairedBootstrap(
        a=points["A"],
        b=points["B"],
        raw={d: interval(delta.raw[d]) for d in dims},
        groups={g: interval(v) for g, v in delta.groups.items()},
        total=interval(delta.total),
        level=level,
        n_resamples=n_resamples,
        seed=seed,
    )


def _difference(a: Aggregate, b: Aggregate) -> Aggregate:
    """``b - a`` value by value (``None`` where either is ``None``)."""

    def minus(x, y):
        return None if x is None or y is None else y - x

    return Aggregate(
        b.benchmark,
        b.formula,
        {d: minus(a.raw[d], v) for d, v in b.raw.items()},
        {d: minus(a.normalised[d], v) for d, v in b.normalised.items()},
        {g: minus(a.groups[g], v) for g, v in b.groups.items()},
        minus(a.total, b.total),
        tuple(dict.fromkeys(a.missing + b.missing)),
    )


def _check_resampling(records: Mapping[str, Sequence[Any]], n_resamples: int, level: float) -> None:
    empty = [d for d, recs in records.items() if len(recs) == 0]
    if empty:
        raise AggregateError(
            f"no per-prompt records for {', '.join(map(repr, empty))}; "
            "drop the dimension (it becomes missing) or score its prompts"
        )
    if n_resamples < 1:
        raise AggregateError(f"n_resamples={n_resamples}; it must be at least 1")
    if not 0.0 < level < 1.0:
        raise AggregateError(f"level={level}; it must lie strictly between 0 and 1 (e.g. 0.95)")


def _draws(sizes: Mapping[str, int], n_resamples: int, seed: int) -> dict[str, np.ndarray]:
    """``{dimension: (n_resamples, size) prompt indices drawn with replacement}``: one
    ``numpy.random.Generator(seed)``, the dimensions in ``sizes``' order."""
    rng = np.random.default_rng(seed)
    return {d: rng.integers(0, n, size=(n_resamples, n)) for d, n in sizes.items()}


def load_raw(path: Path) -> dict[str, Any]:
    """Raw values from ``{dim: fraction}`` or VBench's ``{dim: [aggregate, [per-video...]]}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AggregateError(f"cannot read {path}: {exc.strerror}; pass the path of a raw-score JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AggregateError(
            f"{path} is not valid JSON ({exc}); pass {{dim: fraction}} or VBench's result JSON"
        ) from None
    if not isinstance(data, dict):
        raise AggregateError(
            f"{path} holds a JSON {type(data).__name__}; expected an object "
            "{dim: fraction} or VBench's {dim: [aggregate, [per-video...]]}"
        )
    return {dim: _aggregate_value(path, dim, value) for dim, value in data.items()}


def _aggregate_value(path: Path, dim: str, value: Any) -> Any:
    """VBench's entry is ``[aggregate, per-video list]``; camera_motion's is ``[aggregate, {type: mean},
    per-video list]`` (``compute_camera_motion``, vbench2_beta_i2v/camera_motion.py:200-204 at 45e79ec)."""
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[1], list) or len(value) == 3 and isinstance(value[2], list):
            return value[0]
        raise AggregateError(
            f"{path}: {dim!r} is a list but not VBench's [aggregate, [per-video results]] (camera_motion: "
            "[aggregate, {type: mean}, [per-video results]]); fix or regenerate the file"
        )
    return value


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{percent(value):.2f}"


def format_table(result: Aggregate) -> str:
    """A plain-text table of ``result`` in percent with 2 decimals ('-' where absent)."""
    width = max(map(len, result.raw)) + 2
    lines = [
        f"{result.benchmark} (formula {result.formula}), percent",
        f"{'dimension':<{width}}{'raw':>8}{'normalised':>12}",
    ]
    lines += [f"{d:<{width}}{_fmt(v):>8}{_fmt(result.normalised[d]):>12}" for d, v in result.raw.items()]
    lines += [f"{g:<{width}}{_fmt(s):>8}" for g, s in result.groups.items()]
    lines.append(f"{'total':<{width}}{_fmt(result.total):>8}")
    if not result.complete:
        lines.append(f"partial: missing {', '.join(result.missing)}; their groups and Total are not computed")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.aggregate", description=("Score VBench / VBench-I2V raw per-dimension values (fractions).")
    )
    parser.add_argument("--benchmark", required=True, choices=list(BENCHMARKS))
    parser.add_argument("raw", type=Path, help="{dim: fraction} or VBench's result JSON")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        result = aggregate(load_raw(args.raw), args.benchmark)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_json(), indent=2) if args.json else format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
