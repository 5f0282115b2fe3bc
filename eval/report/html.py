"""``leaderboard.html`` (self-contained: plots embedded, styles and sorting inline) and the drill-down pages."""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from eval.benchmarks import get_benchmark
from eval.report.load import RunResults
from eval.report.table import dimension_label, display_name
from eval.vbench_constants import SOURCE

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLOT_TITLES = {
    "dimensions": "Per-dimension scores",
    "radar": "Normalised dimensions",
    "groups": "Quality against the other group",
    "cost": "Generation cost per video",
}
BANNER = (
    "Tiny random-weight models made these videos or scored them: every score in this report is meaningless. "
    "The run only shows the pipeline working end to end."
)


def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _number(value, digits: int = 2) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _value(value) -> str:
    """A cell's sort key: the full number, or '' when there is none."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _cell(value, html=None, css: str = "", title: str = "") -> dict:
    from markupsafe import escape

    return {
        "value": _value(value),
        "html": escape(_number(value)) if html is None else html,
        "css": css,
        "title": title,
    }


def _links(urls: str):
    from markupsafe import Markup, escape

    parts = [u.strip() for u in str(urls or "").split(";") if u.strip()]
    return Markup(" ".join(f'<a href="{escape(u)}">[{i + 1}]</a>' for i, u in enumerate(parts)))


def _model_cell(row: pd.Series, drilldown: dict[str, str]):
    from markupsafe import Markup, escape

    html = escape(display_name(row))
    if row["kind"] == "measured" and row["fingerprint"] in drilldown:
        html = Markup(f'<a class="drilldown" href="{escape(drilldown[row["fingerprint"]])}">{html}</a>')
    badges = [f'<span class="badge {row["kind"]}">{row["kind"]}</span>']
    if row["status"] == "partial":
        badges.append('<span class="badge partial">partial</span>')
    if row["older_formula"]:
        badges.append(f'<span class="badge older" title="{escape(row["formula"])}">older formula</span>')
    return _cell(display_name(row), html + Markup("".join(badges)), "text")


def leaderboard_page(
    table: pd.DataFrame,
    benchmark: str,
    runs: list[RunResults],
    plots: dict[str, bytes],
    drilldown: dict[str, str],
    comparisons: Sequence[dict] = (),
) -> str:
    """The leaderboard page for ``table`` with ``plots`` (name -> PNG bytes) embedded; ``drilldown`` maps a
    run's fingerprint to its page; ``comparisons`` links the compare pages (``href``, ``text``, ``why``)."""
    from markupsafe import Markup, escape

    bench = get_benchmark(benchmark)
    header = [
        {"label": "#", "type": "number", "title": "rank among comparable rows"},
        {"label": "model", "type": "text", "title": ""},
        {"label": "Total", "type": "number", "title": "Total (%)"},
        {
            "label": "published",
            "type": "number",
            "title": "the published Total of the same model, and this run's Total minus it",
        },
    ]
    header += [{"label": bench.group_titles[g], "type": "number", "title": f"{g} (%)"} for g in bench.groups]
    header += [{"label": dimension_label(d), "type": "number", "title": f"{d}, raw (%)"} for d in bench.dimensions]
    header += [
        {"label": "videos scored", "type": "number", "title": "n_scored / n_expected over all dimensions"},
        {"label": "s / video", "type": "number", "title": "generation seconds per video"},
        {"label": "source", "type": "text", "title": ""},
    ]
    rows, notes = [], []
    for _, row in table.iterrows():
        derived = {part.split(":")[0]: part for part in str(row["derived"] or "").split("; ") if part}
        cells = [
            _cell(row["rank"], escape("" if row["rank"] is pd.NA else str(row["rank"]))),
            _model_cell(row, drilldown),
            _cell(row["total"]),
            _published_cell(row),
        ]
        cells += [_cell(row[g], css="derived" if g in derived else "", title=derived.get(g, "")) for g in bench.groups]
        cells += [_cell(row[d], title=f"normalised {_number(row[f'{d}_normalised'])}") for d in bench.dimensions]
        scored = "" if math.isnan(row["n_scored"]) else f"{int(row['n_scored'])}/{int(row['n_expected'])}"
        cells.append(_cell(row["n_scored"], escape(scored)))
        device = "GPU" if row["gpu"] is True else (row["device"] or "")
        cells.append(
            _cell(
                row["seconds_per_video"],
                escape(
                    f"{_number(row['seconds_per_video'], 1)} {device}".strip()
                    if _value(row["seconds_per_video"])
                    else ""
                ),
            )
        )
        source = escape(row["source"]) + (Markup(" ") + _links(row["source_url"]) if row["source_url"] else "")
        cells.append(_cell(row["source"], Markup(source), "text"))
        rows.append({"kind": row["kind"], "model": display_name(row), "cells": cells})
        for label, text in (("", row["note"]), ("missing: ", row["missing"]), ("derived: ", row["derived"])):
            if isinstance(text, str) and text:
                notes.append({"model": display_name(row), "text": label + text})
    return (
        _environment()
        .get_template("leaderboard.html.j2")
        .render(
            title=bench.title,
            formula=bench.formula,
            constants_source=SOURCE,
            standard_suite=bench.suite,
            header=header,
            rows=rows,
            notes=notes,
            comparisons=comparisons,
            plots=[{"name": p, "title": PLOT_TITLES[p], "data_uri": _data_uri(png)} for p, png in plots.items()],
            provenance=[_provenance(r) for r in runs],
            banner=BANNER if any(r.random_weights for r in runs) else "",
            style=(TEMPLATES / "style.css").read_text(),
            script=Markup((TEMPLATES / "sortable.js").read_text()),
        )
    )


def _published_cell(row) -> dict:
    """For a measured run of a model with a published row: that Total and the difference, side by side."""
    from markupsafe import escape

    if not _value(row["published_total"]):
        return _cell(math.nan, "")
    delta = row["vs_published"]
    text = f"{_number(row['published_total'])}" + (f" ({delta:+.2f})" if _value(delta) else "")
    return _cell(row["published_total"], escape(text), title=f"published as {row['published_as']}")


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _provenance(run: RunResults) -> dict:
    data, prov = run.data, run.data["provenance"]
    harness = prov.get("harness", {})
    scoring = prov.get("scoring", {})
    scorer_files = sorted(
        {f"{name}: {digest[:19]}" for files in scoring.get("weights", {}).values() for name, digest in files.items()}
    )
    items = [
        ("run", str(run.run_dir)),
        ("date of the newest result", data.get("date") or "unknown"),
        ("suite", data["suite"]),
        ("harness", f"{harness.get('version')} (git {harness.get('git_sha') or 'unknown'})"),
        ("packages", ", ".join(f"{k} {v}" for k, v in prov.get("packages", {}).items() if v)),
        ("VBench code", _code_line(scoring.get("code", {})) + f" ({scoring.get('preprocessing')})"),
        ("generator weights", "; ".join(prov.get("generation", {}).get("weights", [])) or "unknown"),
        ("generation devices", ", ".join(prov.get("generation", {}).get("devices", [])) or "unknown"),
        ("scorer weights", ("random-weight fixtures; " if scoring.get("fixtures") else "") + "; ".join(scorer_files)),
        ("constants", data["constants_source"]),
        (
            "95% intervals",
            "bootstrap, {resamples} resamples over {unit}s, seed {seed}".format(**data["bootstrap"])
            if data.get("bootstrap")
            else "none",
        ),
    ]
    return {"model": data["model"], "fingerprint": data["fingerprint"], "items": items}


def videos_page(run: RunResults, dimensions: list[str], media: dict[str, dict]) -> str:
    """The drill-down page of one run: every video with its preview, prompt, image, seed and scores.

    ``media`` maps a video key to its ``preview`` and ``image`` paths (relative to the report).
    """
    videos = []
    for video in run.data["videos"]:
        found = media.get(video["key"], {})
        scores = []
        for dim in dimensions:
            value = video["scores"].get(dim)
            text = value if value == "failed" else _number(value, 4)
            scores.append({"value": "" if value == "failed" else _value(value), "text": text})
        videos.append(
            {
                **video,
                "preview": found.get("preview"),
                "image": found.get("image"),
                "image_name": Path(video["image"]).name if video["image"] else "",
                "state": "not generated" if video["video"] is None else "video file missing",
                "seconds": _number(video["seconds"], 1),
                "seconds_value": _value(video["seconds"]),
                "scores": scores,
            }
        )
    from markupsafe import Markup

    return (
        _environment()
        .get_template("videos.html.j2")
        .render(
            model=run.data["model"],
            suite=run.data["suite"],
            fingerprint=run.data["fingerprint"],
            n_videos=len(videos),
            dimensions=dimensions,
            videos=videos,
            banner=BANNER if run.random_weights else "",
            style=(TEMPLATES / "style.css").read_text(),
            script=Markup((TEMPLATES / "sortable.js").read_text()),
        )
    )


def _code_line(codes: dict[str, str]) -> str:
    """Which code scored which dimensions: ``VBench@45e79ec (a, b); vbench==0.1.5 (c)``."""
    by_code: dict[str, list[str]] = {}
    for dim, code in codes.items():
        by_code.setdefault(code, []).append(dim)
    return "; ".join(f"{code} ({', '.join(dims)})" for code, dims in by_code.items()) or "unknown"
