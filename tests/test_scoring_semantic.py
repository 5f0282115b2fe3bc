"""Random-weight fixtures for VBench's video-text models, scored through VBench's own ``compute_*``:
ViCLIP (temporal_style, overall_consistency) and UMT (human_action), offline.

Both architectures are fixed by VBench's code (ViT-L), so the fixtures are full size (fp16 files):
building them takes ~15 s each; on 2 CPU cores ViCLIP loads in ~13 s and scores a tiny video in ~25 s, UMT
(16 frames x 196 patches, joint attention) in ~75 s. So these run few videos, and the fixtures' default
dimension list leaves these dimensions out (``DimensionSpec.slow_on_cpu``).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from vbench_spies import NoSubprocess, spy_compute

from eval.scoring import fixtures, weights
from eval.scoring.vbench_call import VICLIP_BPE, VideoInput, compute, viclip_tokenizer
from eval.scoring.weights import Roots

VICLIP = ("temporal_style", "overall_consistency")
UMT_FILE = "umt_model/l16_ptk710_ftk710_ftk400_f16_res224.pth"
VICLIP_FILE = "ViCLIP/ViClip-InternVid-10M-FLT.pth"
FPS = 24


@pytest.fixture(scope="module")
def roots(skyreels_cache):
    """The ViCLIP and UMT fixtures (built once per cache), VBench pointed at them, offline."""
    import vbench.utils

    base = skyreels_cache / "vbench-fixtures"
    result = fixtures.build_fixtures(["human_action", *VICLIP], base / "vbench", base / "torch")
    assert not result["kept"] and len(result["fixtures"]) == 3
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VBENCH_CACHE_DIR", str(base / "vbench"))
        mp.setenv("TORCH_HOME", str(base / "torch"))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(vbench.utils, "CACHE_DIR", str(base / "vbench"))
        mp.setattr(vbench.utils, "subprocess", NoSubprocess)
        yield Roots.from_env()


def _videos(folder, prompt: str, seeds=(0, 1), frames: int = 9) -> list[VideoInput]:
    """Blocky random 64x64 clips, drifting 2 px a frame."""
    from videogen.mp4 import write_mp4

    out = []
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        picture = np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((8, 8, 1)))
        clip = np.stack([np.roll(picture, 2 * t, axis=1) for t in range(frames)]).astype(np.uint8)
        out.append(VideoInput(str(write_mp4(clip, folder / f"{seed}.mp4", fps=FPS)), prompt, i, frames))
    return out


# --- ViCLIP ----------------------------------------------------------------------------------------


def test_viclip_vocabulary_is_the_real_file(roots):
    from clip.simple_tokenizer import SimpleTokenizer as ClipTokenizer

    (bpe,) = [f for f in weights.required_files(VICLIP) if f.relpath == VICLIP_BPE]
    data = bpe.path(roots).read_bytes()
    assert (
        hashlib.sha256(data).hexdigest()
        == bpe.sha256
        == "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
    )
    assert len(data) == bpe.size and data == (weights.package_dir("clip") / "bpe_simple_vocab_16e6.txt.gz").read_bytes()
    with viclip_tokenizer(roots.vbench):
        from vbench.third_party.ViCLIP.simple_tokenizer import SimpleTokenizer

        text = "A person is playing guitar, oil painting"
        assert SimpleTokenizer().encode(text) == ClipTokenizer().encode(text)  # the same BPE ids as CLIP's


def test_viclip_file_is_vbench_format(roots):
    import torch

    checkpoint = torch.load(roots.vbench / VICLIP_FILE, map_location="cpu", mmap=True)
    assert list(checkpoint) == ["model"]  # ViCLIP.__init__: torch.load(pretrain)["model"], strict load
    state = checkpoint["model"]
    assert state["vision_encoder.conv1.weight"].shape == (1024, 3, 1, 14, 14)  # ViT-L/14, kernel_size 1
    assert state["text_encoder.token_embedding.weight"].shape == (49408, 768)
    assert {v.dtype for v in state.values()} == {torch.float16}
    assert all(torch.isfinite(v).all() for v in state.values())  # ViCLIP leaves some torch.empty: we fill them
    assert weights.fixture_manifest(roots.vbench)[VICLIP_FILE]["product"] == "viclip"


@pytest.mark.parametrize("dimension, seeds", [("temporal_style", (0, 1)), ("overall_consistency", (2,))])
def test_viclip_dimensions_score_tiny_videos(dimension, seeds, roots, tmp_path, monkeypatch):
    """Through our ``compute`` (so VBench's ``ViCLIP(pretrain=...)`` loads the fixture strictly), even where
    ViCLIP's tokenizer module was imported before with another cache folder (its default path is fixed then)."""
    import importlib

    import torch

    with viclip_tokenizer(roots.vbench):
        tokenizer = importlib.import_module("vbench.third_party.ViCLIP.simple_tokenizer")
    elsewhere = ("/elsewhere/bpe_simple_vocab_16e6.txt.gz",)  # as if first imported with another CACHE_DIR
    monkeypatch.setattr(tokenizer.SimpleTokenizer.__init__, "__defaults__", elsewhere)
    monkeypatch.setattr(tokenizer, "subprocess", NoSubprocess)
    module = importlib.import_module(f"vbench.{dimension}")
    returned = spy_compute(monkeypatch, module, dimension)
    prompt = "A boat sailing leisurely along the Seine River with the Eiffel Tower in background, zoom in"
    videos = _videos(tmp_path, prompt, seeds)

    scores = compute(dimension, videos, device=torch.device("cpu"), workdir=tmp_path / "work")

    values = [s.value for s in scores]
    assert all(math.isfinite(v) and -1 <= v <= 1 for v in values), values  # cosine of unit vectors
    assert len(set(values)) == len(values) and [s.weight for s in scores] == [1.0] * len(videos)
    vbench_value, results = returned[0]
    assert [r["video_results"] for r in results] == values and vbench_value == pytest.approx(np.mean(values))
    assert tokenizer.SimpleTokenizer.__init__.__defaults__ == elsewhere  # restored after the call


# --- UMT (human_action) ----------------------------------------------------------------------------


def test_umt_file_is_the_state_dict_of_vbench_model(roots):
    """human_action loads it with ``strict=False``: every key and shape must match, or it would score a
    half-random model silently. Here: strictly, into VBench's own UMT as human_action creates it."""
    import torch
    from vbench.third_party.umt.models import modeling_finetune

    state = torch.load(roots.vbench / UMT_FILE, map_location="cpu")
    model = fixtures.umt_model()
    assert type(model) is modeling_finetune.VisionTransformer
    model.load_state_dict(state, strict=True)
    assert state["head.weight"].shape == (400, 1024) and state["pos_embed"].shape == (1, 16 * 14 * 14, 1024)
    assert {v.dtype for v in state.values()} == {torch.float16}


def test_kinetics_classes_ship_in_the_wheel():
    from vbench.human_action import build_dict

    classes = build_dict()
    assert len(classes) == 400 and classes["309"] == "playing guitar" and classes["345"] == "dancing ballet"


def test_human_action_scores_tiny_videos(roots, tmp_path, monkeypatch):
    """VBench matches the prompt's action (the file name after "person is ") against UMT's top-5 classes
    with sigmoid >= 0.85: the random fixture scores any video 0 (its head gives ~0.5). The fixture with its
    "playing guitar" bias raised (a copy, in another cache folder) must score a guitar video 1, which it does
    only if VBench's ``load_state_dict(strict=False)`` really loads the file. One video: UMT takes ~75 s."""
    import shutil

    import torch
    import vbench.human_action
    import vbench.utils

    cache = tmp_path / "cache"
    (cache / "umt_model").mkdir(parents=True)
    state = torch.load(roots.vbench / UMT_FILE, map_location="cpu")
    guitar = {v: int(k) for k, v in vbench.human_action.build_dict().items()}["playing guitar"]
    state["head.bias"][guitar] = 8.0
    torch.save(state, cache / UMT_FILE)
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(cache))
    monkeypatch.setattr(vbench.utils, "CACHE_DIR", str(cache))
    returned = spy_compute(monkeypatch, vbench.human_action, "human_action")
    videos = _videos(tmp_path, "A person is playing guitar", seeds=(0,))

    scores = compute("human_action", videos, device=torch.device("cpu"), workdir=tmp_path / "work")

    assert [s.value for s in scores] == [1.0]
    vbench_value, results = returned[0]
    assert vbench_value == 1.0 and [r["video_results"] for r in results] == [True]
    shutil.rmtree(cache)


def test_fixture_defaults_leave_the_vit_l_dimensions_out_unless_named(capsys):
    from types import SimpleNamespace

    from omegaconf import OmegaConf

    from eval.benchmarks import BENCHMARKS
    from eval.stages import scoring_dimensions

    fed = {"auxiliary_info": {d: {} for d in BENCHMARKS["vbench"].defaults}}  # a prompt that feeds every dimension
    plan = SimpleNamespace(suite=SimpleNamespace(benchmark="vbench", name="t", items=(SimpleNamespace(meta=fed),)))
    cfg = OmegaConf.create({"scoring": {"dimensions": None, "fixtures": True}})
    dims = scoring_dimensions(cfg, plan)
    assert not set(dims) & {"human_action", *VICLIP} and "appearance_style" in dims
    named = capsys.readouterr().out.split("only when named: scoring.dimensions=[")[1].split("]")[0].split(",")
    assert {"human_action", *VICLIP} <= set(named)
    cfg.scoring.dimensions = ["human_action", *VICLIP]
    assert scoring_dimensions(cfg, plan) == ["human_action", *VICLIP]
    assert set(fixtures.not_by_default()) <= set(fixtures.supported())
