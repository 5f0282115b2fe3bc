"""The leaderboard's plots (matplotlib, PNG and SVG), written byte-for-byte reproducibly.

Each function draws one figure from the leaderboard table and returns it, or None when the table has
nothing to draw (e.g. no row with a known cost). ``render_plots`` renders them as PNG and SVG bytes,
which the report writes as ``plots/<name>.png`` and ``.svg``.
"""

from __future__ import annotations

import math

import pandas as pd

from eval.benchmarks import get_benchmark
from eval.report.table import dimension_label, display_name, normalised_of


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "skyreels-eval", "font.size": 9, "figure.dpi": 100})
    return plt


def _colors(table: pd.DataFrame) -> list:
    """Measured rows in shades of red, reported rows in tab10's colours (red skipped), in table order."""
    from matplotlib import colormaps

    reds, others = colormaps["Reds"], [c for i, c in enumerate(colormaps["tab10"].colors) if i != 3]
    n_measured = max(1, int((table["kind"] == "measured").sum()))
    colors, measured, reported = [], 0, 0
    for kind in table["kind"]:
        if kind == "measured":
            colors.append(reds(0.9 - 0.5 * measured / n_measured))
            measured += 1
        else:
            colors.append(others[reported % len(others)])
            reported += 1
    return colors


def dimension_bars(table: pd.DataFrame, benchmark: str):
    """Grouped bars: every dimension's raw score (percent), one bar per row that has it."""
    plt = _pyplot()
    dims = [d for d in get_benchmark(benchmark).dimensions if table[d].notna().any()]
    if not dims:
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(dims) + 2), 5.0))
    width = 0.8 / len(table)
    for i, ((_, row), color) in enumerate(zip(table.iterrows(), _colors(table))):
        xs = [j + (i - (len(table) - 1) / 2) * width for j in range(len(dims))]
        ax.bar(
            xs,
            [row[d] for d in dims],
            width,
            label=display_name(row),
            color=color,
            edgecolor="black" if row["kind"] == "measured" else "none",
            linewidth=0.6,
        )
    ax.set_xticks(range(len(dims)), [dimension_label(d) for d in dims], rotation=30, ha="right")
    ax.set_ylabel("score (%)")
    ax.set_title("Per-dimension scores (raw, percent)")
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.32))
    fig.tight_layout()
    return fig


def radar(table: pd.DataFrame, benchmark: str):
    """Normalised dimensions on a radar; dimensions nobody has are left out, gaps stay gaps."""
    plt = _pyplot()
    normalised = normalised_of(table, benchmark)
    dims = [d for d in normalised.columns if normalised[d].notna().any()]
    if len(dims) < 3:
        return None
    angles = [2 * math.pi * i / len(dims) for i in range(len(dims))]
    fig, ax = plt.subplots(figsize=(8.4, 6.4), subplot_kw={"projection": "polar"})
    for (i, row), color in zip(table.iterrows(), _colors(table)):
        values = [normalised.loc[i, d] for d in dims]
        ax.plot(
            angles + angles[:1],
            values + values[:1],
            color=color,
            linewidth=1.4 if row["kind"] == "measured" else 1,
            label=display_name(row),
            marker="o",
            markersize=2.5,
        )
    ax.set_xticks(angles, [dimension_label(d) for d in dims], fontsize=7)
    ax.set_ylim(min(0.0, float(normalised[dims].min().min())), max(100.0, float(normalised[dims].max().max())))
    ax.set_rlabel_position(90 / len(dims))
    ax.tick_params(axis="y", labelsize=6)
    ax.set_title("Normalised dimensions (percent)", pad=18)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.15, 0.5))
    fig.tight_layout()
    return fig


def group_scatter(table: pd.DataFrame, benchmark: str):
    """Quality against I2V (VBench-I2V) or Semantic (VBench), one point per row that has both."""
    plt = _pyplot()
    bench = get_benchmark(benchmark)
    other = next(g for g in bench.groups if g != "quality")
    points = table[table["quality"].notna() & table[other].notna()]
    if points.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.0, 4.5))
    for (_, row), color in zip(points.iterrows(), _colors(points)):
        ax.scatter(
            row["quality"],
            row[other],
            color=color,
            s=40 if row["kind"] == "measured" else 25,
            marker="*" if row["kind"] == "measured" else "o",
        )
        ax.annotate(
            display_name(row), (row["quality"], row[other]), fontsize=7, xytext=(4, 3), textcoords="offset points"
        )
    ax.set_xlabel("Quality (%)")
    ax.set_ylabel(f"{bench.group_titles[other]} (%)")
    ax.set_title(f"Quality vs {bench.group_titles[other]}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def cost(table: pd.DataFrame, benchmark: str):
    """Generation seconds per video of the measured rows whose cost is known (labelled GPU or CPU)."""
    plt = _pyplot()
    known = table[table["seconds_per_video"].notna()]
    if known.empty:
        return None
    fig, ax = plt.subplots(figsize=(6.0, 0.5 * len(known) + 1.6))
    labels = [
        f"{display_name(r)} ({'GPU' if r['gpu'] else r['device'] or 'device unknown'})" for _, r in known.iterrows()
    ]
    ax.barh(labels, known["seconds_per_video"], color=_colors(known))
    gpu = known["gpu"].fillna(False).astype(bool)
    ax.set_xlabel("GPU-seconds per video" if gpu.all() else "device-seconds per video (see labels)")
    ax.set_title("Generation cost per video")
    fig.tight_layout()
    return fig


PLOTS = {"dimensions": dimension_bars, "radar": radar, "groups": group_scatter, "cost": cost}


def render_plots(table: pd.DataFrame, benchmark: str) -> dict[str, dict[str, bytes]]:
    """Every plot that has something to show: ``{name: {"png": bytes, "svg": bytes}}`` (no timestamps in either)."""
    rendered = {}
    for name, draw in PLOTS.items():
        fig = draw(table, benchmark)
        if fig is not None:
            rendered[name] = figure_bytes(fig)
    return rendered


def figure_bytes(fig) -> dict[str, bytes]:
    """``{"png": bytes, "svg": bytes}`` of ``fig`` (no timestamps in either), which is then closed."""
    import io

    plt = _pyplot()
    rendered = {}
    for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata=metadata)
        rendered[fmt] = buffer.getvalue()
    plt.close(fig)
    return rendered
