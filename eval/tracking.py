"""Optional experiment tracking: ``report.tracker=wandb`` or ``mlflow`` logs a run once its ``results.json`` exists
(at the end of the report stage): its settings, its Total, group and dimension scores, and the per-video table with
the report's animated previews.

Offline unless told otherwise. W&B: offline mode (``WANDB_MODE=offline``, unless ``WANDB_MODE`` is set) under
``<run>/wandb/``, uploaded later with ``wandb sync <run>/wandb/offline-run-*``. MLflow: the local file store
``file:<run>/mlruns`` (unless ``MLFLOW_TRACKING_URI`` names a server or database); MLflow 3.17 refuses that store
unless ``MLFLOW_ALLOW_FILE_STORE=true`` (``FileStore.__init__``, mlflow/store/tracking/file_store.py:224), which is
set for it. Each logging appends a line to ``<run>/tracking.jsonl``; the same results are not logged twice.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from eval.atomic import sha256_file
from eval.errors import HarnessError
from eval.jsonl import append_line, read_lines

TRACKERS = {"wandb": "wandb", "mlflow": "mlflow"}  # report.tracker -> the module it needs
EXTRA = "tracking"  # pyproject's optional extra that installs both
LOGGED = "tracking.jsonl"
PROJECT = "skyreels-eval"


class TrackerError(HarnessError):
    """An unknown tracker, or one whose package is not installed."""


def check_tracker(name: str) -> None:
    """Refuse an unknown tracker or a missing package, naming the extra that installs it (a preflight: seconds)."""
    if name not in TRACKERS:
        raise TrackerError(f"report.tracker={name} is not known; it takes {' or '.join(TRACKERS)} (or null: none)")
    if importlib.util.find_spec(TRACKERS[name]) is None:
        raise TrackerError(
            f"report.tracker={name} needs the {TRACKERS[name]} package, which is not installed: "
            f"pip install -e '.[{EXTRA}]' (or leave report.tracker unset)"
        )


def log_run(name: str, run_dir: Path, report_dir: Path, project: str = PROJECT) -> str:
    """Log the run's ``results.json`` to tracker ``name``; returns where it went (or that it was there already).
    Previews are those of the report in ``report_dir`` (none where it was built without them)."""
    check_tracker(name)
    run_dir = Path(run_dir)
    results_file = run_dir / "results.json"
    digest = sha256_file(results_file)
    for line in read_lines(run_dir / LOGGED):
        if line.get("tracker") == name and line.get("results_sha256") == digest:
            return f"{line['where']} (these results were logged there already)"
    results = json.loads(results_file.read_text())
    where = (_wandb if name == "wandb" else _mlflow)(results, run_dir, _previews(results, report_dir), project)
    append_line(run_dir / LOGGED, {"tracker": name, "results_sha256": digest, "where": where, "time": time.time()})
    return where


def settings(results: dict) -> dict:
    """What the run was: the model, suite, generator settings and fingerprint, the scorer id of each dimension and
    the bootstrap."""
    return {
        "model": results["model"],
        "suite": results["suite"],
        "benchmark": results["benchmark"],
        "fingerprint": results["fingerprint"],
        "generator": results["generator"],
        "scorers": {dim: entry["scorer"] for dim, entry in results["dimensions"].items()},
        "bootstrap": results["bootstrap"],
        "status": results["status"],
    }


def scores(results: dict) -> dict[str, float]:
    """Total, groups and each dimension's raw and normalised value, where they exist (a partial run has no Total)."""
    out = {"total": results["total"]["value"]}
    out.update({f"group/{g}": v["value"] for g, v in results["groups"].items()})
    for dim, entry in results["dimensions"].items():
        out[f"raw/{dim}"], out[f"normalised/{dim}"] = entry["raw"], entry["normalised"]
    return {k: v for k, v in out.items() if v is not None}


def video_rows(results: dict) -> tuple[list[str], list[list]]:
    """The per-video table: one row per planned video, its unit, prompt, image and each dimension's score (None
    where there is none, the string ``failed`` where it failed)."""
    dims = list(results["dimensions"])
    columns = ["key", "item_id", "index", "seed", "prompt", "image", "video", *dims]
    rows = [
        [v["key"], v["item_id"], v["index"], v["seed"], v["prompt"], v["image"], v["video"]]
        + [v["scores"].get(d) for d in dims]
        for v in results["videos"]
    ]
    return columns, rows


def _previews(results: dict, report_dir: Path) -> dict[str, Path]:
    """Video key -> the report's animated preview of it, where the report has one."""
    from eval.report.previews import PREVIEW_VERSION

    found = {}
    for v in results["videos"]:
        path = Path(report_dir) / "previews" / f"{(v['sha256'] or '')[:16]}-v{PREVIEW_VERSION}.webp"
        if v["sha256"] and path.is_file():
            found[v["key"]] = path
    return found


def _wandb(results: dict, run_dir: Path, previews: dict[str, Path], project: str) -> str:
    import wandb

    run = wandb.init(
        project=project,
        name=f"{results['model']} {results['suite']} {results['fingerprint']}",
        group=results["suite"],
        dir=str(run_dir),
        mode=os.environ.get("WANDB_MODE", "offline"),
        config=settings(results),
        settings=wandb.Settings(console="off"),  # leave this process's output alone
    )
    try:
        columns, rows = video_rows(results)
        table = wandb.Table(columns=[*columns, "preview"])
        for row in rows:
            preview = previews.get(row[0])
            table.add_data(*row, wandb.Image(str(preview)) if preview else None)
        run.log({**scores(results), "videos": table})
        run.summary.update(scores(results))
        where = str(Path(run.dir).parent) if run.offline else run.url
    finally:
        run.finish()
    return where


@contextmanager
def _file_store(run_dir: Path):
    """MLflow's tracking URI: ``MLFLOW_TRACKING_URI`` where set, else the file store under the run (allowed for the
    block, see the module's docstring)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        yield os.environ["MLFLOW_TRACKING_URI"]
        return
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield (run_dir / "mlruns").resolve().as_uri()
    finally:
        if before is None:
            del os.environ["MLFLOW_ALLOW_FILE_STORE"]
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


def _mlflow(results: dict, run_dir: Path, previews: dict[str, Path], project: str) -> str:
    import mlflow

    with _file_store(run_dir) as uri:
        client = mlflow.MlflowClient(tracking_uri=uri)
        experiment = client.get_experiment_by_name(project)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(project)
        run = client.create_run(
            experiment_id,
            run_name=f"{results['model']} {results['suite']} {results['fingerprint']}",
            tags={"suite": results["suite"], "benchmark": results["benchmark"], "status": results["status"]},
        )
        run_id = run.info.run_id
        try:
            for key, value in _flat(settings(results)).items():
                client.log_param(run_id, key, value)
            for key, value in scores(results).items():
                client.log_metric(run_id, key, value)
            columns, rows = video_rows(results)
            # log_table's own form (columns, data), written with json's full precision: log_table goes through
            # pandas' to_json, which keeps 10 digits
            data = [[*row, f"previews/{previews[row[0]].name}" if row[0] in previews else None] for row in rows]
            client.log_dict(run_id, {"columns": [*columns, "preview"], "data": data}, "videos.json")
            for path in previews.values():
                client.log_artifact(run_id, str(path), "previews")
        except BaseException:
            client.set_terminated(run_id, "FAILED")
            raise
        client.set_terminated(run_id)
    return f"{uri} (experiment {project}, run {run_id})"


def _flat(tree: dict, prefix: str = "") -> dict[str, str]:
    """Nested settings as MLflow params: dotted keys, values as JSON text (strings as they are)."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value if isinstance(value, str) else json.dumps(value)
    return flat
