"""VBench's weight files: the table, preflight, verify, download; random-weight fixtures that load
through VBench's own loading code and score 2 tiny videos with VBench's own ``compute_*``.

Shims the tests apply, as the scorer must (each is asserted where it is needed):
- ``VBENCH_CACHE_DIR`` is read once when ``vbench.utils`` is imported: set it before, or patch
  ``CACHE_DIR`` in ``vbench.utils`` and ``vbench2_beta_i2v.utils`` (done here).
- i2v_subject / i2v_background read the image from ``vbench2_beta_i2v/data/crop/<ratio>/`` relative
  to the working directory, and DreamSim reads ``./models``: they run from a prepared folder.
- i2v_background calls ``dreamsim(pretrained=True)`` with no device, i.e. CUDA: patched to the
  scoring device; DreamSim also moves torch.hub's folder to ``./models``: restored afterwards.
- RAFT and AMT give NaN below 128 px (a 1-pixel level in their pyramids): the videos are 128x128.
"""

from __future__ import annotations

import functools
import json
import math
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from vbench_spies import NoSubprocess

from eval.scoring import fixtures, weights
from eval.scoring.specs import SPECS
from eval.scoring.weights import Roots, WeightFile

# the full-size ViT-L fixtures (ViCLIP, UMT) are built and scored in test_scoring_semantic.py
BUILT = tuple(
    d for d in fixtures.supported() if d not in ("camera_motion", "static_filter", *fixtures.not_by_default())
)
I2V = ("i2v_subject", "i2v_background")
VIDEO_SIZE, VIDEO_FRAMES, FPS = 128, 9, 24


@pytest.fixture(scope="module")
def roots(skyreels_cache):
    """Fixtures for every built dimension, once per session; VBench pointed at them for this module."""
    import vbench.utils
    import vbench2_beta_i2v.utils

    base = skyreels_cache / "vbench-fixtures"
    result = fixtures.build_fixtures(BUILT, base / "vbench", base / "torch")
    assert not result["kept"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VBENCH_CACHE_DIR", str(base / "vbench"))
        mp.setenv("TORCH_HOME", str(base / "torch"))
        for module in (vbench.utils, vbench2_beta_i2v.utils):
            mp.setattr(module, "CACHE_DIR", str(base / "vbench"))
            mp.setattr(module, "subprocess", NoSubprocess)
        yield Roots.from_env()


def _frames(seed: int) -> np.ndarray:
    """A blocky random picture sliding 3 px a frame (RGB uint8, T x H x W x 3)."""
    rng = np.random.default_rng(seed)
    picture = np.kron(rng.integers(0, 256, (VIDEO_SIZE // 8, VIDEO_SIZE // 8, 3)), np.ones((8, 8, 1)))
    return np.stack([np.roll(picture, 3 * t, axis=1) for t in range(VIDEO_FRAMES)]).astype(np.uint8)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> list[Path]:
    from videogen.mp4 import write_mp4

    folder = tmp_path_factory.mktemp("videos")
    return [write_mp4(_frames(i), folder / f"a test pattern-{i}.mp4", fps=FPS) for i in range(2)]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, roots, videos) -> Path:
    """Where VBench-I2V runs: the input image under its crop folder, DreamSim's files at ./models."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("vbench-workdir")
    crop = folder / "vbench2_beta_i2v/data/crop/1-1"
    crop.mkdir(parents=True)
    Image.fromarray(_frames(0)[0]).save(crop / "pattern.png")
    weights.link_dreamsim_models(folder, roots)
    return folder


def _full_info(folder: Path, dimension: str, videos: list[Path]) -> str:
    """A one-prompt VBench full-info JSON (the list ``load_dimension_info`` reads)."""
    entry = {"prompt_en": "a test pattern", "dimension": [dimension], "video_list": [str(v) for v in videos]}
    if dimension in I2V:
        entry["image_name"] = "pattern.png"
    if dimension == "appearance_style":
        entry["auxiliary_info"] = {dimension: {dimension: "oil painting"}}  # as VBench_full_info.json
    path = folder / f"{dimension}_full_info.json"
    path.write_text(json.dumps([entry]))
    return str(path)


# --- the table, preflight, verify, download -------------------------------------------------


def test_every_dimension_has_its_files():
    for dimension in SPECS:
        assert weights.required_files([dimension]) or dimension == "temporal_flickering", dimension
    keys = [(f.root, f.relpath) for f in weights.FILES]
    assert len(keys) == len(set(keys))
    with pytest.raises(ValueError, match="unknown VBench dimension"):
        weights.required_files(["subject_consistancy"])


def test_preflight_names_each_missing_file_with_url_and_path(tmp_path, monkeypatch):
    roots = Roots(tmp_path / "vbench", tmp_path / "torch/hub")
    monkeypatch.setattr(weights, "package_dir", lambda name: None)  # no VBench source tree on the path
    dimensions = ["subject_consistency", "dynamic_degree", "i2v_background", "camera_motion"]
    with pytest.raises(weights.ScoringWeightsError) as caught:
        weights.preflight(dimensions, roots)
    message = str(caught.value)
    for f in weights.required_files(dimensions):
        assert f"missing {f.path(roots)}" in message and f.url in message
    assert f"git clone {weights.DINO_REPO} {roots.vbench}/dino_model/facebookresearch_dino_main" in message
    assert f"unzip models/raft-things.pth from {weights.RAFT_URL}" in message
    from videogen.cache import cache_dir

    vbench_src = cache_dir() / "src" / "VBench-45e79ec"
    assert (
        f"git clone https://github.com/Vchitect/VBench {vbench_src} && git -C {vbench_src} checkout 45e79ec" in message
        and "scoring.vbench_source" in message
    )  # no cotracker code here
    hub = roots.torch_hub / "facebookresearch_co-tracker_main"
    assert f"git clone https://github.com/facebookresearch/co-tracker {hub} && git -C {hub} checkout fac2798" in message
    assert "python -m eval.scoring.weights fetch --dimensions" in message


def test_code_problems_detectron2_and_cotracker(monkeypatch, tmp_path):
    find_spec = weights.find_spec
    monkeypatch.setattr(weights, "find_spec", lambda name: None if name == "detectron2" else find_spec(name))
    problem = str(weights.code_problems(["color"])[0])
    assert "detectron2" in problem and f"detectron2.git@{weights.DETECTRON2_COMMIT}" in problem
    # detectron2 there, VBench's other GRiT imports not: named, with the extra that installs them
    monkeypatch.setattr(weights, "find_spec", lambda name: None if name == "lvis" else find_spec("json"))
    (problem,) = [str(p) for p in weights.code_problems(["object_class"], bert=False)]
    assert "imports lvis" in problem and ".[grit]" in problem
    monkeypatch.setattr(weights, "find_spec", find_spec)
    source = tmp_path / "VBench/vbench2_beta_i2v"
    (source / "third_party/cotracker/utils").mkdir(parents=True)
    (source / "third_party/cotracker/utils/visualizer.py").write_text("")
    monkeypatch.setattr(weights, "package_dir", lambda name: source)
    assert weights.code_problems(["camera_motion"]) == []


def test_detectron2_pin_is_one_commit_everywhere():
    """The preflight's message, the README and scripts/setup.sh (which reads the constant) name one commit."""
    root = Path(__file__).resolve().parents[1]
    assert len(weights.DETECTRON2_COMMIT) == 40 and int(weights.DETECTRON2_COMMIT, 16) >= 0
    assert f"detectron2.git@{weights.DETECTRON2_COMMIT}" in (root / "README.md").read_text()
    assert "from eval.scoring.weights import DETECTRON2_COMMIT" in (root / "scripts/setup.sh").read_text()


def test_verify_hashes_real_files_but_not_fixtures(roots, tmp_path):
    files = weights.required_files(BUILT)
    assert weights.verify(files, roots) == []  # fixtures: present, never hashed
    assert all(weights.is_fixture(f, roots) for f in files)
    other = Roots(tmp_path / "vbench", tmp_path / "hub")
    for f in files:
        if f.relpath in ("clip_model/ViT-B-32.pt", "pyiqa_model/musiq_spaq_ckpt-358bb6af.pth"):
            f.path(other).parent.mkdir(parents=True, exist_ok=True)
            f.path(other).write_bytes(b"not the release")
    problems = [str(p) for p in weights.verify(files, other)]
    assert sum("does not match sha256" in p for p in problems) == 2
    assert weights.verify(files, other, hashes=False)[0].what.startswith("missing")


def test_download_fetches_files_and_zip_members_atomically(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "w.pth").write_bytes(b"weights")
    with zipfile.ZipFile(source / "models.zip", "w") as z:
        z.writestr("models/raft-things.pth", b"raft")
        z.writestr("models/raft-small.pth", b"other")
    roots = Roots(tmp_path / "vbench", tmp_path / "hub")
    import hashlib

    files = [
        WeightFile(
            "aesthetic",
            "a/w.pth",
            "vbench",
            (source / "w.pth").as_uri(),
            sha256=hashlib.sha256(b"weights").hexdigest()[:8],
        ),
        WeightFile(
            "raft",
            "raft_model/models/raft-things.pth",
            "torch_hub",
            (source / "models.zip").as_uri(),
            source="zip",
            member="models/raft-things.pth",
        ),
    ]
    assert weights.download(files, roots) == [f.path(roots) for f in files]
    assert files[0].path(roots).read_bytes() == b"weights" and files[1].path(roots).read_bytes() == b"raft"
    assert weights.download(files, roots) == []  # present: nothing to do
    assert not [p for p in tmp_path.rglob(".*") if p.is_file()]  # no temp files left
    bad = WeightFile("x", "b.pth", "vbench", (source / "w.pth").as_uri(), sha256="00000000")
    with pytest.raises(weights.ScoringWeightsError, match="does not match sha256"):
        weights.download([bad], roots)
    assert not bad.path(roots).exists()


def test_cli_list_and_check(roots, capsys, monkeypatch, tmp_path):
    assert weights.main(["list", "--dimensions", "dynamic_degree"]) == 0
    assert capsys.readouterr().out.startswith(f"fixture  {roots.vbench}/raft_model/models/raft-things.pth")
    assert weights.main(["check", "--dimensions", "dynamic_degree,i2v_subject"]) == 0
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(tmp_path))
    assert weights.main(["check", "--dimensions", "dynamic_degree"]) == 1
    assert f"missing {tmp_path}/raft_model/models/raft-things.pth" in capsys.readouterr().err


# --- fixtures ---------------------------------------------------------------------------------


def test_fixtures_cover_their_dimensions_and_are_cached(roots):
    for product in fixtures.PRODUCTS:
        files = {(f.root, f.relpath) for f in weights.required_files(product.dimensions)}
        assert files == {(f.root, f.relpath) for f in product.files()} | {("torch_hub", p) for p in product.provided}
    started = time.perf_counter()
    again = fixtures.build_fixtures(BUILT, roots.vbench, roots.torch_hub.parent)
    assert time.perf_counter() - started < 2 and not again["kept"]
    assert set(again["fixtures"]) == {str(f.path(roots)) for f in weights.required_files(BUILT)}
    with pytest.raises(fixtures.FixtureError, match="no random-weight fixtures for \\['colour'\\]"):
        fixtures.products_for(["colour"])


def test_fixtures_leave_real_files_alone(tmp_path):
    real = tmp_path / "vbench/amt_model/amt-s.pth"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"real weights")
    result = fixtures.build_fixtures(["motion_smoothness"], tmp_path / "vbench", tmp_path / "torch")
    assert result == {"fixtures": {}, "kept": [str(real)]} and real.read_bytes() == b"real weights"


def test_cotracker_fixture_is_built_from_the_provided_hub_code(tmp_path):
    torch_home = tmp_path / "torch"
    with pytest.raises(fixtures.FixtureError, match="git clone https://github.com/facebookresearch/co-tracker"):
        fixtures.build_fixtures(["camera_motion"], tmp_path / "vbench", torch_home)
    repo = torch_home / "hub" / fixtures.COTRACKER_HUB
    repo.mkdir(parents=True)
    (repo / "hubconf.py").write_text(  # a stand-in with co-tracker's entry point and weights URL
        "import torch\n"
        "class Predictor(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.model = torch.nn.Linear(2, 2)\n"
        "def cotracker2(pretrained=True, **kwargs):\n"
        "    predictor = Predictor()\n"
        "    if pretrained:\n"
        f"        predictor.model.load_state_dict(torch.hub.load_state_dict_from_url({weights.COTRACKER_URL!r}))\n"
        "    return predictor\n"
    )
    result = fixtures.build_fixtures(["camera_motion"], tmp_path / "vbench", torch_home)
    assert list(result["fixtures"]) == [str(torch_home / "hub/checkpoints/cotracker2.pth")]
    import torch

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(torch_home))
        assert torch.hub.load(str(repo), "cotracker2", source="local").model.weight.shape == (2, 2)


# --- loading through VBench's own code ----------------------------------------------------------


def test_clip_archives_load_with_clip_load(roots):
    import clip
    import torch

    for name, dim in (("ViT-B-32.pt", 512), ("ViT-L-14.pt", 768)):
        model, _ = clip.load(str(roots.vbench / "clip_model" / name), device="cpu")
        assert model.visual.input_resolution == 224
        assert model.encode_image(torch.zeros(1, 3, 224, 224)).shape == (1, dim)
    assert model.encode_text(clip.tokenize(["a cat"])).shape == (1, 768)


def test_dino_loads_through_torch_hub_as_vbench_asks(roots):
    import torch
    import vbench.utils
    import vbench2_beta_i2v.utils

    for init in (
        vbench.utils.init_submodules(["subject_consistency"], local=True)["subject_consistency"],
        vbench2_beta_i2v.utils.init_submodules(["i2v_subject"], local=True)["i2v_subject"],
    ):
        assert init["repo_or_dir"] == f"{roots.vbench}/dino_model/facebookresearch_dino_main/"
        model = torch.hub.load(**init).eval()
        with torch.no_grad():  # DINO's own resizing of position embeddings for non-square frames
            assert model(torch.zeros(1, 3, 224, 398)).shape == (1, fixtures.DINO_WIDTH)


def test_vbench_init_submodules_paths_are_the_table(roots):
    import vbench.utils

    found = json.dumps(
        vbench.utils.init_submodules([d for d in BUILT if d not in I2V and d != "temporal_flickering"], local=True)
    )
    for f in weights.required_files(BUILT):
        if f.root == "vbench" and not f.relpath.startswith(weights.DREAMSIM_DIR):
            assert str(f.path(roots).parent) in found, f.relpath


def test_motion_and_quality_models_load_with_vbench_constructors(roots):
    import torch
    import vbench.utils
    from easydict import EasyDict
    from pyiqa.archs.musiq_arch import MUSIQ
    from vbench.aesthetic_quality import get_aesthetic_model
    from vbench.dynamic_degree import DynamicDegree
    from vbench.motion_smoothness import MotionSmoothness

    sub = vbench.utils.init_submodules(
        ["motion_smoothness", "dynamic_degree", "imaging_quality", "aesthetic_quality"], local=True
    )
    cpu = torch.device("cpu")
    MotionSmoothness(sub["motion_smoothness"]["config"], sub["motion_smoothness"]["ckpt"], cpu)
    DynamicDegree(
        EasyDict(model=sub["dynamic_degree"]["model"], small=False, mixed_precision=False, alternate_corr=False), cpu
    )
    MUSIQ(pretrained_model_path=sub["imaging_quality"]["model_path"])
    assert get_aesthetic_model(sub["aesthetic_quality"][1]).weight.shape == (1, 768)


# --- VBench's own compute_<dimension> on 2 tiny videos ----------------------------------------------


@pytest.fixture
def vbench_i2v_shims(monkeypatch, workdir):
    """Run from the prepared folder, DreamSim on the CPU, torch.hub's folder restored afterwards."""
    import dreamsim
    import vbench2_beta_i2v.i2v_background

    monkeypatch.chdir(workdir)
    monkeypatch.setattr(vbench2_beta_i2v.i2v_background, "dreamsim", functools.partial(dreamsim.dreamsim, device="cpu"))
    with weights.torch_hub_dir_kept():
        yield


@pytest.mark.parametrize("dimension", BUILT)
def test_vbench_compute_scores_tiny_videos(dimension, roots, videos, tmp_path, request):
    import importlib

    import torch

    if dimension in I2V:
        request.getfixturevalue("vbench_i2v_shims")
        utils = importlib.import_module("vbench2_beta_i2v.utils")
        module = importlib.import_module(f"vbench2_beta_i2v.{dimension}")
    else:
        utils = importlib.import_module("vbench.utils")
        module = importlib.import_module(f"vbench.{dimension}")
    submodules = utils.init_submodules([dimension], local=True)[dimension]
    started = time.perf_counter()
    score, *_, per_video = getattr(module, f"compute_{dimension}")(
        _full_info(tmp_path, dimension, videos), torch.device("cpu"), submodules
    )
    seconds = time.perf_counter() - started
    print(f"{dimension}: {score} in {seconds:.1f} s", file=sys.stderr)
    assert math.isfinite(float(score)) and len(per_video) == len(videos)
