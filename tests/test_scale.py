"""A run of a few hundred videos stays linear in structure (counted calls, not timings): each video is hashed
once by the shard that makes it and once per rerun, not once per shard; byte-identical videos (hard links) are
scored once and counted apart; previews are made by the worker that imports a video, once per distinct file,
and the report links them rather than encoding them again. ``benchmarks/scale_vbench_i2v.py`` times the
real size (5590 videos, 512 shards)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from harness import run_inprocess

ITEMS, SAMPLES, SOURCES, SHARDS = 24, 5, 3, 40
DIMENSION = "temporal_flickering"  # no weights to load: the cheapest real VBench dimension


def _counting(monkeypatch, module, name: str, calls: Counter):
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory) -> tuple[Path, Path]:
    """A custom suite of ``ITEMS`` prompts and a folder of their videos: hard links of ``SOURCES`` small mp4s."""
    from PIL import Image

    from videogen.mp4 import write_mp4

    root = tmp_path_factory.mktemp("scale")
    sources = []
    for n in range(SOURCES):
        frames = np.full((6, 128, 128, 3), 60 * n, np.uint8)
        for t in range(len(frames)):
            frames[t, 10 * t : 10 * t + 30, 40:70] = 255
        sources.append(write_mp4(frames, root / f"source-{n}.mp4", fps=24))
    Image.new("RGB", (128, 128), (90, 140, 200)).save(root / "image.png")
    videos = root / "videos"
    videos.mkdir()
    rows = []
    for i in range(ITEMS):
        rows.append(json.dumps({"prompt": f"stand-in prompt {i}", "image": "image.png"}))
        for index in range(SAMPLES):
            os.link(sources[(i + index) % SOURCES], videos / f"stand-in prompt {i}-{index}.mp4")
    suite = root / "suite.jsonl"
    suite.write_text("\n".join(rows) + "\n")
    return suite, videos


def _args(suite: Path, videos: Path, run_dir: Path) -> list[str]:
    return [
        "+suite=custom",
        f"suite.path={suite}",
        f"suite.samples={SAMPLES}",
        "generator=external",
        f"generator.videos={videos}",
        "generator.expect_fps=24",
        f"run.shards={SHARDS}",
        f"run.dir={run_dir}",
        f"scoring.dimensions=[{DIMENSION}]",
        "scoring.chunks=8",
    ]


def test_a_few_hundred_videos_are_hashed_scored_and_previewed_once_each(stand_ins, tmp_path, monkeypatch):
    import eval.manifest
    import eval.report.previews
    import eval.workers.generate

    suite, videos = stand_ins
    units = ITEMS * SAMPLES
    run_dir, calls = tmp_path / "run", Counter()
    for module, name in (
        (eval.manifest, "sha256_file"),
        (eval.workers.generate, "sha256_file"),
        (eval.report.previews, "encode_preview"),
        (eval.report.previews, "sha256_file"),
    ):
        _counting(monkeypatch, module, name, calls)
    from eval.scoring.video_major import VideoMajorScorer, runs_video_major

    assert runs_video_major(DIMENSION)
    scored = []
    real_score = VideoMajorScorer.score

    def score(self, dimension, path, *args, **kwargs):
        scored.append(path)
        return real_score(self, dimension, path, *args, **kwargs)

    monkeypatch.setattr(VideoMajorScorer, "score", score)

    run_inprocess(*_args(suite, videos, run_dir), "run.stages=[generate]")
    # made: one hash per video; the 40 shards' checks of what is done hash none (nothing was done yet)
    assert calls["sha256_file"] == units
    previews = sorted((run_dir / "previews").glob("*.webp"))  # by the import worker, before any report
    assert len(previews) == calls["encode_preview"] == SOURCES

    calls.clear()
    run_inprocess(*_args(suite, videos, run_dir), "run.stages=[generate,score,aggregate,report]")
    assert calls["sha256_file"] == units + SOURCES + 1  # the stage's check, the files scored, the image
    assert len(scored) == SOURCES and calls["encode_preview"] == 0
    lines = [json.loads(line) for p in (run_dir / "scores" / DIMENSION).glob("*.jsonl") for line in p.open()]
    assert len(lines) == SOURCES  # one record per distinct file, shared by its hard links
    results = json.loads((run_dir / "results.json").read_text())
    entry = results["dimensions"][DIMENSION]
    assert entry["n_scored"] == entry["n_expected"] == units and entry["complete"]
    per_video = [v["scores"][DIMENSION] for v in results["videos"]]
    by_source = {v["sha256"]: v["scores"][DIMENSION] for v in results["videos"]}
    assert len(by_source) == SOURCES and entry["raw"] == pytest.approx(np.mean(per_video), abs=1e-12)
    page = next((run_dir / "report").glob("videos-*.html")).read_text()
    assert page.count("</tr>") == units + 1  # and the header
    linked = sorted((run_dir / "report" / "previews").glob("*.webp"))
    assert [p.name for p in linked] == [p.name for p in previews]
    assert all(a.stat().st_ino == b.stat().st_ino for a, b in zip(linked, previews))  # hard links, not copies

    calls.clear()
    scored.clear()
    run_inprocess(*_args(suite, videos, run_dir), "run.stages=[generate,score,aggregate,report]")  # no-op rerun
    assert calls["sha256_file"] == units + 1 and not scored and calls["encode_preview"] == 0
