"""The compare page of two runs (B minus A for every dimension, group and Total, with the test named) and
its pairs pages (for one dimension, the video pairs that differ most, side by side), from a ``Comparison``.

Pages are named by suite and both fingerprints (``compare-<suite>-<fpA>-<fpB>.html``,
``pairs-<suite>-<fpA>-<fpB>-<dimension>.html``); previews and thumbnails are the drill-down pages'
content-addressed files (``eval.report.previews``), so a report makes each once.
"""

from __future__ import annotations

from pathlib import Path

from eval.compare import CompareError, Comparison, compare
from eval.report.compare_plots import differences, prompt_differences, row_title
from eval.report.html import BANNER, TEMPLATES, _data_uri, _environment, _number, _value
from eval.report.load import RunResults
from eval.report.plots import figure_bytes
from eval.report.table import dimension_label

TOP = 20  # video pairs shown per dimension


def page_name(comparison: Comparison, dimension: str | None = None) -> str:
    """The compare page's file name, or that of the pairs page of ``dimension``."""
    c = comparison
    stem = f"{c.suite}-{c.a.data['fingerprint']}-{c.b.data['fingerprint']}"
    return f"compare-{stem}.html" if dimension is None else f"pairs-{stem}-{dimension}.html"


def suite_comparisons(runs: list[RunResults]) -> tuple[list[Comparison], list[dict]]:
    """Every two runs of one suite compared (the earlier as A), and the leaderboard's links to them: ``href``
    and ``text``, or ``why`` where a pair cannot be compared (another suite version, no shared items)."""
    comparisons, links = [], []
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            if a.data["suite"] != b.data["suite"]:
                continue
            try:
                c = compare(a, b)
            except CompareError as err:
                links.append({"href": None, "text": f"{b.data['model']} vs {a.data['model']}", "why": str(err)})
                continue
            comparisons.append(c)
            marked = sum(r.significant for r in c.rows)
            text = f"{c.label_b} vs {c.label_a} on {c.suite}: {marked} of {len(c.rows)} differences significant"
            links.append({"href": page_name(c), "text": text, "why": ""})
    return comparisons, links


def comparison_files(
    comparisons: list[Comparison], out_dir: Path, *, previews: bool = True, back: str | None = None
) -> dict[Path, bytes]:
    """``{path: bytes}`` of every compare and pairs page (previews are written as they are made); ``back`` is
    the page they link back to, if any."""
    files = {}
    for c in comparisons:
        plot = differences(c)
        files[out_dir / page_name(c)] = _compare_page(c, plot and figure_bytes(plot)["png"], back).encode()
        for dim in c.pairs:
            media = _media(c, dim, out_dir) if previews else {}
            figure = prompt_differences(c, dim)
            png = figure and figure_bytes(figure)["png"]
            files[out_dir / page_name(c, dim)] = _pairs_page(c, dim, media, png).encode()
    return files


def write_comparison_pages(comparisons: list[Comparison], out_dir: Path, *, previews: bool = True) -> list[Path]:
    """Write the pages of ``comparisons`` into ``out_dir`` together; returns the compare pages."""
    from eval.atomic import write_files_atomic

    out_dir = Path(out_dir).resolve()
    write_files_atomic(comparison_files(comparisons, out_dir, previews=previews))
    return [out_dir / page_name(c) for c in comparisons]


def _media(c: Comparison, dim: str, out_dir: Path) -> dict[str, str | None]:
    """Preview or thumbnail paths (relative to the report) of the shown pairs' videos (by sha256) and images."""
    from eval.report.previews import image_thumbnail, video_preview

    media = {}
    for pair in c.pairs[dim][:TOP]:
        for run, video in ((c.a, pair.a), (c.b, pair.b)):
            if video["video"] and video["sha256"] not in media:
                media[video["sha256"]] = video_preview(run.run_dir / video["video"], video["sha256"], out_dir)
            if video["image"] and video["image"] not in media:
                media[video["image"]] = image_thumbnail(Path(video["image"]), out_dir)
    return media


def _pct(value, sign: str = "") -> str:
    return "" if value is None else f"{100 * value:{sign}.2f}"


def _common(c: Comparison) -> dict:
    from markupsafe import Markup

    return {
        "label_a": c.label_a,
        "label_b": c.label_b,
        "run_a": str(c.a.run_dir),
        "run_b": str(c.b.run_dir),
        "suite": c.suite,
        "test": c.test,
        "caution": c.caution,
        "banner": BANNER if c.a.random_weights or c.b.random_weights else "",
        "style": (TEMPLATES / "style.css").read_text(),
        "script": Markup((TEMPLATES / "sortable.js").read_text()),
    }


def _compare_page(c: Comparison, plot: bytes | None, back: str | None) -> str:
    rows = []
    for row in c.rows:
        pairs = page_name(c, row.name) if row.kind == "dimension" and row.name in c.pairs else None
        delta = _pct(row.delta, "+")
        rows.append(
            {
                "name": row.name,
                "title": row_title(row, c.benchmark),
                "kind": row.kind,
                "pairs": pairs,
                "a": _value(None if row.a is None else 100 * row.a),
                "b": _value(None if row.b is None else 100 * row.b),
                "delta": _value(None if row.delta is None else 100 * row.delta),
                "low": _value(None if row.low is None else 100 * row.low),
                "a_text": _pct(row.a),
                "b_text": _pct(row.b),
                "delta_text": delta,
                "interval_text": "" if row.low is None else f"[{_pct(row.low, '+')}, {_pct(row.high, '+')}]",
                "significant": row.significant,
                "n_prompts": row.n_prompts if row.kind == "dimension" and not row.refused else "",
                "note": f"refused: {row.refused}" if row.refused else "interval excludes 0" if row.significant else "",
            }
        )
    return (
        _environment()
        .get_template("compare.html.j2")
        .render(
            **_common(c),
            benchmark=c.benchmark,
            back=back,
            differs=c.differs,
            n_items=dict(zip(("shared", "only_a", "only_b"), c.n_items)),
            level=round(100 * c.level),
            rows=rows,
            plot=_data_uri(plot) if plot else None,
        )
    )


def _pairs_page(c: Comparison, dim: str, media: dict, plot: bytes | None) -> str:
    shown = []
    for rank, pair in enumerate(c.pairs[dim][:TOP], 1):
        sides = []
        for video, score in ((pair.a, pair.score_a), (pair.b, pair.score_b)):
            sides.append(
                {
                    "key": video["key"],
                    "preview": media.get(video["sha256"]),
                    "seed": video["seed"],
                    "score": _value(score),
                    "score_text": _number(score, 4),
                    "state": "not generated" if video["video"] is None else "video file missing",
                }
            )
        images = {media.get(v["image"]): Path(v["image"]).name for v in (pair.a, pair.b) if v["image"]}  # by content
        shown.append(
            {
                "rank": rank,
                "difference": _value(pair.difference),
                "difference_text": f"{pair.difference:+.4f}",
                "prompt": pair.a["prompt"],
                "item_id": pair.a["item_id"],
                "index": pair.a["index"],
                "images": [{"src": src, "name": name} for src, name in images.items()],
                "sides": sides,
            }
        )
    return (
        _environment()
        .get_template("pairs.html.j2")
        .render(
            **_common(c),
            compare=page_name(c),
            dimension=dim,
            dimension_title=dimension_label(dim),
            n_pairs=len(c.pairs[dim]),
            pairs=shown,
            plot=_data_uri(plot) if plot else None,
        )
    )
