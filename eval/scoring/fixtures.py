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
viclip              ``{"model": ViCLIP}`` (ViT-L/14 video + text encoders, built  full (fixed arch),
                    by VBench's ``ViCLIP``), fp16 tensors; its tokenizer's        fp16: 0.86 GB
                    ``bpe_simple_vocab_16e6.txt.gz`` is the real file (copied    (vocabulary: the
                    from the ``clip`` package, checked against its sha256)        real file)
umt                 UMT ViT-L/16 state dict (16 frames, 400 Kinetics classes,    full (fixed arch),
                    as ``human_action`` creates it through timm), fp16 tensors   fp16: 0.61 GB
tag2text            ``{"model": Tag2Text_Caption}`` (Swin-B; architecture from  full (fixed arch),
                    the wheel's JSON configs), fp16 tensors; [SEP] biased so    fp16: 0.83 GB;
                    captions end at min_length. Plus ``bert-base-uncased`` in   bert: width 768,
                    Hugging Face's cache layout under the fixtures' own HF home 2 layers (q2l's),
                    (jobs get ``SKYREELS_VBENCH_HF_HOME`` with fixtures only):  fp32: 0.15 GB
                    WordPiece vocab with BERT's 30522 ids (special tokens where
                    BERT has them; characters, Tag2Text's tag words,
                    ``[unusedN]``), config, ``BertModel`` safetensors
grit                ``{"model": GRiT}`` (detectron2's checkpoint layout), GRiT   full (fixed arch),
                    as VBench's GRiT dimensions build it (ViT-B, CenterNet,      fp16: 0.42 GB
                    3 cascade stages, mask head, caption decoders), built with   (shared decoder
                    detectron2 (needed); objectness and foreground biased, its   stored once)
                    decoder captions every box "red car" (DenseCap, which
                    color runs) and names it "car" (ObjectDet, the other
                    three); bert's tokenizer: the stand-in above
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
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eval.atomic import sha256_file, write_bytes_atomic, write_json_atomic
from eval.scoring.code import COTRACKER, COTRACKER_HUB
from eval.scoring.specs import SPECS
from eval.scoring.weights import (
    DINO_URL,
    DREAMSIM_DIR,
    FILES,
    FIXTURE_MANIFEST,
    HF_HUB,
    Roots,
    ScoringWeightsError,
    WeightFile,
    fixture_manifest,
    hf_hub_cache,
    is_fixture,
    package_dir,
    reading,
    required_files,
    torch_hub_dir_kept,
)

FIXTURE_VERSION = 1
DINO_WIDTH, DINO_DEPTH = 64, 12
CLIP_WIDTH = 64
BERT = "bert-base-uncased"
BERT_VOCAB, BERT_DEPTH = 30522, 2  # BERT's vocabulary size (Tag2Text's med_config expects 30522 + 2); q2l's depth
SEP_BIAS = 10.0  # Tag2Text's caption head: [SEP] (end of caption) wins once allowed

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
''' % {"url": DINO_URL}  # noqa: UP031 (the template is Python with braces)


class FixtureError(ScoringWeightsError):
    """A fixture that cannot be built; the message says what to provide."""


@dataclass(frozen=True)
class Product:
    """The random-weight fixture of weight set ``name`` (``eval.scoring.weights.FILES``), built together;
    ``provided`` relpaths are the user's code."""

    name: str
    build: Callable[[Roots], None]
    provided: tuple[str, ...] = ()

    @property
    def dimensions(self) -> tuple[str, ...]:
        return reading(self.name)

    def files(self) -> list[WeightFile]:
        return [f for f in FILES if f.model == self.name and f.relpath not in self.provided]

    def complete(self, roots: Roots) -> bool:
        """Its files outside the weight table are there: bert-base-uncased's stand-in, where its dimensions read it."""
        needs_bert = any("bert" in SPECS[d].requires for d in self.dimensions)
        return not needs_bert or _bert_current(fixture_hf_home(roots.vbench))


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
    vit = VisionTransformer(
        img_size=224, patch_size=16, embed_dim=DINO_WIDTH, depth=DINO_DEPTH, num_heads=1, qkv_bias=True, num_classes=0
    )
    return vit.state_dict()


def _write_dino_hub(repo_dir: Path, *checkpoints: Path) -> None:
    """Our DINO hubconf in ``repo_dir``, and the small DINO checkpoint at each of ``checkpoints``."""
    _write(repo_dir / "hubconf.py", HUBCONF.encode())
    state = _dino_state(seed=0)
    for checkpoint in checkpoints:
        _save_torch(state, checkpoint)


def _build_dino(roots: Roots) -> None:
    # VBench only checks that the copy in dino_model/ exists; the hubconf reads torch.hub's.
    _write_dino_hub(
        roots.vbench / "dino_model/facebookresearch_dino_main",
        roots.torch_hub / "checkpoints/dino_vitbase16_pretrain.pth",
        roots.vbench / "dino_model/dino_vitbase16_pretrain.pth",
    )


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
        traced = torch.jit.trace_module(
            model, {"forward": (image, text), "encode_image": (image,), "encode_text": (text,)}
        )
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
    _save_torch(
        torch.nn.Linear(768, 1).state_dict(), roots.vbench / "aesthetic_model/emb_reader/sa_0_4_vit_l_14_linear.pth"
    )


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
    _save_torch(
        {f"module.{k}": v for k, v in model.state_dict().items()}, roots.vbench / "raft_model/models/raft-things.pth"
    )


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
    student.update(
        {f"module.head.{name}.bias": torch.zeros(shape[0]) for name, shape in head.items() if name != "last_layer"}
    )
    _save_torch({"student": student}, folder / "dino_vitb16_pretrain.pth")
    for seed, name in ((8, "clip_vitb16_pretrain.pth.tar"), (9, "open_clip_vitb16_pretrain.pth.tar")):
        torch.manual_seed(seed)
        vit = vit_base(patch_size=16)
        vit.pos_drop = torch.nn.LayerNorm(vit.embed_dim)  # as DreamSim's loaders do before load_state_dict
        _save_torch({"state_dict": {**vit.state_dict(), "proj": torch.randn(768, 512) * 768**-0.5}}, folder / name)
        del vit
    config = dreamsim_args["model_config"]["ensemble"]
    with torch_hub_dir_kept():
        model = PerceptualModel(**config, device="cpu", load_dir=str(folder), normalize_embeds=True)
    # DreamSim's ensemble LoRA settings (its training config); the adapter's keys follow the model.
    lora = get_peft_model(
        model, LoraConfig(r=16, lora_alpha=0.5, lora_dropout=0.3, bias="none", target_modules=["qkv"])
    )
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
        raise FixtureError(
            f"camera_motion's CoTracker fixture is built from the co-tracker code, which is "
            f"not at {repo}: {COTRACKER.clone_help(repo)}"
        )
    torch.manual_seed(11)
    predictor = torch.hub.load(str(repo), "cotracker2", source="local", pretrained=False)
    _save_torch(predictor.model.state_dict(), roots.torch_hub / "checkpoints/cotracker2.pth")


def _half(state: dict) -> dict:
    """fp16 tensors (half the file; ``load_state_dict`` copies them into VBench's fp32 model)."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def _build_viclip(roots: Roots) -> None:
    """VBench's ``ViCLIP`` (its architecture is fixed in its ``__init__``), random, as ``{"model": state}``,
    which ``ViCLIP(pretrain=...)`` loads strictly; the vocabulary is the real one, from the ``clip`` package."""
    import torch

    from eval.scoring.vbench_call import VICLIP_BPE, viclip_tokenizer

    (bpe,) = [f for f in required_files(["temporal_style"]) if f.relpath == VICLIP_BPE]
    source = (package_dir("clip") or Path("-")) / "bpe_simple_vocab_16e6.txt.gz"
    if not source.is_file() or sha256_file(source) != bpe.sha256:
        raise FixtureError(
            f"ViCLIP's vocabulary is copied from the openai-clip package, whose {source} is missing "
            f"or not the release (sha256 {bpe.sha256}): {bpe.how_to_get(roots)}"
        )
    _write(bpe.path(roots), source.read_bytes())
    with viclip_tokenizer(roots.vbench):
        from vbench.third_party.ViCLIP.viclip import ViCLIP

        torch.manual_seed(14)
        model = ViCLIP(pretrain=None)
    # ViCLIP leaves these torch.empty (its checkpoint fills them): initialized as CLIP initializes them
    for param, std in (
        (model.text_encoder.positional_embedding, 0.01),
        (model.text_encoder.text_projection, model.text_width**-0.5),
        (model.vision_encoder.proj, model.vision_width**-0.5),
    ):
        param.data.normal_(0.0, std)
    state = _half(model.state_dict())
    del model
    _save_torch({"model": state}, roots.vbench / "ViCLIP/ViClip-InternVid-10M-FLT.pth")


# UMT's architecture as VBench's human_action creates it (its other arguments only set dropout and init).
UMT_ARCH = {
    "num_classes": 400,
    "all_frames": 16,
    "tubelet_size": 1,
    "use_learnable_pos_emb": False,
    "use_mean_pooling": True,
}


def umt_model(**overrides):
    """VBench's UMT ViT-L/16 (``vbench.human_action`` registers it with timm as vit_large_patch16_224)."""
    import vbench.human_action  # noqa: F401
    from timm.models import create_model

    return create_model("vit_large_patch16_224", pretrained=False, **{**UMT_ARCH, **overrides})


def _build_umt(roots: Roots) -> None:
    """A plain state dict: ``human_action`` passes ``torch.load(path)`` to ``load_state_dict``."""
    import torch

    torch.manual_seed(15)
    state = _half(umt_model(init_scale=0.001).state_dict())  # as human_action creates it
    _save_torch(state, roots.vbench / "umt_model/l16_ptk710_ftk710_ftk400_f16_res224.pth")


def fixture_hf_home(vbench_cache_dir) -> Path:
    """The fixtures' own ``HF_HOME`` (its ``bert-base-uncased`` stand-in), beside their VBench cache."""
    return Path(vbench_cache_dir).expanduser().parent / "hf"


def _bert_vocab() -> list[str]:
    """A WordPiece vocabulary with BERT's size and special-token ids ([PAD] 0, [UNK] 100, [CLS] 101,
    [SEP] 102, [MASK] 103): characters and ``##`` characters (so any text tokenizes), Tag2Text's
    prompt and tag words (so its tags and captions are words), then ``[unusedN]`` up to the size."""
    import string

    from vbench.third_party.tag2Text.tag_class import tra_array

    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    tokens = [
        "[PAD]",
        *(f"[unused{i}]" for i in range(99)),
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        *chars,
        *("##" + c for c in chars),
        "a",
        "picture",
        "of",
    ]
    tokens = list(dict.fromkeys([*tokens, *(w for tag in tra_array for w in str(tag).lower().split())]))
    return tokens + [f"[unused{i}]" for i in range(99, 99 + BERT_VOCAB - len(tokens))]


def _bert_current(hf_home: Path) -> bool:
    """Whether the stand-in of this ``FIXTURE_VERSION`` is complete (its manifest is written last)."""
    entry = fixture_manifest(hf_home).get(BERT, {})
    snapshot = hf_home / HF_HUB / f"models--{BERT}" / "snapshots" / entry.get("revision", "-")
    return entry.get("version") == FIXTURE_VERSION and all((snapshot / name).is_file() for name in entry["files"])


def _build_bert(hf_home: Path) -> None:
    """``bert-base-uncased`` in the Hugging Face cache layout (``snapshots/<revision>/``, ``refs/main``),
    revision = the files' hash: vocab, tokenizer config, config and a random ``BertModel`` of width 768."""
    import hashlib
    import json

    import torch
    from safetensors.torch import save
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=BERT_VOCAB, num_hidden_layers=BERT_DEPTH, architectures=["BertModel"])
    torch.manual_seed(12)
    state = {k: v.contiguous() for k, v in BertModel(config).state_dict().items()}
    files = {
        "vocab.txt": ("\n".join(_bert_vocab()) + "\n").encode(),
        "tokenizer_config.json": json.dumps(
            {"do_lower_case": True, "model_max_length": 512, "tokenizer_class": "BertTokenizer"}, indent=1
        ).encode(),
        "config.json": config.to_json_string(use_diff=False).encode(),
        "model.safetensors": save(state, metadata={"format": "pt"}),
    }
    revision = hashlib.sha1(b"".join(hashlib.sha256(data).digest() for data in files.values())).hexdigest()
    repo = hf_home / HF_HUB / f"models--{BERT}"
    for name, data in files.items():
        _write(repo / "snapshots" / revision / name, data)
    _write(repo / "refs" / "main", revision.encode())
    manifest = {
        **fixture_manifest(hf_home),
        BERT: {"version": FIXTURE_VERSION, "revision": revision, "files": sorted(files)},
    }
    write_json_atomic(hf_home / FIXTURE_MANIFEST, manifest)
    os.chmod(hf_home / FIXTURE_MANIFEST, 0o644)


def _build_tag2text(roots: Roots) -> None:
    """VBench's ``Tag2Text_Caption`` as ``tag2text_caption`` builds it (swin_b, 384 px), which reads
    bert-base-uncased (tokenizer and weights): from our stand-in, built first."""
    import torch
    from vbench.third_party.tag2Text.tag2text import Tag2Text_Caption

    hf_home = fixture_hf_home(roots.vbench)
    if not _bert_current(hf_home):
        _build_bert(hf_home)
    with hf_hub_cache(hf_home, offline=True):
        torch.manual_seed(13)
        model = Tag2Text_Caption(image_size=384, vit="swin_b")
    with torch.no_grad():  # captions end at generate()'s min_length, not its max_length (3x less CPU time)
        model.text_decoder.cls.predictions.bias[model.tokenizer.sep_token_id] = SEP_BIAS
    state = _half(model.state_dict())
    del model
    _save_torch({"model": state}, roots.vbench / "caption_model/tag2text_swin_14m.pth")


GRIT_FILE = "grit_model/grit_b_densecap_objectdet.pth"
# What the GRiT fixture sees and says (words of VBench's own prompts "a red car", "a car"): every location is an
# object, and every box is captioned "red car" (DenseCap) and named "car" (ObjectDet).
GRIT_CAPTION, GRIT_OBJECT = ("red", "car"), "car"
DET_BIAS = 6.0  # CenterNet's objectness and each cascade stage's foreground logit (sigmoid / softmax ~ 1)


def grit_model(hf_home: Path):
    """VBench's GRiT as its GRiT dimensions build it (``init_demo(..., task="ObjectDet")``: its
    GRiT_B_DenseCap_ObjectDet.yaml, ViT-B), random, through detectron2's ``build_model``; its tokenizer is
    ``bert-base-uncased`` from ``hf_home`` (offline)."""
    import torch
    from detectron2.modeling import build_model
    from vbench.third_party.grit_src.image_dense_captions import get_parser, setup_cfg

    args = get_parser(torch.device("cpu"), model_weight="")
    args["test_task"] = "ObjectDet"
    with hf_hub_cache(hf_home, offline=True):
        return build_model(setup_cfg(args))


def _grit_language(model) -> None:
    """Make the random GRiT find objects and caption them with fixed words, so that its dimensions count
    something: objectness and foreground biases; the text decoder's transformer layers add nothing (their output
    projections are zero, so each position's state is its normalised token embedding), and the embeddings (tied
    to the output layer) chain begin token -> words -> [SEP] along orthogonal directions, with [SEP] biased
    half a step up and the begin tokens never emitted. The two tasks share the decoder and differ in their begin
    token: DenseCap (103 + 1; VBench's color runs it) says "red car", ObjectDet ([CLS]; the other three) "car"."""
    import torch

    roi = model.roi_heads
    tokenizer, textual = roi.tokenizer, roi.text_decoder.textual
    assert textual is roi.text_decoder_det.textual and textual.output.weight is textual.embedding.words.weight
    ids = tokenizer.convert_tokens_to_ids
    dense, detect = roi.task_begin_tokens["DenseCap"], roi.task_begin_tokens["ObjectDet"]
    caption, sep = ids(list(GRIT_CAPTION)), tokenizer.sep_token_id
    chain = {dense: caption[0], **dict(zip(caption, caption[1:] + [sep])), detect: ids(GRIT_OBJECT)}
    tokens = sorted({*chain, *chain.values()})
    assert len(set(chain)) == len(chain) and chain[caption[-1]] == sep and chain[detect] == caption[-1]
    scale, pull = 10.0, 5.0
    with torch.no_grad():
        model.proposal_generator.centernet_head.agn_hm.bias.fill_(DET_BIAS)
        for predictor in roi.box_predictor:
            predictor.cls_score.bias.copy_(torch.tensor([DET_BIAS, -DET_BIAS]))  # foreground, background
        for layer in textual.transformer.encoder.layer:
            for dense_layer in (layer.attention.output.dense, layer.output.dense):
                dense_layer.weight.zero_()
                dense_layer.bias.zero_()
        directions = torch.linalg.qr(torch.randn(textual.embedding.words.weight.shape[1], len(tokens)))[0].T
        axis = dict(zip(tokens, directions))
        words = textual.embedding.words.weight
        for token in tokens:
            words[token] = scale * axis[token] + (pull * axis[chain[token]] if token in chain else 0.0)
        unit = scale * pull / float(words[dense].norm()) * words.shape[1] ** 0.5  # a link's logit
        textual.output.bias[sep] = unit / 2
        textual.output.bias[[dense, detect]] = -1e4


def _half_shared(state: dict) -> dict:
    """``_half``, keeping tensors that share storage (tied and shared modules) shared in the file."""
    halves: dict = {}
    return {
        k: halves.setdefault((v.data_ptr(), v.shape, v.stride()), v.half()) if v.is_floating_point() else v
        for k, v in state.items()
    }


def _build_grit(roots: Roots) -> None:
    """``{"model": state}`` (detectron2's checkpoint layout: ``DetectionCheckpointer.load`` reads ``"model"``) of
    VBench's GRiT, random (``_grit_language``), fp16. It needs detectron2, and reads bert-base-uncased's
    tokenizer: from our stand-in, built first."""
    import torch

    if package_dir("detectron2") is None:
        raise FixtureError(
            "the GRiT fixture is built by VBench's GRiT code, which needs detectron2; see "
            "`python -m eval.scoring.weights check --dimensions object_class`"
        )
    hf_home = fixture_hf_home(roots.vbench)
    if not _bert_current(hf_home):
        _build_bert(hf_home)
    torch.manual_seed(16)
    model = grit_model(hf_home)
    _grit_language(model)
    state = _half_shared(model.state_dict())
    del model
    _save_torch({"model": state}, roots.vbench / GRIT_FILE)


PRODUCTS: tuple[Product, ...] = (
    Product("dino", _build_dino),
    Product("clip_b32", _build_clip_b32),
    Product("aesthetic", _build_aesthetic),
    Product("musiq", _build_musiq),
    Product("amt", _build_amt),
    Product("raft", _build_raft),
    Product("dreamsim", _build_dreamsim),
    Product("cotracker", _build_cotracker, provided=(f"{COTRACKER_HUB}/hubconf.py",)),
    Product("viclip", _build_viclip),
    Product("umt", _build_umt),
    Product("tag2text", _build_tag2text),
    Product("grit", _build_grit),
)


def has_fixture(dimension: str) -> bool:
    """Whether every weight set ``dimension`` reads has a random-weight fixture (temporal_flickering reads none)."""
    return dimension in SPECS and set(SPECS[dimension].models) <= {p.name for p in PRODUCTS}


def supported() -> tuple[str, ...]:
    return tuple(d for d in SPECS if has_fixture(d))


# Scored with fixtures only when scoring.dimensions names them (``DimensionSpec.slow_on_cpu``): their fixed
# ViT-L models take ~25 s (ViCLIP, 8 frames) to ~75 s (UMT, 16 frames) a video on 2 CPU cores; scene's Tag2Text
# (Swin-B, 3429-tag head, beam search on 16 frames) ~70-140 s a video; the GRiT dimensions (ViT-B detector,
# 256 proposals through 3 cascade stages twice, two caption decoders) 5-10 s a frame, 16 frames.
def not_by_default() -> tuple[str, ...]:
    return tuple(d for d in supported() if SPECS[d].slow_on_cpu)


def products_for(dimensions) -> list[Product]:
    """The products ``dimensions`` need; raises for a dimension no fixture exists for."""
    dimensions = set(dimensions)
    unsupported = sorted(d for d in dimensions if not has_fixture(d))
    if unsupported:
        raise FixtureError(
            f"no random-weight fixtures for {unsupported} (their models are large and fixed); "
            f"use real weights (`python -m eval.scoring.weights fetch --dimensions "
            f"{','.join(unsupported)}`), or fixtures only for: {', '.join(supported())}"
        )
    models = {m for d in dimensions for m in SPECS[d].models}
    return [p for p in PRODUCTS if p.name in models]


def missing_code(dimensions, roots: Roots) -> list[WeightFile]:
    """The user's code (``provided`` files) that the fixtures of ``dimensions`` are built from, where missing."""
    return [
        f
        for p in products_for([d for d in dimensions if has_fixture(d)])
        for f in FILES
        if f.model == p.name and f.relpath in p.provided and not f.path(roots).is_file()
    ]


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
                    raise FixtureError(
                        f"fixture {product.name} did not write {path}; its builder and "
                        "eval.scoring.weights.FILES disagree: fix the builder"
                    )
                manifest[f.relpath] = {
                    "product": product.name,
                    "version": FIXTURE_VERSION,
                    "size": path.stat().st_size,
                    "sha256": sha256_file(path),
                }
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
            if not all(_current(f, roots) for f in files) or not product.complete(roots):
                product.build(roots)
                _record(product, files, roots)
            result["fixtures"].update({str(f.path(roots)): product.name for f in files})
    return result
