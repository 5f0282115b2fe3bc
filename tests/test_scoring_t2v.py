"""VBench T2V's semantic dimensions: per-video scores and their aggregate, exactly VBench's single-process formula.

Each unit test feeds a ``video_results`` list shaped as that VBench module returns it through the registry and
checks the aggregate against the module's own formula, written out here from the same list. End to end:
appearance_style through ``vbench_call.compute`` on random-weight CLIP, and color through VBench's own
``vbench.color`` with a scripted detector in place of GRiT (which needs detectron2).
"""

from __future__ import annotations

import importlib
import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from vbench_spies import NoSubprocess, spy_compute

from eval.benchmarks import BENCHMARKS
from eval.errors import HarnessError
from eval.scoring import fixtures
from eval.scoring.specs import SPECS, UNCOUNTED, spec
from eval.scoring.vbench_call import VBenchCallError, VideoInput, compute

T2V_JSON = Path(__file__).resolve().parents[2] / "shared" / "vbench" / "VBench_full_info.json"
needs_shared = pytest.mark.skipif(not T2V_JSON.is_file(), reason=f"{T2V_JSON} not found")
FPS = 24


def _path(i: int) -> str:
    return f"/videos/a prompt-{i}.mp4"


# --- video_results as each module builds them, and its single-process aggregate -------------------


def _appearance_style(rng):
    out = []
    for i, n in enumerate((9, 33, 17)):  # load_video(...): every frame of the video
        frames = [float(x) for x in rng.uniform(0.1, 0.35, n)]
        out.append(
            {"video_path": _path(i), "video_results": np.mean(frames), "frame_results": frames, "cur_sim": frames[-1]}
        )
    return out


def _human_action(rng):
    flags = (True, False, True, True)
    return [{"video_path": _path(i), "video_results": f, "cor_num_per_video": int(f)} for i, f in enumerate(flags)]


def _frame_counts(rng):  # scene, object_class, multiple_objects
    out = []
    for i, n in enumerate((16, 16, 5)):
        hits = int(rng.integers(0, n + 1))
        out.append({"video_path": _path(i), "video_results": hits / n, "success_frame_count": hits, "frame_count": n})
    return out


def _per_video(rng):  # temporal_style, overall_consistency
    return [{"video_path": _path(i), "video_results": float(x)} for i, x in enumerate(rng.uniform(0.1, 0.3, 5))]


def _color(rng):  # only the videos color counted; _absent(color) more were left out
    out = []
    for i, (hits, seen) in enumerate(((3, 4), (0, 2), (16, 16))):
        out.append({"video_path": _path(i), "video_results": hits / seen, "cur_success_frame_rate": hits / seen})
    return out


def _spatial_relationship(rng):
    out = []
    for i, n in enumerate((16, 16, 7)):
        frames = [0, 1, *(0.1 / x for x in rng.uniform(0.1, 1.0, n - 2))]  # get_position_score values
        out.append({"video_path": _path(i), "video_results": np.mean(frames), "frame_results": frames})
    return out


def _all_frames(res):
    return [f for r in res for f in r["frame_results"]]


CASES = {  # dimension: (its video_results, VBench's aggregate of them); above each, the VBench line
    # appearance_style: sim_per_frame = sim / cnt (sim, cnt summed over every frame of every video)
    "appearance_style": (_appearance_style, lambda res: sum(_all_frames(res)) / len(_all_frames(res))),
    # human_action: acc = cor_num / cnt
    "human_action": (_human_action, lambda res: sum(r["cor_num_per_video"] for r in res) / len(res)),
    # scene, object_class, multiple_objects: success_rate = success_frame_count / frame_count
    **{
        d: (_frame_counts, lambda res: sum(r["success_frame_count"] for r in res) / sum(r["frame_count"] for r in res))
        for d in ("scene", "object_class", "multiple_objects")
    },
    # temporal_style, overall_consistency: avg_score = np.mean(sim)
    **{
        d: (_per_video, lambda res: np.mean([r["video_results"] for r in res]))
        for d in ("temporal_style", "overall_consistency")
    },
    # color: success_rate = success_frame_count_all / video_count (counted videos only)
    "color": (_color, lambda res: sum(r["cur_success_frame_rate"] for r in res) / len(res)),
    # spatial_relationship: success_rate = np.mean(frame_score_overall)
    "spatial_relationship": (_spatial_relationship, lambda res: np.mean(_all_frames(res))),
}
ABSENT = {"color": 2}  # videos VBench's color left out of video_results


@pytest.mark.parametrize("dimension", sorted(CASES))
def test_aggregate_is_vbench_single_process_formula(dimension):
    make, vbench_formula = CASES[dimension]
    results = make(np.random.default_rng(0))
    dim = spec(dimension)
    scores = [dim.per_video(r, 16) for r in results] + [UNCOUNTED] * ABSENT.get(dimension, 0)
    expected = float(vbench_formula(results))
    assert dim.reduce(scores) == pytest.approx(expected, rel=1e-12, abs=0)
    assert [s.value for s in scores[: len(results)]] == pytest.approx([float(r["video_results"]) for r in results])
    if dimension not in ("human_action", "temporal_style", "overall_consistency"):  # weighted: a plain mean differs
        assert np.mean([s.value for s in scores]) != pytest.approx(expected, rel=1e-6)


def test_color_counts_no_video_is_an_error_naming_it():
    with pytest.raises(HarnessError, match="color: VBench counted none of these 2 videos"):
        spec("color").reduce([UNCOUNTED, UNCOUNTED])


def test_t2v_defaults_are_vbench_16_dimensions():
    defaults = BENCHMARKS["vbench"].defaults
    assert len(defaults) == 16 and set(defaults) == set(BENCHMARKS["vbench"].scored)
    assert "temporal_flickering" in defaults and set(defaults) <= set(SPECS)


def test_missing_auxiliary_info_is_named_before_vbench_runs(tmp_path):
    video = VideoInput(str(tmp_path / "v.mp4"), "a red bicycle", 0, 9)
    with pytest.raises(VBenchCallError, match=r"no auxiliary_info\['color'\].*suite vbench_t2v"):
        compute("color", [video], device="cpu", workdir=tmp_path / "work")


# --- the suite keeps auxiliary_info; VBench reads it through vbench_call ------------------------------


@pytest.fixture(scope="module")
def t2v_items():
    from eval.suites import load_suite

    if not T2V_JSON.is_file():
        pytest.skip(f"{T2V_JSON} not found")
    return {item.prompt: item for item in load_suite("vbench_t2v", path=str(T2V_JSON)).items}


@needs_shared
def test_suite_keeps_each_prompts_auxiliary_info(t2v_items):
    entries = json.loads(T2V_JSON.read_text())
    with_info = {e["prompt_en"]: e["auxiliary_info"] for e in entries if "auxiliary_info" in e}
    kept = {p: dict(i.meta)["auxiliary_info"] for p, i in t2v_items.items() if "auxiliary_info" in dict(i.meta)}
    assert kept == with_info and len(kept) == 506
    # two entries share this prompt; only the appearance_style one carries auxiliary_info
    assert kept["The bund Shanghai, oil painting"] == {"appearance_style": {"appearance_style": "oil painting"}}


def _inputs(folder: Path, item, clips: list[np.ndarray]) -> list[VideoInput]:
    from videogen.mp4 import write_mp4

    aux = dict(item.meta)["auxiliary_info"]
    return [
        VideoInput(str(write_mp4(c, folder / f"{i}.mp4", fps=FPS)), item.prompt, i, len(c), auxiliary_info=aux)
        for i, c in enumerate(clips)
    ]


@needs_shared
def test_appearance_style_end_to_end(t2v_items, skyreels_cache, tmp_path, monkeypatch):
    """Two tiny videos (9 and 5 frames) through compute(): VBench reads the prompt's style, and the
    registry's aggregate of the returned scores is VBench's own."""
    import clip
    import torch
    import vbench.appearance_style
    import vbench.utils

    base = skyreels_cache / "vbench-fixtures"
    fixtures.build_fixtures(["appearance_style"], base / "vbench", base / "torch")
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(base / "vbench"))
    monkeypatch.setattr(vbench.utils, "subprocess", NoSubprocess)
    queries, tokenize = [], clip.tokenize
    monkeypatch.setattr(clip, "tokenize", lambda texts, *a, **k: (queries.extend(texts), tokenize(texts, *a, **k))[1])
    returned = spy_compute(monkeypatch, vbench.appearance_style, "appearance_style")
    rng = np.random.default_rng(0)
    clips = [np.kron(rng.integers(0, 256, (n, 16, 16, 3)), np.ones((1, 8, 8, 1))).astype(np.uint8) for n in (9, 5)]
    videos = _inputs(tmp_path, t2v_items["The bund Shanghai, oil painting"], clips)

    scores = compute("appearance_style", videos, device=torch.device("cpu"), workdir=tmp_path / "work")

    assert queries == ["oil painting", "oil painting"]  # auxiliary_info reached VBench, once per entry
    assert [s.weight for s in scores] == [9.0, 5.0]
    vbench_value, _ = returned[0]
    assert spec("appearance_style").reduce(scores) == pytest.approx(vbench_value, rel=1e-12, abs=0)
    assert vbench_value != pytest.approx(np.mean([s.value for s in scores]), rel=1e-6)  # frames, not videos, count


class _ScriptedGrit:
    """Stands in for GRiT: per frame, by brightness, a red bicycle, a gray one, or nothing."""

    def __init__(self, device):
        pass

    def initialize_model(self, **weights):
        pass

    def run_caption_tensor(self, frame):
        level = float(np.mean(frame))
        if level < 60:
            return ([],)
        return ([["a red bicycle" if level > 180 else "a gray bicycle", [0, 0, 8, 8], ["bicycle"]]],)


@pytest.fixture
def vbench_color(monkeypatch, tmp_path):
    """VBench's own ``vbench.color``, imported with the scripted detector as its GRiT."""
    import vbench.utils

    grit = types.ModuleType("vbench.third_party.grit_model")
    grit.DenseCaptioning = _ScriptedGrit
    monkeypatch.setitem(sys.modules, "vbench.third_party.grit_model", grit)
    sys.modules.pop("vbench.color", None)
    weight = tmp_path / "cache/grit_model/grit_b_densecap_objectdet.pth"  # init_submodules checks it exists
    weight.parent.mkdir(parents=True)
    weight.write_bytes(b"")
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(vbench.utils, "subprocess", NoSubprocess)
    yield importlib.import_module("vbench.color")
    sys.modules.pop("vbench.color", None)


@needs_shared
def test_color_end_to_end_leaves_uncounted_videos_out(t2v_items, vbench_color, tmp_path, monkeypatch):
    returned = spy_compute(monkeypatch, vbench_color, "color")
    shade = lambda *levels: np.stack([np.full((32, 32, 3), v, np.uint8) for v in levels])  # noqa: E731
    clips = [shade(*[230] * 6, *[128] * 3), shade(*[128] * 9), shade(*[20] * 9)]  # red-ish, gray, nothing
    videos = _inputs(tmp_path, t2v_items["a red bicycle"], clips)

    scores = compute("color", videos, device="cpu", workdir=tmp_path / "work")

    vbench_value, results = returned[0]
    assert len(results) == 2 and scores[1].value == 0.0 and scores[2] == UNCOUNTED
    assert 0 < scores[0].value < 1
    assert spec("color").reduce(scores) == pytest.approx(vbench_value, rel=1e-12, abs=0)
    assert vbench_value != pytest.approx(np.mean([s.value for s in scores]))
    # alone, the dark video makes VBench divide by zero: it is uncounted, not failed
    assert compute("color", videos[2:], device="cpu", workdir=tmp_path / "work") == [UNCOUNTED]


def test_default_dimensions_leave_out_what_the_suite_cannot_feed(capsys):
    """smoke_t2v's prompts carry no auxiliary_info: its default scoring skips the dimensions that read it
    (instead of failing every video), says so, and the run is partial; named, they are still refused per video."""
    from harness import compose

    from eval.plan import GeneratorSpec, Plan
    from eval.stages import scoring_dimensions
    from eval.suites import load_suite

    cfg = compose("+suite=smoke_t2v")
    plan = Plan.build(load_suite("smoke_t2v"), GeneratorSpec.from_config({"name": "skyreels"}), 0)
    dims = scoring_dimensions(cfg, plan)
    needing = {d for d in BENCHMARKS["vbench"].defaults if spec(d).needs_auxiliary}
    assert needing >= {"appearance_style", "scene", "color"} and not needing & set(dims)
    assert "subject_consistency" in dims and "auxiliary_info" in capsys.readouterr().out
    named = compose("+suite=smoke_t2v", "scoring.dimensions=[appearance_style]")
    assert scoring_dimensions(named, plan) == ["appearance_style"]
