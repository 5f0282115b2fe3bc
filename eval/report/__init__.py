"""Reports: leaderboards (CSV, JSON, HTML, plots) and per-video drill-down pages built from stored results.

A report is a pure function of ``results.json`` files (and the videos they list) plus the published
baselines in ``reports/baselines/``: building it twice from the same files gives the same bytes.
``python -m eval.report RUN_DIR ...`` builds one; the ``report`` stage of ``eval.run`` builds the
run's own into ``<run>/report/``.
"""

from eval.report.build import build_report

__all__ = ["build_report"]
