"""The comparison's plots (matplotlib): every difference with its interval, and one dimension's per-prompt
differences."""

from __future__ import annotations

from eval.benchmarks import get_benchmark
from eval.compare import Comparison
from eval.report.plots import _pyplot
from eval.report.table import dimension_label


def row_title(row, benchmark: str) -> str:
    """A row's name as the leaderboard writes it: ``Total``, ``Quality``, ``subject consistency``."""
    if row.kind == "total":
        return "Total"
    return get_benchmark(benchmark).group_titles[row.name] if row.kind == "group" else dimension_label(row.name)


def differences(comparison: Comparison):
    """B minus A (percent points) with its interval for every compared dimension, group and Total; None if none."""
    plt = _pyplot()
    rows = [r for r in comparison.rows if not r.refused][::-1]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(rows) + 1.4))
    for y, row in enumerate(rows):
        color = "#d62728" if row.significant else "#555555"
        delta = 100 * row.delta
        ax.errorbar(
            delta,
            y,
            xerr=[[delta - 100 * row.low], [100 * row.high - delta]],
            fmt="o",
            color=color,
            markersize=4,
            capsize=3,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)), [row_title(r, comparison.benchmark) for r in rows])
    ax.set_xlabel(f"B minus A (percent points), {round(100 * comparison.level)}% interval")
    ax.set_title("Paired differences (red: the interval excludes 0)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def prompt_differences(comparison: Comparison, dimension: str):
    """Histogram of one dimension's per-prompt differences B minus A (what the bootstrap resamples), with
    their mean (the dimension's difference) and its interval; None if the dimension was not compared."""
    plt = _pyplot()
    prompts = comparison.prompts.get(dimension)
    if not prompts:
        return None
    row = next(r for r in comparison.rows if r.name == dimension and r.kind == "dimension")
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    ax.hist([100 * (b - a) for _, a, b in prompts], bins=min(30, max(5, len(prompts) // 3)), color="#9ecae1")
    ax.axvspan(100 * row.low, 100 * row.high, color="#d62728" if row.significant else "#888888", alpha=0.25)
    ax.axvline(100 * row.delta, color="#d62728" if row.significant else "#555555", linewidth=1.5)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"{dimension_label(dimension)}: B minus A per prompt (percent points)")
    ax.set_ylabel("prompts")
    ax.set_title(
        f"{dimension_label(dimension)}: mean {100 * row.delta:+.2f} [{100 * row.low:+.2f}, {100 * row.high:+.2f}]"
    )
    fig.tight_layout()
    return fig
