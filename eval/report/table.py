"""The leaderboard table: measured runs and published baselines of one benchmark, one row each.

Every score is percent. Measured rows come from ``results.json`` (a dimension that is not fully scored
is left empty and named in ``missing``; a partial run has no Total); reported rows are the published
figures, as published. A cell the harness derived rather than read is named in ``derived``.
Ranks go only to rows that are comparable with the published leaderboard: complete, on the
benchmark's own suite, on the current formula.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from eval.aggregate import aggregate
from eval.baselines import load_baselines, raw_fractions
from eval.benchmarks import get_benchmark
from eval.report.load import RunResults

SETTINGS_SHOWN = 4  # differing generator settings named in a label, at most


def columns(benchmark: str) -> list[str]:
    bench = get_benchmark(benchmark)
    dims = list(bench.dimensions)
    return [
        "rank",
        "model",
        "kind",
        "status",
        "comparable",
        "formula",
        "older_formula",
        "suite",
        "total",
        "published_as",
        "published_total",
        "vs_published",
        *bench.groups,
        *dims,
        *(f"{d}_normalised" for d in dims),
        "n_scored",
        "n_expected",
        "missing",
        "derived",
        "seconds_per_video",
        "gpu",
        "device",
        "settings",
        "fingerprint",
        "run",
        "date",
        "random_weights",
        "source",
        "source_url",
        "note",
    ]


def leaderboard(runs: list[RunResults], benchmark: str, baselines_path: Path | None = None) -> pd.DataFrame:
    """The table of ``runs`` (all of ``benchmark``) and the benchmark's published baselines, ranked."""
    rows = [_measured(r, benchmark, label) for r, label in zip(runs, settings_labels(runs))]
    rows += [_reported(row, benchmark) for _, row in load_baselines(benchmark, baselines_path).iterrows()]
    table = pd.DataFrame(rows, columns=columns(benchmark))
    _pair_with_published(table)
    table["comparable"] = (
        (table["status"] == "complete") & (table["suite"] == get_benchmark(benchmark).suite) & ~table["older_formula"]
    )
    ranked = table["comparable"] & table["total"].notna()
    table.loc[ranked, "rank"] = table.loc[ranked, "total"].rank(ascending=False, method="min")
    order = table.assign(_ranked=ranked).sort_values(
        ["_ranked", "total", "kind", "model"], ascending=[False, False, True, True], na_position="last"
    )
    return order.drop(columns="_ranked").reset_index(drop=True).astype({"rank": "Int64"})


def _pair_with_published(table: pd.DataFrame) -> None:
    """A measured run of a model that has a published row gets that row's Total beside its own, and the
    difference (measured minus published): the same model, generated and scored here, against its figure."""
    reported = table[table["kind"] == "reported"].set_index("model")["total"]
    for i, row in table[table["kind"] == "measured"].iterrows():
        name = row["published_as"]
        if isinstance(name, str) and name in reported.index:
            table.at[i, "published_total"] = reported[name]
            table.at[i, "vs_published"] = row["total"] - reported[name]


def _pct(value: float | None) -> float:
    return math.nan if value is None else 100.0 * value


def _measured(run: RunResults, benchmark: str, settings: str) -> dict:
    data, bench = run.data, get_benchmark(benchmark)
    dims = data["dimensions"]
    row = {
        "model": data["model"],
        "kind": "measured",
        "status": data["status"],
        "formula": data["formula"],
        "published_as": data["model_info"]["published_as"],
        "older_formula": data["formula"] != bench.formula,
        "suite": data["suite"],
        "total": _pct(data["total"]["value"]),
        "settings": settings,
        "fingerprint": data["fingerprint"],
        "run": str(run.run_dir),
        "date": data.get("date"),
        "random_weights": run.random_weights,
        "source": "measured by this harness",
        "source_url": "",
        "derived": "",
    }
    for group in bench.groups:
        row[group] = _pct(data["groups"].get(group, {}).get("value"))
    missing, notes = [], []
    for dim in bench.dimensions:
        entry = dims.get(dim)
        usable = entry is not None and entry["complete"]
        row[dim] = _pct(entry["raw"]) if usable else math.nan
        row[f"{dim}_normalised"] = _pct(entry["normalised"]) if usable else math.nan
        if entry is None:
            missing.append(f"{dim} (not scored)")
        elif not usable:
            for_good = entry.get("n_failed_for_good")
            missing.append(
                f"{dim} ({entry['n_scored']}/{entry['n_expected']}"
                + (f", {for_good} failed for good: {', '.join(entry.get('errors', {}))}" if for_good else "")
                + ")"
            )
        elif entry.get("out_of_range"):
            notes.append(f"{dim} outside [0, 1]: only random-weight models do that")
    row["n_scored"] = sum(dims[d]["n_scored"] for d in bench.dimensions if d in dims)
    row["n_expected"] = sum(dims[d]["n_expected"] for d in bench.dimensions if d in dims)
    row["missing"] = "; ".join(missing)
    cost = data.get("cost")
    if cost:
        row.update(seconds_per_video=cost["seconds_per_video"], gpu=cost["gpu"], device=", ".join(cost["devices"]))
    if run.random_weights:
        notes.insert(0, "tiny random-weight models: the scores are meaningless")
    if data["suite"] != bench.suite:
        notes.append(f"suite {data['suite']} is not the published {bench.suite} suite: not comparable")
    row["note"] = "; ".join(notes)
    return row


def _reported(baseline: pd.Series, benchmark: str) -> dict:
    bench = get_benchmark(benchmark)
    row = {
        "model": baseline["model"],
        "kind": "reported",
        "formula": baseline["formula"],
        "published_as": baseline["model"],
        "older_formula": baseline["formula"] != bench.formula,
        "suite": bench.suite,
        "total": baseline["total"],
        "source": baseline["source"],
        "source_url": baseline["source_url"],
        "note": baseline["note"],
        "random_weights": False,
        "n_scored": math.nan,
        "n_expected": math.nan,
    }
    raw = raw_fractions(baseline, benchmark)
    result = aggregate(raw, benchmark)
    derived = []
    for group in bench.groups:
        row[group] = baseline[group]
        if math.isnan(row[group]) and result.groups[group] is not None:
            row[group] = 100.0 * result.groups[group]
            derived.append(f"{group}: from the published dimensions")
    gaps = [g for g in bench.groups if math.isnan(row[g])]
    if len(gaps) == 1 and not math.isnan(row["total"]):  # Total is the weighted mean of the groups
        gap, weights = gaps[0], bench.group_weights
        known = sum(weights[g] * row[g] for g in bench.groups if g != gap)
        row[gap] = (sum(weights.values()) * row["total"] - known) / weights[gap]
        derived.append(f"{gap}: from the published Total and {', '.join(g for g in bench.groups if g != gap)}")
    for dim in bench.dimensions:
        row[dim] = baseline[dim]
        row[f"{dim}_normalised"] = _pct(result.normalised[dim])
    # The publisher scored every dimension when it published a Total, even if not every value was printed.
    row["status"] = "partial" if math.isnan(row["total"]) else "complete"
    row["missing"] = "; ".join(f"{d} (not published)" for d in bench.scored if math.isnan(baseline[d]))
    row["derived"] = "; ".join(derived)
    return row


def settings_labels(runs: list[RunResults]) -> list[str]:
    """For runs of the same model: the generator settings that tell them apart, e.g. ``steps=30``."""
    labels = []
    for run in runs:
        twins = [r for r in runs if r.data["model"] == run.data["model"]]
        keys = differing_settings([r.data["generator"] for r in twins])
        shown = [f"{k}={run.data['generator'].get(k)}" for k in keys[:SETTINGS_SHOWN]]
        if len(keys) > SETTINGS_SHOWN:
            shown.append(f"+{len(keys) - SETTINGS_SHOWN} more")
        if len(twins) > 1 and not keys:
            shown.append(f"suite {run.data['suite']}")
        labels.append(", ".join(shown))
    return labels


def differing_settings(generators: list[dict]) -> list[str]:
    """The generator settings (config keys) whose values are not the same in all of ``generators``, sorted."""
    return sorted({k for g in generators for k in g if len({repr(x.get(k)) for x in generators}) > 1})


def display_name(row: pd.Series) -> str:
    """The model, with the settings that distinguish it from another run of the same model."""
    return (
        f"{row['model']} [{row['settings']}]" if isinstance(row["settings"], str) and row["settings"] else row["model"]
    )


def normalised_of(table: pd.DataFrame, benchmark: str) -> pd.DataFrame:
    """The normalised dimension columns, renamed to the dimension names."""
    dims = get_benchmark(benchmark).dimensions
    return table[[f"{d}_normalised" for d in dims]].set_axis(list(dims), axis=1)


def dimension_label(dim: str) -> str:
    return dim.replace("_", " ")
