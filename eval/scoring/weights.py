"""The weight files each VBench dimension reads: where VBench reads them, where they come from.

VBench 0.1.5 (``init_submodules(..., local=True)``, as the harness calls it) reads its weights
from ``$VBENCH_CACHE_DIR`` (default ``~/.cache/vbench``; VBench reads the variable once, when
``vbench.utils`` is imported) and, through ``torch.hub``, from ``$TORCH_HOME/hub`` (default
``~/.cache/torch/hub``). DreamSim (i2v_background) reads ``./models`` relative to the working
directory, and moves torch.hub's folder there for the rest of the process; its files are kept
here under ``$VBENCH_CACHE_DIR/dreamsim_model``, and VBench runs from a folder whose ``models``
links there (``link_dreamsim_models``).

Where a file is missing, VBench shells out to wget or git halfway through a run, which fails
offline; ``preflight`` fails first, naming each file, its URL and the path to put it at. Files
that ``eval.scoring.fixtures`` built (random weights) are listed in ``.skyreels-fixtures.json``
at their root: ``verify`` does not hash them, and ``is_fixture`` tells them apart.

CLI: ``python -m eval.scoring.weights {list,check,fetch} [--dimensions a,b,c]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from eval.atomic import sha256_file
from eval.errors import HarnessError
from eval.scoring.code import COTRACKER, COTRACKER_HUB, COTRACKER_REPO, VBENCH, package_dir
from eval.scoring.specs import SPECS

ROOTS = ("vbench", "torch_hub")
SOURCES = ("file", "zip", "git")
FIXTURE_MANIFEST = ".skyreels-fixtures.json"
DREAMSIM_DIR = "dreamsim_model"
HF_HUB = "hub"  # the Hugging Face cache's folder under HF_HOME
# The HF_HOME scene's bert-base-uncased is read from, offline, where set (random fixtures: a stand-in)
VBENCH_HF_HOME = "SKYREELS_VBENCH_HF_HOME"

DINO_REPO = "https://github.com/facebookresearch/dino"
DINO_URL = "https://dl.fbaipublicfiles.com/dino/dino_vitbase16_pretrain/dino_vitbase16_pretrain.pth"
CLIP_URL = "https://openaipublic.azureedge.net/clip/models/{sha256}/{name}"
CLIP_B32_SHA256 = "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"
CLIP_L14_SHA256 = "b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836"
# VBench 45e79ec, vbench/aesthetic_quality.py (the wheel has the github.com blob URL)
LAION_URL = "https://raw.githubusercontent.com/LAION-AI/aesthetic-predictor/main/sa_0_4_vit_l_14_linear.pth"
MUSIQ_URL = "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights/musiq_spaq_ckpt-358bb6af.pth"
AMT_URL = "https://huggingface.co/lalala125/AMT/resolve/main/amt-s.pth"
RAFT_URL = "https://dl.dropboxusercontent.com/s/4j4z58wuv8o0mfz/models.zip"
VBENCH_MODELS = "https://huggingface.co/OpenGVLab/VBench_Used_Models/resolve/main/"
# As VBench 45e79ec's vbench/utils.py has it (init_submodules, the GRiT dimensions' wget; changed in its
# commit e2cacab, "fix GRiT model checkpoint url"): the 0.1.5 wheel's datarelease.blob.core.windows.net
# URL answers HTTP 409 (Vchitect/VBench issue #108).
GRIT_URL = "https://huggingface.co/OpenGVLab/VBench_Used_Models/resolve/main/grit_b_densecap_objectdet.pth"
# detectron2 (GRiT) has no wheel on PyPI: built from git at this commit, the head of its main branch in
# June 2026 (VBench's README installs an unpinned `detectron2@git+...`); its setup.py needs torch >= 1.8
# and its CI builds against torch 2.2.2. scripts/setup.sh installs it where github is reachable.
DETECTRON2_COMMIT = "02b5c4e295e990042a714712c21dc79b731e8833"
TAG2TEXT_URL = "https://huggingface.co/spaces/xinyu1205/recognize-anything/resolve/main/tag2text_swin_14m.pth"
BPE_URL = "https://raw.githubusercontent.com/openai/CLIP/main/clip/bpe_simple_vocab_16e6.txt.gz"
# dreamsim 0.2.1's dreamsim.config.dreamsim_weights["ensemble"]; members unzip into ./models.
DREAMSIM_URL = (
    "https://github.com/ssundaram21/dreamsim/releases/download/v0.2.0-checkpoints/dreamsim_ensemble_checkpoint.zip"
)
COTRACKER_URL = "https://huggingface.co/facebook/cotracker/resolve/main/cotracker2.pth"
# Imported by VBench's GRiT code besides detectron2 (VBench's requirements.txt; pyproject's `grit` extra).
GRIT_IMPORTS = ("lvis", "boto3")


class ScoringWeightsError(HarnessError):
    """Weights or code VBench needs are missing or wrong; the message says what to put where."""


@dataclass(frozen=True)
class Roots:
    """The two folders VBench reads weights from: its cache and torch.hub's."""

    vbench: Path
    torch_hub: Path

    @classmethod
    def from_env(cls) -> Roots:
        """``$VBENCH_CACHE_DIR`` (or ``~/.cache/vbench``) and ``$TORCH_HOME/hub`` (or torch's default)."""
        vbench = os.environ.get("VBENCH_CACHE_DIR") or os.path.join("~", ".cache", "vbench")
        torch_home = os.environ.get("TORCH_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch"
        )
        return cls(Path(vbench).expanduser(), Path(torch_home).expanduser() / "hub")

    def of(self, root: str) -> Path:
        return {"vbench": self.vbench, "torch_hub": self.torch_hub}[root]


@dataclass(frozen=True)
class WeightFile:
    """One file a dimension reads. ``source``: ``file`` (``url`` is the file), ``zip`` (the file is
    ``member`` of the zip at ``url``) or ``git`` (``url`` is a repository cloned to the file's folder, checked
    out at ``commit`` where given). ``sha256`` is a full digest, or the leading digits a release's file name carries."""

    model: str  # the weight set it belongs to, named by the specs that read it (eval.scoring.specs)
    relpath: str
    root: str
    url: str
    size: int | None = None
    sha256: str | None = None
    source: str = "file"
    member: str | None = None
    commit: str | None = None

    def __post_init__(self):
        if self.root not in ROOTS or self.source not in SOURCES or (self.source == "zip") != bool(self.member):
            raise ValueError(f"bad WeightFile {self}: root in {ROOTS}, source in {SOURCES}, member iff zip")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions that read it."""
        return reading(self.model)

    def path(self, roots: Roots | None = None) -> Path:
        return (roots or Roots.from_env()).of(self.root) / self.relpath

    def how_to_get(self, roots: Roots | None = None) -> str:
        """One line: the URL and exactly where the file goes."""
        path = self.path(roots)
        if self.source == "git":
            pin = f" && git -C {path.parent} checkout {self.commit[:7]}" if self.commit else ""
            return f"git clone {self.url} {path.parent}{pin}"
        if self.source == "zip":
            return f"unzip {self.member} from {self.url} to {path}"
        return f"download {self.url} to {path}"


@dataclass(frozen=True)
class Problem:
    """Something that stops a dimension from scoring, and how to fix it."""

    dimensions: tuple[str, ...]
    what: str
    fix: str

    def __str__(self) -> str:
        return f"[{', '.join(self.dimensions)}] {self.what}: {self.fix}"


def reading(model: str) -> tuple[str, ...]:
    """The dimensions whose specs read weight set ``model``."""
    return tuple(name for name, spec in SPECS.items() if model in spec.models)


FILES: tuple[WeightFile, ...] = (
    # VBench's `local` DINO: torch.hub.load(source="local") on a clone of DINO's repo; that hubconf
    # reads $TORCH_HOME/hub/checkpoints/...; the copy beside the clone is only checked to exist.
    WeightFile("dino", "dino_model/facebookresearch_dino_main/hubconf.py", "vbench", DINO_REPO, source="git"),
    WeightFile("dino", "dino_model/dino_vitbase16_pretrain.pth", "vbench", DINO_URL),
    WeightFile("dino", "checkpoints/dino_vitbase16_pretrain.pth", "torch_hub", DINO_URL),
    WeightFile(
        "clip_b32",
        "clip_model/ViT-B-32.pt",
        "vbench",
        CLIP_URL.format(sha256=CLIP_B32_SHA256, name="ViT-B-32.pt"),
        sha256=CLIP_B32_SHA256,
    ),
    WeightFile(
        "aesthetic",
        "clip_model/ViT-L-14.pt",
        "vbench",
        CLIP_URL.format(sha256=CLIP_L14_SHA256, name="ViT-L-14.pt"),
        sha256=CLIP_L14_SHA256,
    ),
    WeightFile("aesthetic", "aesthetic_model/emb_reader/sa_0_4_vit_l_14_linear.pth", "vbench", LAION_URL),
    WeightFile("musiq", "pyiqa_model/musiq_spaq_ckpt-358bb6af.pth", "vbench", MUSIQ_URL, sha256="358bb6af"),
    WeightFile("amt", "amt_model/amt-s.pth", "vbench", AMT_URL),
    WeightFile(
        "raft",
        "raft_model/models/raft-things.pth",
        "vbench",
        RAFT_URL,
        source="zip",
        member="models/raft-things.pth",
    ),
    WeightFile(
        "umt",
        "umt_model/l16_ptk710_ftk710_ftk400_f16_res224.pth",
        "vbench",
        VBENCH_MODELS + "l16_ptk710_ftk710_ftk400_f16_res224.pth",
    ),
    WeightFile("grit", "grit_model/grit_b_densecap_objectdet.pth", "vbench", GRIT_URL),
    WeightFile("tag2text", "caption_model/tag2text_swin_14m.pth", "vbench", TAG2TEXT_URL),
    WeightFile(
        "viclip", "ViCLIP/ViClip-InternVid-10M-FLT.pth", "vbench", VBENCH_MODELS + "ViClip-InternVid-10M-FLT.pth"
    ),
    WeightFile(
        "viclip",
        "ViCLIP/bpe_simple_vocab_16e6.txt.gz",
        "vbench",
        BPE_URL,
        size=1356917,
        sha256="924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
    ),
    # DreamSim's ./models: the ensemble zip, plus DINO through torch.hub with ./models as hub dir.
    *(
        WeightFile("dreamsim", f"{DREAMSIM_DIR}/{member}", "vbench", DREAMSIM_URL, source="zip", member=member)
        for member in (
            "dino_vitb16_pretrain.pth",
            "clip_vitb16_pretrain.pth.tar",
            "open_clip_vitb16_pretrain.pth.tar",
            "ensemble_lora/adapter_config.json",
            "ensemble_lora/adapter_model.safetensors",
        )
    ),
    WeightFile("dreamsim", f"{DREAMSIM_DIR}/facebookresearch_dino_main/hubconf.py", "vbench", DINO_REPO, source="git"),
    WeightFile("dreamsim", f"{DREAMSIM_DIR}/checkpoints/dino_vitbase16_pretrain.pth", "vbench", DINO_URL),
    # torch.hub.load("facebookresearch/co-tracker", "cotracker2"): the repo's hubconf (pinned, see
    # eval.scoring.code), then its weights.
    WeightFile(
        "cotracker",
        f"{COTRACKER_HUB}/hubconf.py",
        "torch_hub",
        COTRACKER_REPO,
        source="git",
        commit=COTRACKER.commit,
    ),
    WeightFile("cotracker", "checkpoints/cotracker2.pth", "torch_hub", COTRACKER_URL),
)

MODELS = tuple(dict.fromkeys(f.model for f in FILES))


def _check_dimensions(dimensions) -> tuple[str, ...]:
    dimensions = tuple(dimensions)
    unknown = sorted(set(dimensions) - set(SPECS))
    if unknown:
        raise ValueError(f"unknown VBench dimension(s) {unknown}; known: {', '.join(SPECS)}")
    return dimensions


def required_files(dimensions) -> list[WeightFile]:
    """The files ``dimensions`` read, in table order (temporal_flickering reads none)."""
    models = {m for d in _check_dimensions(dimensions) for m in SPECS[d].models}
    return [f for f in FILES if f.model in models]


def fixture_manifest(root_dir: Path) -> dict[str, dict]:
    """``relpath -> {"sha256", "size", "product"}`` of the fixtures built under ``root_dir``."""
    path = Path(root_dir) / FIXTURE_MANIFEST
    return json.loads(path.read_text()) if path.is_file() else {}


def is_fixture(file: WeightFile, roots: Roots | None = None) -> bool:
    """Whether ``file`` is a random-weight fixture (listed in its root's manifest, same size)."""
    roots = roots or Roots.from_env()
    entry = fixture_manifest(roots.of(file.root)).get(file.relpath)
    path = file.path(roots)
    return entry is not None and path.is_file() and path.stat().st_size == entry["size"]


def _digest_matches(path: Path, sha256: str) -> bool:
    return sha256_file(path).startswith(sha256) if len(sha256) < 64 else sha256_file(path) == sha256


def verify(files, roots: Roots | None = None, *, hashes: bool = True) -> list[Problem]:
    """Problems with ``files``: missing, wrong size, or (with ``hashes``) wrong sha256. Fixtures
    are checked for existence only: their content is random by design."""
    roots = roots or Roots.from_env()
    problems = []
    for f in files:
        path = f.path(roots)
        if not path.is_file():
            problems.append(Problem(f.dimensions, f"missing {path}", f.how_to_get(roots)))
        elif is_fixture(f, roots):
            continue
        elif f.size is not None and path.stat().st_size != f.size:
            problems.append(
                Problem(
                    f.dimensions,
                    f"{path} has {path.stat().st_size} bytes, expected {f.size}",
                    f"replace it: {f.how_to_get(roots)}",
                )
            )
        elif hashes and f.sha256 and not _digest_matches(path, f.sha256):
            problems.append(
                Problem(f.dimensions, f"{path} does not match sha256 {f.sha256}", f"replace it: {f.how_to_get(roots)}")
            )
    return problems


def code_problems(
    dimensions, hf_home: Path | None = None, *, bert: bool = True, roots: Roots | None = None
) -> list[Problem]:
    """What else ``dimensions`` need besides weight files: camera_motion's CoTracker visualizer
    (only in VBench's source tree, not the wheel) and co-tracker's hub code at the pinned commit (under
    ``roots``' torch hub), detectron2 for the GRiT dimensions, and (with ``bert``) bert-base-uncased in the
    Hugging Face cache for GRiT and scene: ``hf_home/hub`` where given (the scoring jobs' ``HF_HOME``), else
    huggingface_hub's cache. Nothing heavy is imported."""
    dimensions = _check_dimensions(dimensions)

    def needing(requirement: str) -> list[str]:
        return sorted(d for d in set(dimensions) if requirement in SPECS[d].requires)

    problems = []
    if needing("vbench_source"):
        problems += _source_tree(tuple(needing("vbench_source")))
    if needing("cotracker"):
        problems += _cotracker_hub(tuple(needing("cotracker")), (roots or Roots.from_env()).torch_hub)
    grit = needing("detectron2")
    if grit and find_spec("detectron2") is None:
        problems.append(
            Problem(
                tuple(grit),
                "detectron2 (GRiT's detector) is not installed",
                "pip install --no-build-isolation "
                f"'git+https://github.com/facebookresearch/detectron2.git@{DETECTRON2_COMMIT}' and pip install "
                "-e '.[grit]' (scripts/setup.sh does both where github is reachable; the build needs a C++ compiler, "
                "and nvcc for the CUDA ops)",
            )
        )
    missing = [name for name in GRIT_IMPORTS if find_spec(name) is None] if grit else []
    if missing:
        problems.append(
            Problem(
                tuple(grit),
                f"VBench's GRiT code imports {', '.join(missing)}, not installed",
                "pip install -e '.[grit]'",
            )
        )
    bert_dims = needing("bert") if bert else []
    if bert_dims and not _hf_cached("bert-base-uncased", "vocab.txt", hf_home):
        problems.append(
            Problem(
                tuple(bert_dims),
                "bert-base-uncased (tokenizer; scene also loads its weights) is not in the Hugging "
                f"Face cache{f' at {Path(hf_home) / HF_HUB}' if hf_home else ''}",
                "huggingface-cli download bert-base-uncased, with the same HF_HOME as the scoring jobs",
            )
        )
    return problems


def _source_tree(dimensions: tuple[str, ...]) -> list[Problem]:
    """VBench's source tree on the path: camera_motion's CoTracker visualizer is not in the wheel."""
    where = f"set scoring.vbench_source or ${VBENCH.env} to a checkout, or run scripts/setup.sh where there is internet"
    package = package_dir("vbench2_beta_i2v")
    if package is not None and (package / "third_party" / "cotracker" / "utils" / "visualizer.py").is_file():
        return []
    return [
        Problem(
            dimensions,
            f"vbench2_beta_i2v.third_party.cotracker is not importable (vbench2_beta_i2v is "
            f"{package}): it is only in VBench's source tree, not the wheel",
            f"{VBENCH.clone_help()}; {where}",
        )
    ]


def _cotracker_hub(dimensions: tuple[str, ...], torch_hub: Path) -> list[Problem]:
    """torch.hub's co-tracker folder, where present, at the pinned commit (a missing one is a weight file)."""
    hub = torch_hub / COTRACKER_HUB
    if not (hub / "hubconf.py").is_file() or COTRACKER.identify(hub) == f"{COTRACKER.name}@{COTRACKER.short}":
        return []
    return [
        Problem(
            dimensions,
            f"{hub} holds {COTRACKER.identify(hub)}, not the pinned co-tracker {COTRACKER.short} (VBench loads "
            "it unpinned; co-tracker's main has moved to CoTracker3)",
            f"git -C {hub} checkout {COTRACKER.short}, or replace it: {COTRACKER.clone_help(hub)}",
        )
    ]


def _hf_cached(repo_id: str, filename: str, hf_home: Path | None = None) -> bool:
    from huggingface_hub import try_to_load_from_cache

    cache = str(Path(hf_home) / HF_HUB) if hf_home else None
    return isinstance(try_to_load_from_cache(repo_id, filename, cache_dir=cache), str)


@contextmanager
def hf_hub_cache(hf_home: Path | None, offline: bool):
    """Inside, transformers and huggingface_hub read the Hugging Face cache at ``hf_home/hub`` (and
    stay offline with ``offline``): both read ``HF_HOME`` and ``HF_HUB_OFFLINE`` once, at import, so
    setting the variables later (in-process scoring) is not enough. ``hf_home=None``: no change."""
    if hf_home is None:
        yield
        return
    import huggingface_hub.constants as hub_constants
    import transformers.utils.hub as transformers_hub

    cache = str(Path(hf_home) / HF_HUB)
    settings = [(hub_constants, "HF_HUB_CACHE", cache), (transformers_hub, "TRANSFORMERS_CACHE", cache)]
    if offline:
        settings += [(hub_constants, "HF_HUB_OFFLINE", True), (transformers_hub, "_is_offline_mode", True)]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in settings]
    try:
        for owner, name, value in settings:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def preflight(
    dimensions, roots: Roots | None = None, *, files_too: bool = True, hf_home: Path | None = None
) -> list[WeightFile]:
    """Check that ``dimensions`` can be scored offline; raise one ``ScoringWeightsError`` naming
    every missing file (its URL and exact path) and every missing piece of code. Returns the files.
    ``files_too=False`` checks only the code (before random fixtures are built; they include a
    bert-base-uncased stand-in). ``hf_home``: the scoring jobs' ``HF_HOME``, where bert is looked for."""
    files = required_files(dimensions)
    problems = (verify(files, roots, hashes=False) if files_too else []) + code_problems(
        dimensions, hf_home, bert=files_too, roots=roots
    )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ScoringWeightsError(
            f"VBench cannot score {', '.join(dimensions)} offline; {len(problems)} problem(s):\n{lines}\n"
            "Fetch what has a URL with `python -m eval.scoring.weights fetch --dimensions "
            f"{','.join(dimensions)}` on a machine with internet (same VBENCH_CACHE_DIR and TORCH_HOME), "
            "or put each file at the path shown."
        )
    return files


def link_dreamsim_models(workdir: Path, roots: Roots | None = None) -> Path:
    """Make ``workdir/models`` link to the DreamSim folder, so that VBench's i2v_background, run
    from ``workdir``, finds DreamSim's files at ``./models``."""
    target = (roots or Roots.from_env()).vbench / DREAMSIM_DIR
    link = Path(workdir) / "models"
    if link.is_symlink() and link.resolve() == target.resolve():
        return link
    if link.exists() or link.is_symlink():
        raise ScoringWeightsError(
            f"{link} exists and is not a link to {target}; remove it, or score from another working directory"
        )
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)
    return link


@contextmanager
def torch_hub_dir_kept():
    """Undo ``torch.hub.set_dir`` calls made inside: DreamSim points torch.hub at ``./models`` for
    the rest of the process, so that later dimensions would read DINO and CoTracker from there."""
    import torch.hub

    saved = torch.hub._hub_dir  # None means "from $TORCH_HOME"; get_dir() would freeze today's value
    try:
        yield
    finally:
        torch.hub._hub_dir = saved


def _publish(tmp: str, target: Path) -> None:
    """Rename ``tmp`` to ``target``, readable by all as downloads usually are (shared caches)."""
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)


def _fetch_url(url: str, target: Path, sha256: str | None = None) -> None:
    """``url`` to ``target`` through a temp file in the same folder, checked, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out, 1 << 20)
        if sha256 and not _digest_matches(Path(tmp), sha256):
            raise ScoringWeightsError(
                f"{url} does not match sha256 {sha256}; the release changed or the "
                f"download was corrupted: retry, or put the right file at {target}"
            )
        _publish(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _forget_fixture(file: WeightFile, roots: Roots) -> None:
    """Drop ``file`` from its root's fixture manifest (it is being replaced by the real one)."""
    from eval.atomic import write_json_atomic

    root = roots.of(file.root)
    manifest = fixture_manifest(root)
    if manifest.pop(file.relpath, None) is not None:
        write_json_atomic(root / FIXTURE_MANIFEST, manifest)
        os.chmod(root / FIXTURE_MANIFEST, 0o644)


def download(files, roots: Roots | None = None) -> list[Path]:
    """Download every file of ``files`` that is missing or a fixture (needs the network); returns
    the paths written. Each file appears under its final name only once complete."""
    roots = roots or Roots.from_env()
    todo = [f for f in files if not f.path(roots).is_file() or is_fixture(f, roots)]
    written = []
    for url in dict.fromkeys(f.url for f in todo):
        group = [f for f in todo if f.url == url]
        try:
            if group[0].source == "git":
                for f in group:
                    _clone(f.url, f.path(roots).parent, f.commit)
            elif group[0].source == "zip":
                _unzip_members(url, [(f.member, f.path(roots)) for f in group])
            else:
                for f in group:
                    _fetch_url(url, f.path(roots), f.sha256)
        except (OSError, zipfile.BadZipFile, subprocess.CalledProcessError) as e:
            raise ScoringWeightsError(
                f"could not fetch {url} ({e}); on a machine with internet: "
                + "; ".join(f.how_to_get(roots) for f in group)
            ) from e
        for f in group:
            _forget_fixture(f, roots)
            written.append(f.path(roots))
    return written


def _clone(url: str, folder: Path, commit: str | None = None) -> None:
    """``git clone url folder`` (checked out at ``commit``) through a temp folder beside it; a fixture
    folder is replaced."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        subprocess.run(["git", "clone", "--quiet", url, str(staging / "repo")], check=True)
        if commit:
            subprocess.run(["git", "-C", str(staging / "repo"), "checkout", "--quiet", commit], check=True)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging / "repo", folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _unzip_members(url: str, members: list[tuple[str, Path]]) -> None:
    """Download the zip at ``url`` once and extract each ``(member, target)`` atomically."""
    first = members[0][1]
    first.parent.mkdir(parents=True, exist_ok=True)
    fd, archive = tempfile.mkstemp(prefix=".download.", suffix=".zip", dir=first.parent)
    os.close(fd)
    try:
        _fetch_url(url, Path(archive))
        with zipfile.ZipFile(archive) as zipped:
            for member, target in members:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
                try:
                    with os.fdopen(fd, "wb") as out, zipped.open(member) as source:
                        shutil.copyfileobj(source, out, 1 << 20)
                    _publish(tmp, target)
                finally:
                    if os.path.exists(tmp):
                        os.unlink(tmp)
    finally:
        os.unlink(archive)


def _status(f: WeightFile, roots: Roots) -> str:
    if not f.path(roots).is_file():
        return "missing"
    return "fixture" if is_fixture(f, roots) else "present"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.scoring.weights", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "command",
        choices=["list", "check", "fetch"],
        help="list: each file and its state; check: preflight (exit 1 with what is missing); "
        "fetch: download what is missing or a fixture",
    )
    parser.add_argument(
        "--dimensions", default=",".join(SPECS), help="comma-separated VBench dimensions (default: all)"
    )
    args = parser.parse_args(argv)
    try:
        dimensions = [d for d in args.dimensions.split(",") if d]
        roots = Roots.from_env()
        files = required_files(dimensions)
        if args.command == "list":
            for f in files:
                print(f"{_status(f, roots):8} {f.path(roots)}  <-  {f.url}  [{', '.join(f.dimensions)}]")
            return 0
        if args.command == "fetch":
            for path in download(files, roots):
                print(f"fetched {path}")
        preflight(dimensions, roots)
        print(f"ok: {len(files)} file(s) present for {', '.join(dimensions)}")
        return 0
    except (ScoringWeightsError, ValueError) as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
