"""``python -m eval.export vbench RUN --out evaluation_results.zip``: a run's scores as VBench's own result
file, zipped for VBench's leaderboard, with the model details its submission form asks for beside it.

The file is what ``VBench.evaluate`` / ``VBenchI2V.evaluate`` write (vbench/__init__.py:155-157 and
vbench2_beta_i2v/__init__.py:38-39 in the vbench 0.1.5 wheel and at VBench 45e79ec): ``<name>_eval_results.json``,
``{dimension: [aggregate, per-video list]}`` (camera_motion: ``[aggregate, per-type means, per-video list]``,
vbench2_beta_i2v/camera_motion.py:200-204), indented 4 as ``save_json`` writes it (vbench/utils.py:386-388).
The aggregate is the run's raw value from ``results.json`` (VBench's single-process formula, eval/results.py).
``name`` defaults to ``results_<date>``, after VBench's ``name=f'results_{current_time}'`` (evaluate.py:141 at
45e79ec), with the run's date so the same run gives the same bytes.

It is zipped flat, as VBench's README has it (``cd evaluation_results; zip -r ../evaluation_results.zip .``,
README.md:294-306 at 45e79ec; vbench2_beta_i2v/README.md:429-441). Only the benchmark's scored dimensions go
in: VBench-I2V's ``scripts/cal_i2v_final_score.py`` maps every key through ``I2VKEY`` (scripts/constant.py),
which has no temporal_flickering, and reads every JSON file in the zip as ``{dimension: [...]}``
(cal_i2v_final_score.py:17-35), so the model details go in a separate file beside the zip.

VBench's scripts score a missing dimension as 0 (``upload_data[key] = 0``, cal_final_score.py:37-39 and
cal_i2v_final_score.py:37-39), so a partial run is refused, naming what is missing; ``allow_partial`` writes the
complete dimensions only, and every line printed then starts with a warning.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.atomic import json_bytes, write_files_atomic
from eval.benchmarks import BENCHMARKS
from eval.errors import HarnessError
from eval.manifest import done_records
from eval.report.load import RunResults, load_results
from eval.scoring.records import ScoreRecord, current_scores
from eval.scoring.specs import CAMERA_PHRASES, spec

FORMATS = ("vbench",)
# VBench-I2V's i2v dimensions write the crop's path under this root and the ratio they were given
# (vbench2_beta_i2v/utils.py:278, i2v_subject.py:63); the harness hands VBench every crop under 16-9
# (eval/scoring/vbench_call.py, build_view's default ratio).
I2V_IMAGE_ROOT = "vbench2_beta_i2v/data/crop/16-9"
# VBench's script that computes the leaderboard's Total from such a zip, per benchmark.
CHECK_SCRIPT = {"vbench": "scripts/cal_final_score.py", "vbench_i2v": "scripts/cal_i2v_final_score.py"}
# The model details VBench's leaderboard lists for every model (vbench2_beta_i2v/README.md:323 at 45e79ec, the
# columns of "What are the Details of the Video Generation Models?"); the HF form asks for them with the zip
# (README-FAQ.md, option 3: "Make sure to also fill in model details").
MODEL_FIELDS = (
    "Model",
    "Evaluation Party",
    "Release Time",
    "Resolution",
    "FPS",
    "Frame Count",
    "Video Length",
    "Checkpoint",
    "Code Commit ID",
    "Video Format",
    "Sampled Videos",
    "Other Settings",
)


class ExportError(HarnessError):
    """A run that cannot be exported without misleading."""


@dataclass(frozen=True)
class Export:
    """What ``export_vbench`` wrote: the zip, the model details file, and what it printed."""

    zip_path: Path
    model_info_path: Path
    result_file: str
    dimensions: tuple[str, ...]
    missing: tuple[str, ...]
    lines: tuple[str, ...]


def missing_dimensions(results: dict) -> tuple[str, ...]:
    """The benchmark's scored dimensions that the run has not scored completely."""
    dims = results["dimensions"]
    return tuple(
        d
        for d in BENCHMARKS[results["benchmark"]].scored
        if not (d in dims and dims[d]["complete"] and dims[d]["raw"] is not None)
    )


def vbench_results(run: RunResults, dimensions: Sequence[str]) -> dict:
    """``{dimension: [aggregate, per-video list]}`` for ``dimensions``, as VBench's evaluate writes it."""
    data = run.data
    out = {}
    for dim in dimensions:
        entry = data["dimensions"][dim]
        records = current_scores(run.run_dir, dim, entry["scorer"])
        scored = [(row, _record(run, records, dim, row)) for row in _counted(data["videos"], dim)]
        # color lists only the videos it counted (color.py:81-88); the others are stored as UNCOUNTED
        videos = [_video_entry(dim, row, r) for row, r in scored if r.extra.get("counted", True)]
        if dim == "camera_motion":
            out[dim] = [entry["raw"], _per_type(videos), videos]
        else:
            out[dim] = [entry["raw"], videos]
    return out


def _counted(videos: list[dict], dim: str) -> list[dict]:
    """The videos whose score entered ``dim``'s aggregate (numbers; not failures, not the static filter's rest)."""
    return [v for v in videos if isinstance(v["scores"].get(dim), int | float)]


def _record(run: RunResults, records: dict[str, ScoreRecord], dim: str, row: dict) -> ScoreRecord:
    record = records.get(row["sha256"])
    if record is None or record.status != "ok":
        raise ExportError(
            f"{run.path}: video {row['key']} has a {dim} score but {run.run_dir}/scores/{dim}/ has no ok line for "
            "it under that scorer; rebuild results.json from the stored scores with the run's command and "
            "run.stages=[aggregate]"
        )
    return record


def _video_entry(dim: str, row: dict, record: ScoreRecord) -> dict:
    """One per-video entry with VBench's field names and order. ``video_path`` is VBench's file name for the
    video (VBench joins it to the folder it was given; the run's files are named by unit key). Only the fields
    the stored score keeps exactly are written: not background_consistency's ``video_sim``, nor the
    ``frame_results`` of appearance_style and spatial_relationship, nor appearance_style's ``cur_sim``; VBench's
    scripts and leaderboard read only each dimension's aggregate (``cur_json[key][0]``, cal_final_score.py:35)."""
    value, weight, extra = record.value, record.weight, record.extra
    entry = {"image_path": f"{I2V_IMAGE_ROOT}/{Path(row['image']).name}"} if spec(dim).needs_image else {}
    entry["video_path"] = f"{row['prompt']}-{row['index']}.mp4"
    entry["video_results"] = value
    if dim == "background_consistency":  # background_consistency.py:58-62
        entry["cnt_per_video"] = int(weight)
    elif dim in ("object_class", "multiple_objects", "scene"):  # object_class.py:63-67 (the others alike)
        entry["success_frame_count"] = round(value * weight)
        entry["frame_count"] = int(weight)
    elif dim == "human_action":  # human_action.py:104-107: a flag, and 1 or 0 correct
        entry["video_results"] = bool(value)
        entry["cor_num_per_video"] = int(value)
    elif dim == "color":  # color.py:85-88
        entry["cur_success_frame_rate"] = value
    elif dim == "camera_motion":  # camera_motion.py:189; predict_type as stored (sorted, see eval/scoring/specs.py)
        entry["prompt_type"] = extra["prompt_type"]
        entry["predict_type"] = extra["predict_type"]
    return entry


def _per_type(videos: list[dict]) -> dict[str, float]:
    """camera_motion's per-type means in VBench's key order, NaN where no video has the type, as
    ``np.mean([])`` gives and ``json.dump`` writes (camera_motion.py:171-195)."""
    out = {}
    for kind in CAMERA_PHRASES.values():
        values = [v["video_results"] for v in videos if v["prompt_type"] == kind]
        out[kind] = sum(values) / len(values) if values else math.nan
    return out


def model_info(run: RunResults) -> dict:
    """The leaderboard's model details, filled in from the run where it knows them (``None``: yours to fill)."""
    data = run.data
    done = list(done_records(run.run_dir, verify=False).values())
    sizes = sorted({f"{r.width}x{r.height}" for r in done if r.width})
    fps = sorted({r.fps for r in done if r.fps})
    frames = sorted({r.frames for r in done if r.frames})
    lengths = sorted({f"{r.frames / r.fps:.2f}s" for r in done if r.frames and r.fps})
    provenance = data.get("provenance", {})
    sha = provenance.get("harness", {}).get("git_sha")
    info = dict.fromkeys(MODEL_FIELDS)
    info.update(
        {
            "Model": data["model"],
            "Resolution": ", ".join(sizes) or None,
            "FPS": _one_or_list(fps),
            "Frame Count": _one_or_list(frames),
            "Video Length": ", ".join(lengths) or None,
            "Checkpoint": provenance.get("generation", {}).get("weights") or None,
            "Code Commit ID": f"skyreels-eval@{sha}" if sha else None,
            "Video Format": "MP4",
            "Other Settings": data["generator"],
        }
    )
    return {
        "benchmark": data["benchmark"],
        "suite": data["suite"],
        "random_weights": run.random_weights,
        "model_details": info,
        "expected_scores": {
            "total": data["total"]["value"],
            **{g: v["value"] for g, v in data["groups"].items()},
        },
    }


def _one_or_list(values: list):
    return values[0] if len(values) == 1 else (values or None)


def export_vbench(run_path: Path, out: Path, *, name: str | None = None, allow_partial: bool = False) -> Export:
    """Write the zip and ``<out stem>_model_info.json`` beside it (atomically, together); see the module docstring."""
    run = load_results(run_path)
    data = run.data
    bench = BENCHMARKS[data["benchmark"]]
    missing = missing_dimensions(data)
    if missing and not allow_partial:
        raise ExportError(
            f"{run.path} is partial: {', '.join(missing)} not completely scored. VBench's scripts and leaderboard "
            "would score each of them as 0 (cal_final_score.py, cal_i2v_final_score.py). Score them (rerun the "
            "run's command; `python -m eval.status RUN` says what is pending or failed), or pass --allow-partial "
            "to export the complete dimensions only"
        )
    dimensions = tuple(d for d in bench.scored if d not in missing)
    if not dimensions:
        raise ExportError(f"{run.path} has no completely scored {bench.name} dimension; nothing to export")
    out = Path(out)
    result_file = f"{name or 'results_' + (data['date'] or 'undated')}_eval_results.json"
    payload = (json.dumps(vbench_results(run, dimensions), indent=4) + "\n").encode()
    info_path = out.with_name(f"{out.stem}_model_info.json")
    write_files_atomic({out: _zip({result_file: payload}), info_path: json_bytes(model_info(run))})
    warn = f"WARNING partial export, missing {', '.join(missing)} (VBench scores them as 0): " if missing else ""
    lines = [
        f"export: {out} holds {result_file} ({len(dimensions)} {bench.name} dimensions of {run.run_dir})",
        f"export: {info_path}: the model details the leaderboard's form asks for; fill in the null fields",
        f"export: check it with VBench's own script: python <VBench@45e79ec>/{CHECK_SCRIPT[bench.name]} "
        f"--zip_file {out} --model_name <your model name>",
        "export: submit the zip and the model details through the submission form of "
        "https://huggingface.co/spaces/Vchitect/VBench_Leaderboard (VBench's README-FAQ.md, option 3)",
    ]
    if run.random_weights:
        lines.insert(0, "export: random weights (tiny models or fixtures): the numbers are meaningless; do not submit")
    return Export(out, info_path, result_file, dimensions, missing, tuple(warn + line for line in lines))


def _zip(files: dict[str, bytes]) -> bytes:
    """A flat zip of ``files`` with a fixed timestamp, so the same results give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, data in files.items():
            archive.writestr(zipfile.ZipInfo(filename, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.export", description="Export a run's scores as VBench's result files for its leaderboard."
    )
    parser.add_argument("format", choices=FORMATS, help="vbench: VBench's and VBench-I2V's eval_results JSON")
    parser.add_argument("run", type=Path, help="a run directory or its results.json")
    parser.add_argument("--out", type=Path, default=Path("evaluation_results.zip"))
    parser.add_argument("--name", help="the result file's name before _eval_results.json (default results_<date>)")
    parser.add_argument(
        "--allow-partial", action="store_true", help="export only the complete dimensions (VBench scores others 0)"
    )
    args = parser.parse_args(argv)
    try:
        result = export_vbench(args.run, args.out, name=args.name, allow_partial=args.allow_partial)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(result.lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
