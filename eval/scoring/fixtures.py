"""Random-weight stand-ins for VBench's weight files: built offline and deterministically, in the
real files' formats and at their real paths, so that VBench's own loading code reads them.

Where the loader derives the architecture from the file, the fixture is a small model of the same
family; where the loader fixes the architecture, the fixture is full size (random weights):

==================  ==========================================================  ==================
product             format VBench's loader reads                                size (real: arch)
==================  ==========================================================  ==================
dino                state dict of a ViT (DINO's keys), read by a ``hubconf.py``  small: width 64,
                    in DINO's repo folder (ours: timm's ViT, DINO's position     12 blocks (DreamSim
                    interpolation, architecture read from the checkpoint)        hooks block 11)
clip_b32, aesthetic TorchScript archive of ``clip.model.CLIP`` (``clip.load``    small: 1 layer,
                    rebuilds it from the state-dict shapes); LAION head:          width 64 (embed
                    ``nn.Linear(768, 1)`` state dict                              dims kept: 512/768)
musiq               pyiqa ``MUSIQ`` state dict                                   full (fixed arch)
amt                 ``{"state_dict": AMT-S}`` (arch from VBench's AMT-S.yaml)    full (fixed arch)
raft                RAFT state dict with DataParallel ``module.`` keys           full (fixed arch)
dreamsim            ``./models``: DINO hub folder + checkpoint (as ``dino``),    DINO small; the two
                    ``{"student": head}``, ``{"state_dict": ViT-B/16 + proj}``   CLIP ViT-B/16 full
                    for CLIP and OpenCLIP, peft LoRA adapter (``qkv``)           (fixed arch)
cotracker           CoTracker2 state dict, built from the co-tracker hub code    full (fixed arch)
                    the user provides (its code is not in any wheel)
==================  ==========================================================  ==================

Each product's files are written atomically, then recorded in ``.skyreels-fixtures.json`` at
their root (the completion marker, written last); a complete product is not built again, and a
product any of whose files is a real (non-fixture) file is left alone.
"""
from __future__ import annotations

import fcntl
import io
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from eval.atomic import sha256_file, write_bytes_atomic, write_json_atomic
from eval.scoring.weights import (COTRACKER_REPO, DINO_URL, DREAMSIM_DIR, FIXTURE_MANIFEST, Roots, ScoringWeightsError,
                                  WeightFile, fixture_manifest, is_fixture, package_dir, required_files,
                                  torch_hub_dir_kept)

FIXTURE_VERSION = 1
DINO_WIDTH, DINO_DEPTH = 64, 12
CLIP_WIDTH = 64
COTRACKER_HUB = "facebookresearch_co-tracker_main"

# Our own stand-in for DINO's hubconf.py (not DINO's code): a timm ViT whose size is read from
# the checkpoint, with DINO's state-dict keys and DINO's way of resizing position embeddings.
HUBCONF = '''"""Stand-in for facebookresearch/dino's hubconf, written by eval.scoring.fixtures (not DINO's code).

``dino_vitb16`` builds a timm ViT sized from the checkpoint at
``torch.hub.get_dir()/checkpoints/dino_vitbase16_pretrain.pth`` (DINO's URL, as DINO's hubconf
reads it) and returns the final-norm CLS token, as DINO's ViT does. Position embeddings are
resized as DINO resizes them (bicubic, scale (w+0.1)/n by (h+0.1)/n, in DINO's axis order).
"""
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

dependencies = ["torch", "timm"]
URL = "%(url)s"


class _DinoViT(VisionTransformer):
    def _dino_pos_embed(self, rows, cols, square):
        n = int((self.pos_embed.shape[1] - 1) ** 0.5)
        if rows == cols == n and square:
            return self.pos_embed
        grid = self.pos_embed[:, 1:].reshape(1, n, n, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, scale_factor=((cols + 0.1) / n, (rows + 0.1) / n), mode="bicubic",
                             align_corners=False, recompute_scale_factor=False)
        return torch.cat((self.pos_embed[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, grid.shape[1])), dim=1)

    def forward_features(self, x):
        square = x.shape[-1] == x.shape[-2]
        x = self.patch_embed.proj(x)
        rows, cols = x.shape[-2:]
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x.flatten(2).transpose(1, 2)), dim=1)
        x = self.pos_drop(x + self._dino_pos_embed(rows, cols, square))
        return self.norm(self.blocks(x))


def _vit(state):
    width = state["cls_token"].shape[-1]
    patch = state["patch_embed.proj.weight"].shape[-1]
    grid = int((state["pos_embed"].shape[1] - 1) ** 0.5)
    depth = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    mlp_ratio = state["blocks.0.mlp.fc1.weight"].shape[0] / width
    return _DinoViT(img_size=patch * grid, patch_size=patch, embed_dim=width, depth=depth,
                    num_heads=max(1, width // 64), mlp_ratio=mlp_ratio, qkv_bias=True, num_classes=0)


def dino_vitb16(pretrained=True, **kwargs):
    """DINO ViT-B/16 (or the size the checkpoint has); VBench's extra kwargs are ignored, as DINO does."""
    if not pretrained:
        return _DinoViT(patch_size=16, embed_dim=768, depth=12, num_heads=12, qkv_bias=True, num_classes=0)
    state = torch.hub.load_state_dict_from_url(URL, map_location="cpu")
    model = _vit(state)
    model.load_state_dict(state)
    return model
''' % {"url": DINO_URL}


class FixtureError(ScoringWeightsError):
    """A fixture that cannot be built; the message says what to provide."""


@dataclass(frozen=True)
class Product:
    """Fixture files built together, for ``dimensions``; ``provided`` relpaths are the user's code."""

    name: str
    dimensions: tuple[str, ...]
    build: Callable[[Roots], None]
    provided: tuple[str, ...] = ()

    def files(self) -> list[WeightFile]:
        return [f for f in required_files(self.dimensions) if f.relpath not in self.provided]


def _write(path: Path, data: bytes) -> None:
    """Atomically, readable by all (as downloads are), so that a shared cache works."""
    write_bytes_atomic(path, data)
    os.chmod(path, 0o644)


def _save_torch(obj, path: Path) -> None:
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    _write(path, buffer.getvalue())


def _dino_state(seed: int) -> dict:
    import torch
    from timm.models.vision_transformer import VisionTransformer

    torch.manual_seed(seed)
    vit = VisionTransformer(img_size=224, patch_size=16, embed_dim=DINO_WIDTH, depth=DINO_DEPTH, num_heads=1,
                            qkv_bias=True, num_classes=0)
    return vit.state_dict()


def _write_dino_hub(repo_dir: Path, *checkpoints: Path) -> None:
    """Our DINO hubconf in ``repo_dir``, and the small DINO checkpoint at each of ``checkpoints``."""
    _write(repo_dir / "hubconf.py", HUBCONF.encode())
    state = _dino_state(seed=0)
    for checkpoint in checkpoints:
        _save_torch(state, checkpoint)


def _build_dino(roots: Roots) -> None:
    # VBench only checks that the copy in dino_model/ exists; the hubconf reads torch.hub's.
    _write_dino_hub(roots.vbench / "dino_model/facebookresearch_dino_main",
                    roots.torch_hub / "checkpoints/dino_vitbase16_pretrain.pth",
                    roots.vbench / "dino_model/dino_vitbase16_pretrain.pth")


def _clip_archive(embed_dim: int, patch: int, grid: int, seed: int) -> bytes:
    """A TorchScript archive of a 1-layer, width-64 CLIP (fp16 weights, as OpenAI's archives), with
    ``forward``, ``encode_image`` and ``encode_text`` traced; ``clip.load`` rebuilds it from the shapes."""
    import warnings

    import torch
    from clip.model import CLIP

    torch.manual_seed(seed)
    model = CLIP(embed_dim, patch * grid, 1, CLIP_WIDTH, patch, 77, 49408, CLIP_WIDTH, CLIP_WIDTH // 64, 1).eval()
    image, text = torch.zeros(1, 3, patch * grid, patch * grid), torch.zeros(1, 77, dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.trace is deprecated; the archive format is what clip reads
        traced = torch.jit.trace_module(model, {"forward": (image, text), "encode_image": (image,),
                                                "encode_text": (text,)})
    traced.half()
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    return buffer.getvalue()


def _build_clip_b32(roots: Roots) -> None:
    _write(roots.vbench / "clip_model/ViT-B-32.pt", _clip_archive(512, 32, 7, seed=1))


def _build_aesthetic(roots: Roots) -> None:
    import torch

    _write(roots.vbench / "clip_model/ViT-L-14.pt", _clip_archive(768, 14, 16, seed=2))
    torch.manual_seed(3)
    _save_torch(torch.nn.Linear(768, 1).state_dict(),
                roots.vbench / "aesthetic_model/emb_reader/sa_0_4_vit_l_14_linear.pth")


def _build_musiq(roots: Roots) -> None:
    import torch
    from pyiqa.archs.musiq_arch import MUSIQ

    torch.manual_seed(4)
    _save_torch(MUSIQ(pretrained=False).state_dict(), roots.vbench / "pyiqa_model/musiq_spaq_ckpt-358bb6af.pth")


def _build_amt(roots: Roots) -> None:
    import torch
    from omegaconf import OmegaConf
    from vbench.third_party.amt.utils.build_utils import build_from_cfg

    config = package_dir("vbench") / "third_party/amt/cfgs/AMT-S.yaml"
    torch.manual_seed(5)
    model = build_from_cfg(OmegaConf.load(config).network)
    _save_torch({"state_dict": model.state_dict()}, roots.vbench / "amt_model/amt-s.pth")


def _build_raft(roots: Roots) -> None:
    import torch
    from easydict import EasyDict
    from vbench.third_party.RAFT.core.raft import RAFT

    torch.manual_seed(6)
    model = RAFT(EasyDict(small=False, mixed_precision=False, alternate_corr=False))
    _save_torch({f"module.{k}": v for k, v in model.state_dict().items()},
                roots.vbench / "raft_model/models/raft-things.pth")


def _build_dreamsim(roots: Roots) -> None:
    import torch
    from dreamsim.config import dreamsim_args
    from dreamsim.feature_extraction.vision_transformer import vit_base
    from dreamsim.model import PerceptualModel
    from peft import LoraConfig, get_peft_model

    folder = roots.vbench / DREAMSIM_DIR
    _write_dino_hub(folder / "facebookresearch_dino_main", folder / "checkpoints/dino_vitbase16_pretrain.pth")
    torch.manual_seed(7)  # DreamSim reads only the student's projection head from DINO's training checkpoint
    head = {"mlp.0": (64, DINO_WIDTH), "mlp.2": (64, 64), "mlp.4": (32, 64), "last_layer": (128, 32)}
    student = {f"module.head.{name}.weight": torch.randn(shape) * 0.02 for name, shape in head.items()}
    student.update({f"module.head.{name}.bias": torch.zeros(shape[0]) for name, shape in head.items()
                    if name != "last_layer"})
    _save_torch({"student": student}, folder / "dino_vitb16_pretrain.pth")
    for seed, name in ((8, "clip_vitb16_pretrain.pth.tar"), (9, "open_clip_vitb16_pretrain.pth.tar")):
        torch.manual_seed(seed)
        vit = vit_base(patch_size=16)
        vit.pos_drop = torch.nn.LayerNorm(vit.embed_dim)  # as DreamSim's loaders do before load_state_dict
        _save_torch({"state_dict": {**vit.state_dict(), "proj": torch.randn(768, 512) * 768 ** -0.5}},
                    folder / name)
        del vit
    config = dreamsim_args["model_config"]["ensemble"]
    with torch_hub_dir_kept():
        model = PerceptualModel(**config, device="cpu", load_dir=str(folder), normalize_embeds=True)
    # DreamSim's ensemble LoRA settings (its training config); the adapter's keys follow the model.
    lora = get_peft_model(model, LoraConfig(r=16, lora_alpha=0.5, lora_dropout=0.3, bias="none",
                                            target_modules=["qkv"]))
    torch.manual_seed(10)
    for name, param in lora.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0.0, 0.02)  # peft starts B at zero; random B makes the adapter matter
    with tempfile.TemporaryDirectory(dir=folder) as staging:
        lora.save_pretrained(staging)
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            _write(folder / "ensemble_lora" / name, (Path(staging) / name).read_bytes())


def _build_cotracker(roots: Roots) -> None:
    import torch

    repo = roots.torch_hub / COTRACKER_HUB
    if not (repo / "hubconf.py").is_file():
        raise FixtureError(f"camera_motion's CoTracker fixture is built from the co-tracker code, which is "
                           f"not at {repo}: git clone {COTRACKER_REPO} {repo}")
    torch.manual_seed(11)
    predictor = torch.hub.load(str(repo), "cotracker2", source="local", pretrained=False)
    _save_torch(predictor.model.state_dict(), roots.torch_hub / "checkpoints/cotracker2.pth")


PRODUCTS: tuple[Product, ...] = (
    Product("dino", ("subject_consistency", "i2v_subject"), _build_dino),
    Product("clip_b32", ("background_consistency", "appearance_style"), _build_clip_b32),
    Product("aesthetic", ("aesthetic_quality",), _build_aesthetic),
    Product("musiq", ("imaging_quality",), _build_musiq),
    Product("amt", ("motion_smoothness",), _build_amt),
    Product("raft", ("dynamic_degree",), _build_raft),
    Product("dreamsim", ("i2v_background",), _build_dreamsim),
    Product("cotracker", ("camera_motion",), _build_cotracker, provided=(f"{COTRACKER_HUB}/hubconf.py",)),
)
NO_WEIGHTS = ("temporal_flickering",)
SUPPORTED = tuple(d for p in PRODUCTS for d in p.dimensions) + NO_WEIGHTS


def products_for(dimensions) -> list[Product]:
    """The products ``dimensions`` need; raises for a dimension no fixture exists for."""
    dimensions = set(dimensions)
    unsupported = sorted(dimensions - set(SUPPORTED))
    if unsupported:
        raise FixtureError(f"no random-weight fixtures for {unsupported} (their models are large and fixed); "
                           f"use real weights (`python -m eval.scoring.weights fetch --dimensions "
                           f"{','.join(unsupported)}`), or fixtures only for: {', '.join(SUPPORTED)}")
    return [p for p in PRODUCTS if dimensions & set(p.dimensions)]


@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(product: Product, files: list[WeightFile], roots: Roots) -> None:
    """Add ``files`` to their roots' fixture manifests: the product's completion marker."""
    for root in {f.root for f in files}:
        manifest = fixture_manifest(roots.of(root))
        for f in files:
            if f.root == root:
                path = f.path(roots)
                if not path.is_file():
                    raise FixtureError(f"fixture {product.name} did not write {path}; its builder and "
                                       "eval.scoring.weights.FILES disagree: fix the builder")
                manifest[f.relpath] = {"product": product.name, "version": FIXTURE_VERSION,
                                       "size": path.stat().st_size, "sha256": sha256_file(path)}
        write_json_atomic(roots.of(root) / FIXTURE_MANIFEST, manifest)
        os.chmod(roots.of(root) / FIXTURE_MANIFEST, 0o644)


def _current(file: WeightFile, roots: Roots) -> bool:
    """Whether ``file`` is a fixture of this ``FIXTURE_VERSION`` (an older one is rebuilt)."""
    entry = fixture_manifest(roots.of(file.root)).get(file.relpath, {})
    return is_fixture(file, roots) and entry.get("version") == FIXTURE_VERSION


def build_fixtures(dimensions, vbench_cache_dir, torch_home) -> dict:
    """Build the fixtures ``dimensions`` need under ``vbench_cache_dir`` and ``torch_home/hub``
    (idempotent; one builder at a time). Returns ``{"fixtures": {path: product}, "kept": [path]}``:
    the fixture files, and the real files that made a product be left alone."""
    roots = Roots(Path(vbench_cache_dir).expanduser(), Path(torch_home).expanduser() / "hub")
    result = {"fixtures": {}, "kept": []}
    with _locked(roots.vbench / ".skyreels-fixtures.lock"):
        for product in products_for(dimensions):
            files = product.files()
            real = [str(f.path(roots)) for f in files if f.path(roots).is_file() and not is_fixture(f, roots)]
            if real:
                result["kept"] += real
                continue
            if not all(_current(f, roots) for f in files):
                product.build(roots)
                _record(product, files, roots)
            result["fixtures"].update({str(f.path(roots)): product.name for f in files})
    return result
