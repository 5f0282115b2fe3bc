"""Is B better than A? Two runs of one suite, compared prompt by prompt with a paired bootstrap.

``python -m eval.compare RUN_A RUN_B [RUN ...] [--html DIR] [--json]``: for every pair of runs (the earlier one
as A), every dimension, group and Total: A, B, B minus A and its 95% interval from a paired percentile bootstrap
over prompts (``eval.aggregate.paired_bootstrap``: 1000 resamples, seed 0, the same prompts drawn for both runs;
groups and Total recomputed in each resample with VBench's normalisation and weights), marked where the interval
excludes 0. Both runs must be on the same suite and suite version (the same prompt for every shared item id) and
share items; a dimension is refused, with the reason, where a run lacks it or has not scored all of it, or where
the two runs scored it with different scorers (code, weights, preprocessing); a group or Total needs all of its
dimensions. What else differs between the runs (model, generator settings, seeds, conditioning images, videos per
prompt) is listed, not refused.

A prompt's value is the mean of its videos' scores in ``results.json``'s per-video table (through the dimension's
reducer with equal weights: imaging_quality's 0-100 becomes a fraction), and a run's value is the mean over the
prompts both runs scored. That table has no per-video weights (VBench weighs consistency by frame pairs), so A
and B can differ in the last digits from the leaderboard's values, which use them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.aggregate import paired_bootstrap, percent
from eval.benchmarks import get_benchmark
from eval.errors import HarnessError
from eval.report.load import RunResults, load_results

TEST = "paired percentile bootstrap over prompts"
N_RESAMPLES, SEED, LEVEL = 1000, 0, 0.95
TOTAL = "total"
# Below this many prompts the percentile interval is clearly too narrow: it has the spread of the plug-in standard
# error and normal quantiles while the mean is t-distributed, so a null difference is marked with probability
# P(|t_(n-1)| > 1.96 sqrt((n-1)/n)): 7.1% at n = 20, 13% at 6, 25% at 3 (6.0% at 40).
FEW_PROMPTS = 20


class CompareError(HarnessError):
    """Runs that cannot be compared at all (different suites, suite versions, no shared items)."""


@dataclass(frozen=True)
class Row:
    """One dimension, group or Total: A and B (fractions), the interval of B minus A, or why it is refused."""

    name: str
    kind: str  # "dimension", "group" or "total"
    a: float | None = None
    b: float | None = None
    low: float | None = None
    high: float | None = None
    n_prompts: int = 0  # prompts paired (dimensions only)
    refused: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def significant(self) -> bool:
        """The interval excludes 0."""
        return self.low is not None and (self.low > 0 or self.high < 0)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "interval": None if self.low is None else [self.low, self.high],
            "significant": self.significant,
            "n_prompts": self.n_prompts,
            "refused": self.refused or None,
        }


@dataclass(frozen=True)
class Pair:
    """The two videos of one (item, sample) and their scores of one dimension (VBench's per-video values)."""

    a: dict  # the video's row in A's results.json
    b: dict
    score_a: float
    score_b: float

    @property
    def difference(self) -> float:
        return self.score_b - self.score_a


@dataclass(frozen=True)
class Comparison:
    a: RunResults
    b: RunResults
    label_a: str
    label_b: str
    benchmark: str
    differs: tuple[str, ...]  # what else tells the runs apart, e.g. "num_inference_steps: 30 -> 50"
    n_items: tuple[int, int, int]  # shared, only in A, only in B
    rows: tuple[Row, ...]
    prompts: dict[str, tuple[tuple[str, float, float], ...]] = field(default_factory=dict)  # dim -> (item, A, B)
    pairs: dict[str, tuple[Pair, ...]] = field(default_factory=dict)  # dimension -> largest |difference| first
    n_resamples: int = N_RESAMPLES
    seed: int = SEED
    level: float = LEVEL

    @property
    def suite(self) -> str:
        return self.a.data["suite"]

    @property
    def test(self) -> str:
        return (
            f"{TEST}: {self.n_resamples} resamples, seed {self.seed}, {round(100 * self.level)}% intervals of "
            "B minus A; in every resample both runs get the same prompts"
        )

    @property
    def caution(self) -> str:
        """A warning where some dimension has so few prompts that its interval is too narrow, else ''."""
        few = min((r.n_prompts for r in self.rows if r.kind == "dimension" and not r.refused), default=FEW_PROMPTS)
        if few >= FEW_PROMPTS:
            return ""
        return (
            f"only {few} prompts for some dimension: with fewer than {FEW_PROMPTS} the percentile interval is too "
            f"narrow, and a difference that is not there is marked more often than {100 - round(100 * self.level)}% "
            "of the time"
        )

    def to_json(self) -> dict:
        return {
            "a": {"label": self.label_a, "run": str(self.a.run_dir), "fingerprint": self.a.data["fingerprint"]},
            "b": {"label": self.label_b, "run": str(self.b.run_dir), "fingerprint": self.b.data["fingerprint"]},
            "suite": self.suite,
            "benchmark": self.benchmark,
            "test": {"name": TEST, "resamples": self.n_resamples, "seed": self.seed, "level": self.level},
            "caution": self.caution or None,
            "differs": list(self.differs),
            "items": dict(zip(("shared", "only_a", "only_b"), self.n_items)),
            "rows": [r.to_json() for r in self.rows],
        }


def compare(
    a: RunResults, b: RunResults, *, n_resamples: int = N_RESAMPLES, seed: int = SEED, level: float = LEVEL
) -> Comparison:
    """Compare run ``b`` with run ``a``; raises ``CompareError`` where the runs cannot be compared at all."""
    benchmark = _check_pairable(a, b)
    bench = get_benchmark(benchmark)
    items_a, items_b = _items(a), _items(b)
    shared = sorted(set(items_a) & set(items_b))
    if not shared:
        raise CompareError(
            f"{a.path} and {b.path} share no item of suite {a.data['suite']!r}; compare runs made from the same "
            "prompts (a run limited to some items shares only those)"
        )
    other = [i for i in shared if items_a[i]["prompt"] != items_b[i]["prompt"]]
    if other:
        raise CompareError(
            f"{a.path} and {b.path} were made from different versions of suite {a.data['suite']!r}: "
            f"{len(other)} shared item(s) have another prompt, e.g. {other[0]!r}: {items_a[other[0]]['prompt']!r} "
            f"vs {items_b[other[0]]['prompt']!r}; rerun one of them on the other's suite file"
        )
    dims = [d for d in bench.dimensions if d in a.data["dimensions"] or d in b.data["dimensions"]]
    values_a, values_b, shared_of, refused = {}, {}, {}, {}
    for dim in dims:
        refused[dim] = _refusal(a, b, dim)
        if refused[dim]:
            continue
        per_a, per_b = _prompt_values(a, dim), _prompt_values(b, dim)
        prompts = sorted(set(per_a) & set(per_b))
        if not prompts:
            refused[dim] = "no prompt scored in both runs"
            continue
        values_a[dim], values_b[dim] = [per_a[p] for p in prompts], [per_b[p] for p in prompts]
        shared_of[dim] = prompts
    boot = paired_bootstrap(
        values_a, values_b, benchmark, n_resamples=n_resamples, seed=seed, level=level, check_range=False
    )
    rows = [
        _row(
            dim,
            "dimension",
            boot.a.raw[dim],
            boot.b.raw[dim],
            boot.raw.get(dim),
            refused[dim],
            len(shared_of.get(dim, ())),
        )
        for dim in dims
    ]
    for group, members in bench.groups.items():
        needs = "; ".join(f"{d} ({refused.get(d) or 'not scored'})" for d in members if d not in values_a)
        rows.append(
            _row(
                group,
                "group",
                boot.a.groups[group],
                boot.b.groups[group],
                boot.groups[group],
                needs and f"needs {needs}",
            )
        )
    needs = ", ".join(g for g in bench.groups if boot.a.groups[g] is None)
    rows.append(_row(TOTAL, "total", boot.a.total, boot.b.total, boot.total, needs and f"needs {needs}"))
    label_a, label_b = _labels(a, b)
    return Comparison(
        a=a,
        b=b,
        label_a=label_a,
        label_b=label_b,
        benchmark=benchmark,
        differs=_differences(a, b, items_a, items_b, shared),
        n_items=(len(shared), len(set(items_a) - set(items_b)), len(set(items_b) - set(items_a))),
        rows=tuple(rows),
        prompts={dim: tuple(zip(shared_of[dim], values_a[dim], values_b[dim])) for dim in values_a},
        pairs={dim: _pairs(a, b, dim) for dim in values_a},
        n_resamples=n_resamples,
        seed=seed,
        level=level,
    )


def _row(name: str, kind: str, a, b, interval, refused: str, n_prompts: int = 0) -> Row:
    if refused:
        return Row(name, kind, refused=refused)
    return Row(name, kind, a, b, interval.low, interval.high, n_prompts)


def _check_pairable(a: RunResults, b: RunResults) -> str:
    da, db = a.data, b.data
    if da["suite"] != db["suite"]:
        raise CompareError(
            f"{a.path} is on suite {da['suite']!r} and {b.path} on {db['suite']!r}: a paired comparison needs the "
            "same prompts; compare runs of one suite"
        )
    if da["benchmark"] != db["benchmark"]:
        raise CompareError(
            f"{a.path} is scored as {da['benchmark']} and {b.path} as {db['benchmark']}; compare runs of one benchmark"
        )
    if a.path == b.path:
        raise CompareError(f"{a.path} is given twice; compare two different runs")
    return da["benchmark"]


def _items(run: RunResults) -> dict[str, dict]:
    """Item id -> its first video row (prompt, image)."""
    items: dict[str, dict] = {}
    for video in run.data["videos"]:
        items.setdefault(video["item_id"], video)
    return items


def _refusal(a: RunResults, b: RunResults, dim: str) -> str:
    """Why ``dim`` cannot be compared, or ''."""
    entries = {"A": a.data["dimensions"].get(dim), "B": b.data["dimensions"].get(dim)}
    for run, entry in entries.items():
        if entry is None:
            return f"not scored in {run}"
        if not entry["complete"]:
            return f"not fully scored in {run} ({entry['n_scored']}/{entry['n_expected']} videos)"
    if entries["A"]["scorer"] != entries["B"]["scorer"]:
        return f"scored by different scorers: A {entries['A']['scorer']}, B {entries['B']['scorer']}"
    return ""


def _numbers(run: RunResults, dim: str):
    """(video row, score) for each video with a numeric score of ``dim``."""
    for video in run.data["videos"]:
        score = video["scores"].get(dim)
        if isinstance(score, (int, float)) and not isinstance(score, bool):
            yield video, float(score)


def _prompt_values(run: RunResults, dim: str) -> dict[str, float]:
    """Item id -> the mean of its videos' scores, as a fraction (the dimension's reducer, equal weights)."""
    from eval.scoring.specs import VideoScore, spec

    by_item: dict[str, list] = defaultdict(list)
    for video, score in _numbers(run, dim):
        by_item[video["item_id"]].append(VideoScore(score))
    reduce = spec(dim).reduce
    return {item: reduce(scores) for item, scores in by_item.items()}


def _pairs(a: RunResults, b: RunResults, dim: str) -> tuple[Pair, ...]:
    """The videos of the same (item, sample) scored in both runs, the largest difference first."""
    in_b = {(v["item_id"], v["index"]): (v, s) for v, s in _numbers(b, dim)}
    pairs = [
        Pair(v, in_b[key][0], s, in_b[key][1])
        for v, s in _numbers(a, dim)
        if (key := (v["item_id"], v["index"])) in in_b
    ]
    return tuple(sorted(pairs, key=lambda p: (-abs(p.difference), p.a["item_id"], p.a["index"])))


def _labels(a: RunResults, b: RunResults) -> tuple[str, str]:
    from eval.report.table import settings_labels

    return tuple(
        f"{run.data['model']} [{settings}]" if settings else run.data["model"]
        for run, settings in zip((a, b), settings_labels([a, b]))
    )


def _differences(a: RunResults, b: RunResults, items_a: dict, items_b: dict, shared: list[str]) -> tuple[str, ...]:
    """What tells the runs apart besides their scores: model, generator settings, seeds, images, items."""
    from eval.report.table import differing_settings

    ga, gb = a.data["generator"], b.data["generator"]
    found = [f"model: {a.data['model']} -> {b.data['model']}"] if a.data["model"] != b.data["model"] else []
    found += [f"{key}: {ga.get(key)} -> {gb.get(key)}" for key in differing_settings([ga, gb])]
    seeds = {run: {(v["item_id"], v["index"]): v["seed"] for v in r.data["videos"]} for run, r in (("a", a), ("b", b))}
    both = set(seeds["a"]) & set(seeds["b"])
    other_seeds = sum(seeds["a"][k] != seeds["b"][k] for k in both)
    if other_seeds:
        found.append(f"seeds: {other_seeds} of {len(both)} paired videos have other seeds (another run.base_seed)")
    images = sum(not _same_image(items_a[i]["image"], items_b[i]["image"]) for i in shared)
    if images:
        found.append(
            f"conditioning images: {images} of {len(shared)} items use another file (e.g. a crop at another aspect)"
        )
    samples = {run: defaultdict(int) for run in "ab"}
    for run, r in (("a", a), ("b", b)):
        for v in r.data["videos"]:
            samples[run][v["item_id"]] += 1
    if any(samples["a"][i] != samples["b"][i] for i in shared):
        found.append("videos per prompt differ (a prompt's value is the mean of its videos)")
    only = (len(set(items_a) - set(items_b)), len(set(items_b) - set(items_a)))
    if any(only):
        found.append(
            f"items: {only[0]} only in A, {only[1]} only in B (left out; the shared {len(shared)} are compared)"
        )
    return tuple(found)


def _same_image(a: str | None, b: str | None) -> bool:
    """The same path, or two files of the same content."""
    if a == b:
        return True
    if a is None or b is None or not (Path(a).is_file() and Path(b).is_file()):
        return False
    from eval.atomic import sha256_file

    return sha256_file(a) == sha256_file(b)


def compare_runs(runs: Sequence[RunResults], **kwargs) -> list[Comparison]:
    """Every pair of ``runs``, the earlier one as A."""
    return [compare(a, b, **kwargs) for i, a in enumerate(runs) for b in runs[i + 1 :]]


def _pct(value: float | None, sign: str = "") -> str:
    return "-" if value is None else f"{percent(value):{sign}.2f}"


def format_comparison(comparison: Comparison) -> str:
    """The comparison as a plain-text table in percent ('*' where the interval excludes 0)."""
    c = comparison
    width = max(len(r.name) for r in c.rows) + 2
    lines = [
        f"B vs A on suite {c.suite} ({c.benchmark}), percent",
        f"  A: {c.label_a}  ({c.a.run_dir})",
        f"  B: {c.label_b}  ({c.b.run_dir})",
        *(f"  differs: {d}" for d in c.differs or ("nothing but the scores",)),
        f"test: {c.test}; * = the interval excludes 0",
        *([f"caution: {c.caution}"] if c.caution else []),
        f"{'':<{width}}{'A':>8}{'B':>8}{'B - A':>8}  {'interval':<18} prompts",
    ]
    for r in c.rows:
        if r.refused:
            lines.append(f"{r.name:<{width}}  refused: {r.refused}")
            continue
        interval = f"[{_pct(r.low, '+')}, {_pct(r.high, '+')}]"
        mark = "*" if r.significant else " "
        prompts = str(r.n_prompts) if r.kind == "dimension" else ""
        lines.append(
            f"{r.name:<{width}}{_pct(r.a):>8}{_pct(r.b):>8}{_pct(r.delta, '+'):>8}  {interval:<16}{mark} {prompts:>7}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "runs", nargs="+", type=Path, help="two or more run directories or results.json files of one suite"
    )
    parser.add_argument("--html", type=Path, metavar="DIR", help="also write the compare and pairs pages into DIR")
    parser.add_argument("--json", action="store_true", help="print the comparisons as JSON")
    parser.add_argument(
        "--resamples", type=int, default=N_RESAMPLES, help=f"bootstrap resamples (default {N_RESAMPLES})"
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"bootstrap seed (default {SEED})")
    parser.add_argument("--no-previews", action="store_true", help="pairs pages without the animated previews")
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give at least two runs to compare")
    try:
        comparisons = compare_runs([load_results(p) for p in args.runs], n_resamples=args.resamples, seed=args.seed)
        pages = []
        if args.html:
            from eval.report.compare_pages import write_comparison_pages

            pages = write_comparison_pages(comparisons, args.html, previews=not args.no_previews)
    except HarnessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([c.to_json() for c in comparisons], indent=2))
    else:
        print("\n\n".join(format_comparison(c) for c in comparisons))
    for page in pages:
        print(f"compare page: {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
