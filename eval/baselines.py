"""Published VBench / VBench-I2V figures (``reports/baselines/*.csv``), loaded and validated.

Scores in the files are percent, as published; ``raw_fractions`` turns a row's dimensions into
the fractions that ``eval.aggregate.aggregate`` takes. Column meanings:
``reports/baselines/README.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from eval.benchmarks import get_benchmark
from eval.errors import HarnessError

BASELINES_DIR = Path(__file__).resolve().parent.parent / "reports" / "baselines"
TEXT_COLUMNS = ("model", "benchmark", "formula", "source", "source_url", "note")


class BaselinesError(HarnessError):
    """A baselines file that is missing or malformed."""


def score_columns(benchmark: str) -> tuple[str, ...]:
    """Numeric columns (percent): total, the benchmark's groups, then every dimension."""
    bench = get_benchmark(benchmark)
    return ("total", *bench.groups, *bench.dimensions)


def load_baselines(benchmark: str, path: Path | None = None) -> pd.DataFrame:
    """The baselines of ``benchmark``; score columns are floats, NaN where not published.

    ``path`` defaults to ``reports/baselines/`` + the benchmark's ``baselines`` file. Raises ``BaselinesError``
    naming the file and the problem: missing file, missing or unexpected column, a non-numeric
    or out-of-range score, a row of another benchmark, or an empty model name.
    """
    path = Path(path) if path is not None else BASELINES_DIR / get_benchmark(benchmark).baselines
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except OSError as exc:
        raise BaselinesError(f"cannot read baselines file {path}: {exc.strerror}") from None
    expected = (*TEXT_COLUMNS, *score_columns(benchmark))
    missing = [c for c in expected if c not in table.columns]
    if missing:
        raise BaselinesError(
            f"{path}: missing column(s) {', '.join(missing)}; add them to the "
            "header (empty cells where nothing was published)"
        )
    extra = [c for c in table.columns if c not in expected]
    if extra:
        raise BaselinesError(
            f"{path}: unexpected column(s) {', '.join(extra)}; {benchmark} "
            f"baselines have exactly: {', '.join(expected)}"
        )
    for column in score_columns(benchmark):
        values = pd.to_numeric(table[column].replace("", math.nan), errors="coerce")
        bad = table[column][(table[column] != "") & ~values.between(0, 100)]
        if not bad.empty:
            raise BaselinesError(
                f"{path}: column {column} holds {bad.iloc[0]!r}; scores are "
                "percent as published, a number from 0 to 100, or empty"
            )
        table[column] = values.astype(float)
    wrong = table.loc[table["benchmark"] != benchmark, "model"]
    if not wrong.empty:
        raise BaselinesError(
            f"{path}: row {wrong.iloc[0]!r} is not a {benchmark} row; move it "
            "to its benchmark's file or fix its benchmark column"
        )
    if (table["model"].str.strip() == "").any():
        raise BaselinesError(f"{path}: a row has an empty model name; name the model")
    return table[list(expected)]


def raw_fractions(row: pd.Series, benchmark: str) -> dict[str, float | None]:
    """A baseline row's published dimensions as fractions (``None`` where not published)."""
    return {d: None if math.isnan(row[d]) else row[d] / 100.0 for d in get_benchmark(benchmark).dimensions}
