"""The random-weight GRiT fixture (object_class, multiple_objects, color, spatial_relationship), scored through
VBench's own ``compute_*``, offline, on prompts of VBench's own full-info JSON.

GRiT needs detectron2, which has no wheel on PyPI: these tests run where it is importable (scripts/setup.sh
builds it where github is reachable; a checkout of ``weights.DETECTRON2_COMMIT`` on PYTHONPATH with the ``grit``
extra works too, since GRiT uses none of its compiled ops) and are skipped elsewhere, except the first.

The fixture (``fixtures._grit_language``) finds an object in every frame, names it "car" (GRiT's ObjectDet task)
and captions it "red car" (its DenseCap task, which VBench's color runs): so VBench scores "a car" 1 (only if
VBench's ``DetectionCheckpointer`` really loads the file: GRiT with its own random init finds nothing), "a red
car" 1, "a bicycle and a car" 0 (no bicycle) and "a bicycle on the left of a car" 0 (one box, no pair).
GRiT's ViT-B, 256 proposals through 3 cascade stages (twice) and its caption decoders take 5-10 s a frame on 2 CPU
cores, and VBench reads 16 frames a video: one video per dimension.
"""

from __future__ import annotations

import json

import pytest
from vbench_spies import NoSubprocess

from eval.scoring import fixtures, weights
from eval.scoring.specs import UNCOUNTED
from eval.scoring.vbench_call import VideoInput, compute
from eval.scoring.weights import Roots

GRIT = ("object_class", "multiple_objects", "color", "spatial_relationship")
PROMPTS = {
    "object_class": "a car",
    "multiple_objects": "a bicycle and a car",
    "color": "a red car",
    "spatial_relationship": "a bicycle on the left of a car, front view",
}
FRAMES, FPS = 9, 24


def test_grit_fixture_needs_detectron2(monkeypatch, tmp_path):
    """Without detectron2 the fixture is not built (the preflight names the install first)."""
    monkeypatch.setattr(fixtures, "package_dir", lambda name: None)
    with pytest.raises(fixtures.FixtureError, match="needs detectron2"):
        fixtures._build_grit(Roots(tmp_path / "vbench", tmp_path / "hub"))
    assert set(GRIT) <= set(fixtures.not_by_default()) and set(GRIT) <= set(fixtures.supported())


@pytest.fixture(scope="module")
def roots(skyreels_cache):
    """The GRiT fixture (built once per cache), VBench pointed at it and at the fixtures' bert, offline."""
    for name in ("detectron2", *weights.GRIT_IMPORTS):
        pytest.importorskip(name, reason=f"VBench's GRiT needs {name}: see weights.code_problems")
    import vbench.utils

    base = skyreels_cache / "vbench-fixtures"
    result = fixtures.build_fixtures(list(GRIT), base / "vbench", base / "torch")
    assert not result["kept"] and set(result["fixtures"].values()) == {"grit"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VBENCH_CACHE_DIR", str(base / "vbench"))
        mp.setenv("TORCH_HOME", str(base / "torch"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv(weights.VBENCH_HF_HOME, str(fixtures.fixture_hf_home(base / "vbench")))
        mp.setattr(vbench.utils, "CACHE_DIR", str(base / "vbench"))
        mp.setattr(vbench.utils, "subprocess", NoSubprocess)
        yield Roots.from_env()


def test_grit_file_is_the_checkpoint_of_vbench_model(roots):
    """VBench's ``DetectionCheckpointer`` loads ``"model"`` with ``strict=False`` (a mismatch would only be logged,
    and score a half-random model): every key and shape must match GRiT as VBench builds it. Here: strictly."""
    import torch

    path = roots.vbench / fixtures.GRIT_FILE
    checkpoint = torch.load(path, map_location="cpu")
    assert list(checkpoint) == ["model"]
    state = checkpoint["model"]
    model = fixtures.grit_model(fixtures.fixture_hf_home(roots.vbench))
    model.load_state_dict(state, strict=True)
    assert state["backbone.bottom_up.patch_embed.proj.weight"].shape == (768, 3, 16, 16)  # ViT-B/16
    assert {v.dtype for v in state.values() if v.is_floating_point()} == {torch.float16}
    # the two caption decoders share one transformer, tied to its output layer: stored once
    shared = (
        "roi_heads.text_decoder.textual.embedding.words.weight",
        "roi_heads.text_decoder.textual.output.weight",
        "roi_heads.text_decoder_det.textual.output.weight",
    )
    assert len({state[k].data_ptr() for k in shared}) == 1 and path.stat().st_size < 450e6
    assert weights.fixture_manifest(roots.vbench)[fixtures.GRIT_FILE]["product"] == "grit"


def _spy(monkeypatch, module, name: str) -> list:
    """What VBench's own ``compute_<name>`` returns, or the exception it raises."""
    seen, original = [], getattr(module, f"compute_{name}")

    def spy(*args, **kwargs):
        try:
            seen.append(original(*args, **kwargs))
        except Exception as err:
            seen.append(err)
            raise
        return seen[-1]

    monkeypatch.setattr(module, f"compute_{name}", spy)
    return seen


def _video(folder, prompt: str, auxiliary_info: dict) -> VideoInput:
    """A blocky random 64x64 clip, drifting 2 px a frame."""
    import numpy as np

    from videogen.mp4 import write_mp4

    picture = np.kron(np.random.default_rng(0).integers(0, 256, (8, 8, 3)), np.ones((8, 8, 1)))
    clip = np.stack([np.roll(picture, 2 * t, axis=1) for t in range(FRAMES)]).astype(np.uint8)
    return VideoInput(str(write_mp4(clip, folder / "0.mp4", fps=FPS)), prompt, 0, FRAMES, auxiliary_info=auxiliary_info)


@pytest.mark.parametrize("dimension", GRIT)
def test_grit_dimensions_score_as_vbench_does(dimension, roots, tmp_path, monkeypatch):
    import importlib

    import torch

    full_info = json.loads((weights.package_dir("vbench") / "VBench_full_info.json").read_text())
    (entry,) = [e for e in full_info if e["prompt_en"] == PROMPTS[dimension] and dimension in e["dimension"]]
    module = importlib.import_module(f"vbench.{dimension}")
    seen = _spy(monkeypatch, module, dimension)
    video = _video(tmp_path, entry["prompt_en"], entry["auxiliary_info"])

    (score,) = compute(dimension, [video], device=torch.device("cpu"), workdir=tmp_path / "work")

    (returned,) = seen
    vbench_value, (result,) = returned
    assert score.value == result["video_results"] == vbench_value and score != UNCOUNTED
    assert score.value == (1.0 if dimension in ("object_class", "color") else 0.0)
    if dimension == "spatial_relationship":
        assert score.weight == len(result["frame_results"]) == 16  # VBench reads 16 frames (the last repeated)
    elif dimension == "color":
        assert score.weight == 1.0  # VBench's color: the mean over the videos it counts
    else:
        assert score.weight == result["frame_count"] == 16
