"""The video-major scorer (eval/scoring/video_major.py): VBench's own values, one decode per decoder per video,
one build per model per worker, and early exits that give the full loop's boolean."""

from __future__ import annotations

import json
import random
import shutil

import numpy as np
import pytest
from harness import manifest_lines

from eval.benchmarks import BENCHMARKS

# VBench-I2V's dimensions that run without VBench's source tree (camera_motion needs it)
QUALITY = [d for d in BENCHMARKS["vbench_i2v"].defaults if d != "camera_motion"]


def _two_video_copy(run_dir, tmp_path):
    """The smoke run without scores and with two of its videos (two prompts, two images)."""
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns("scores", "scoring-work", "results.json", ".lock"))
    kept, seen = [], set()
    for line in manifest_lines(copy):
        if line["item_id"] not in seen and len(kept) < 2:
            kept.append(json.dumps(line))
            seen.add(line["item_id"])
    for path in (copy / "manifests").glob("*.jsonl"):
        path.unlink()
    (copy / "manifests" / "shard-00000-of-00001.jsonl").write_text("\n".join(kept) + "\n")
    return copy


def test_one_worker_decodes_each_video_once_builds_each_model_once_and_equals_vbench(scored, tmp_path, monkeypatch):
    """A shard over 2 of the smoke run's videos and the 9 I2V dimensions: each file opened once by decord and
    once by cv2, DINO loaded once for two dimensions, each CLIP once; every per-video value equal (bitwise) to
    one official ``VBenchI2V.evaluate`` over the same files."""
    import clip
    import cv2
    import decord
    import torch.hub
    from harness import compose
    from vbench_official import official, per_video

    from eval.scoring.setup import prepare_scoring
    from eval.workers.score_videos import VideoMajorShard

    run_dir, _ = scored
    copy = _two_video_copy(run_dir, tmp_path)
    config, scorers = prepare_scoring(compose("+suite=smoke").scoring, QUALITY, 24)
    opened = {"decord": [], "cv2": [], "hub": [], "clip": []}

    def spy(owner, name, log):
        original = getattr(owner, name)

        def call(*args, **kwargs):
            log.append(args[0] if args else kwargs.get("repo_or_dir"))
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, call)

    spy(decord, "VideoReader", opened["decord"])
    spy(cv2, "VideoCapture", opened["cv2"])
    spy(torch.hub, "load", opened["hub"])
    spy(clip, "load", opened["clip"])
    result = VideoMajorShard(str(copy), QUALITY, 0, 1, scorers, config)()
    videos = sorted(str(copy / line["video"]) for line in manifest_lines(copy))
    assert (result.scored, result.failed) == (2 * 9, 0)
    assert sorted(opened["decord"]) == videos and sorted(opened["cv2"]) == videos
    dino = [repo for repo in opened["hub"] if "dino_model" in str(repo)]  # VBench's own DINO (DreamSim loads its own)
    assert len(dino) == 1  # for subject_consistency and i2v_subject
    assert sorted(p.rsplit("/", 1)[-1] for p in opened["clip"]) == ["ViT-B-32.pt", "ViT-L-14.pt"]
    monkeypatch.undo()

    results = official(copy, tmp_path / "official", QUALITY)
    ours, theirs = per_video(copy, results)
    assert len(theirs) == 2 * 9
    assert {k: v.hex() for k, v in ours.items()} == {k: float(v).hex() for k, v in theirs.items()}


def test_shared_dino_is_the_model_vbench_builds_for_each_dimension(tmp_path):
    """subject_consistency's and i2v_subject's own builds (no sharing) have identical weights."""
    import torch
    from harness import compose

    from eval.scoring.setup import prepare_scoring
    from eval.scoring.video_major import VideoMajorScorer

    prepare_scoring(compose("+suite=smoke").scoring, ["subject_consistency", "i2v_subject"], 24)
    models = []
    for dim in ("subject_consistency", "i2v_subject"):
        scorer = VideoMajorScorer(torch.device("cpu"), tmp_path / dim)
        scorer.build(dim)
        model = scorer.calls[dim][0][0]
        models.append(model.model if dim == "i2v_subject" else model)  # i2v_subject's: inside _ReferenceOnce
    a, b = (m.state_dict() for m in models)
    assert models[0] is not models[1] and a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a) and repr(models[0]) == repr(models[1])


@pytest.mark.parametrize("kind", ["dynamic", "static"])
def test_decided_answer_is_the_full_check(kind):
    """Whenever the early exit decides after a prefix of the pair scores, VBench's check on all of them agrees,
    on moving, static and mixed score lists; moving lists are decided early."""
    import torch
    from vbench.cli.static_filter import StaticFilter
    from vbench.dynamic_degree import DynamicDegree

    from eval.scoring.video_major import _decided

    model = (DynamicDegree if kind == "dynamic" else StaticFilter).__new__(
        DynamicDegree if kind == "dynamic" else StaticFilter
    )
    frames = 33 if kind == "dynamic" else 97  # 97 frames at 24 fps: dynamic_degree keeps every 3rd
    model.set_params(frame=torch.zeros(1, 3, 256, 448), count=frames)
    pairs = frames - 1 + (2 if kind == "static" else 0)
    check = model.check_move if kind == "dynamic" else model.check_static
    thres = model.params["thres"]
    rng = random.Random(0)
    early = 0
    for moving in [0.0, 0.05, 0.2, 0.5, 1.0] * 20:
        scores = [thres * (3 if rng.random() < moving else rng.random()) for _ in range(pairs)]
        full = check(scores)
        for n in range(pairs + 1):
            answer = _decided(check, scores[:n], pairs)
            if answer is not None:
                assert answer == full, (moving, n)
                early += n < pairs and moving == 1.0
                break
        else:
            raise AssertionError("the complete list must decide")
    assert early == 20


def _video(path, moving: bool, fps=8, frames=9):
    from videogen.mp4 import write_mp4

    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (128, 160, 3), dtype=np.uint8)
    clip = np.stack([np.roll(base, 12 * i if moving else 0, axis=1) for i in range(frames)])
    return write_mp4(clip, path, fps=fps)


@pytest.mark.parametrize("dimension", ["dynamic_degree", "static_filter"])
def test_early_exit_gives_vbench_infer_boolean(dimension, tmp_path):
    """VBench's own ``infer`` with and without the early exit, on a moving and a static video (RAFT, random
    fixture weights): the same boolean, with no more RAFT calls."""
    import copy as copying

    import torch
    import vbench.cli.static_filter as module
    from harness import compose

    from eval.scoring.setup import prepare_scoring
    from eval.scoring.video_major import VideoMajorScorer, call_of, decode

    prepare_scoring(compose("+suite=smoke").scoring, [dimension], 8)
    scorer = VideoMajorScorer(torch.device("cpu"), tmp_path / "work")
    scorer.build(dimension)
    fast = scorer.calls[dimension][0][0]  # carries the early exit
    plain = copying.copy(fast)
    for name in ("infer", "get_score", "set_params"):
        del plain.__dict__[name]  # VBench's own methods again
    calls = {"fast": 0, "plain": 0}
    for label, model in (("fast", fast), ("plain", plain)):
        raft = model.model

        def counted(*args, _raft=raft, _label=label, **kwargs):
            calls[_label] += 1
            return _raft(*args, **kwargs)

        model.model = counted
    for moving in (True, False):
        path = str(_video(tmp_path / f"{moving}.mp4", moving))
        decoded = {path: decode(path, call_of(dimension).decoders)}
        fast_answer = scorer.score(dimension, path, None, 9, decoded).value == 1.0
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(module, "DEVICE", torch.device("cpu"))
            assert fast_answer == bool(plain.infer(path)), moving
    assert 0 < calls["fast"] <= calls["plain"]


def test_a_reference_image_is_embedded_once_for_its_videos(tmp_path):
    """Two videos of one image, then one of another, on i2v_subject and i2v_background: each image embedded once
    in a row of its videos, and each value bitwise VBench's own loop over the same three pairs."""
    import importlib

    import torch
    from harness import compose
    from PIL import Image

    from eval.scoring.setup import prepare_scoring
    from eval.scoring.specs import spec
    from eval.scoring.video_major import VideoMajorScorer, call_of, decode

    dims = ["i2v_subject", "i2v_background"]
    prepare_scoring(compose("+suite=smoke").scoring, dims, 8)
    images = [tmp_path / f"image-{i}.png" for i in range(2)]
    for i, image in enumerate(images):
        Image.fromarray(np.random.default_rng(i).integers(0, 255, (128, 160, 3), dtype=np.uint8)).save(image)
    paths = [str(_video(tmp_path / f"{moving}.mp4", moving)) for moving in (True, False)]
    pairs = [(str(images[0]), paths[0]), (str(images[0]), paths[1]), (str(images[1]), paths[0])]
    scorer = VideoMajorScorer(torch.device("cpu"), tmp_path / "work")
    for dim in dims:
        scorer.build(dim)
        once = scorer.calls[dim][0][0]
        ours = [scorer.score(dim, p, i, 9, {p: decode(p, call_of(dim).decoders)}).value for i, p in pairs]
        assert once.embedded == 2, dim
        args, kwargs = scorer.calls[dim]
        args = [once.model, *args[1:]]
        args[call_of(dim).videos_at] = pairs
        _, theirs = getattr(importlib.import_module(spec(dim).module), call_of(dim).inner)(*args, **kwargs)
        assert [v.hex() for v in ours] == [float(r["video_results"]).hex() for r in theirs], dim
