"""scene on random-weight fixtures, offline: VBench's own Tag2Text loader reads the fixture checkpoint, and
its ``bert-base-uncased`` (tokenizer and weights) from the fixtures' own Hugging Face cache; VBench's own
``compute_scene`` scores 2 tiny T2V videos through ``vbench_call.compute`` with their prompts'
``auxiliary_info`` ({"scene": {"scene": {"scene": <words>}}}, as in VBench_full_info.json).

Tag2Text's architecture is fixed by the JSON configs in the vbench wheel (Swin-B at 384 px, 12-layer
BERT decoder, a 3429-tag head), and VBench reads 16 frames a video: the end-to-end test takes minutes
on 2 CPU cores (see ``DimensionSpec.slow_on_cpu``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from vbench_spies import NoSubprocess

from eval.scoring import fixtures, weights
from eval.scoring.specs import spec
from eval.scoring.vbench_call import VideoInput, compute

FPS = 24


@pytest.fixture(scope="module")
def base(skyreels_cache) -> Path:
    """The fixtures scene needs, where the score stage builds them (``weights_roots`` with fixtures)."""
    base = skyreels_cache / "vbench-fixtures"
    started = time.perf_counter()
    result = fixtures.build_fixtures(["scene"], base / "vbench", base / "torch")
    print(f"scene fixtures ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    assert result == {"fixtures": {str(base / "vbench/caption_model/tag2text_swin_14m.pth"): "tag2text"}, "kept": []}
    return base


@pytest.fixture
def offline(base, monkeypatch):
    """What a fixtures scoring job gets: VBench's cache, the fixtures' HF home for scene's bert; offline, no wget."""
    import vbench.utils

    monkeypatch.setenv("VBENCH_CACHE_DIR", str(base / "vbench"))
    monkeypatch.setenv("TORCH_HOME", str(base / "torch"))
    monkeypatch.setenv(weights.VBENCH_HF_HOME, str(base / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(vbench.utils, "subprocess", NoSubprocess)
    return base


def test_bert_stand_in_is_in_the_hub_cache_layout_and_vbench_tokenizes_with_it(base, tmp_path):
    from huggingface_hub import try_to_load_from_cache
    from vbench.third_party.tag2Text.tag2text import init_tokenizer

    hf_home = fixtures.fixture_hf_home(base / "vbench")
    assert hf_home == base / "hf"
    repo = hf_home / "hub/models--bert-base-uncased"
    revision = (repo / "refs/main").read_text()
    vocab = try_to_load_from_cache("bert-base-uncased", "vocab.txt", cache_dir=str(hf_home / "hub"))
    assert vocab == str(repo / "snapshots" / revision / "vocab.txt")
    # the preflight looks where the jobs' HF_HOME is, and only there
    assert weights.code_problems(["scene"], hf_home) == []
    assert "bert-base-uncased" in str(weights.code_problems(["scene"], tmp_path)[0])
    assert weights.code_problems(["scene"], tmp_path, bert=False) == []

    with weights.hf_hub_cache(hf_home, offline=True):
        tokenizer = init_tokenizer()  # VBench's: BertTokenizer.from_pretrained('bert-base-uncased') + [DEC], [ENC]
    assert (len(tokenizer), tokenizer.bos_token_id, tokenizer.enc_token_id) == (30524, 30522, 30523)  # as BERT's
    assert tokenizer.convert_ids_to_tokens([0, 100, 101, 102, 103]) == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ids = tokenizer("a picture of a bear cub").input_ids
    assert tokenizer.convert_ids_to_tokens(ids) == ["[CLS]", "a", "picture", "of", "a", "bear", "cub", "[SEP]"]
    assert tokenizer.tokenize("Qx7") == ["q", "##x", "##7"]  # any word: characters and ## characters


def test_prepare_scoring_gives_the_fixture_hf_home_to_workers_only_with_fixtures(offline, monkeypatch):
    from eval.scoring.setup import prepare_scoring

    monkeypatch.delenv(weights.VBENCH_HF_HOME)
    monkeypatch.delenv("HF_HOME", raising=False)
    config, _ = prepare_scoring({"fixtures": True}, ["scene"])  # preflight included: bert found
    assert config["env"][weights.VBENCH_HF_HOME] == os.environ[weights.VBENCH_HF_HOME] == str(offline / "hf")
    assert "HF_HOME" not in config["env"] and "HF_HOME" not in os.environ  # generators keep their own cache
    config, _ = prepare_scoring(
        {"fixtures": False, "vbench_cache_dir": str(offline / "vbench")}, ["scene"], check=False
    )
    assert weights.VBENCH_HF_HOME not in config["env"] and weights.VBENCH_HF_HOME not in os.environ


def test_scene_scores_tiny_videos_with_vbench_loader_and_compute(offline, tmp_path, monkeypatch):
    """2 videos, 2 prompts: VBench reads each prompt's scene words from auxiliary_info, captions 16
    frames with the fixture Tag2Text (loaded by VBench's own loader), and counts the frames whose
    caption contains every word; the registry's aggregate is VBench's."""
    import torch
    import vbench.scene
    import vbench.third_party.tag2Text.tag2text as tag2text

    from videogen.mp4 import write_mp4

    loaded, captions, returned = [], [], []
    load, caption = tag2text.load_checkpoint_swinbase, vbench.scene.get_caption
    compute_scene = vbench.scene.compute_scene
    monkeypatch.setattr(tag2text, "load_checkpoint_swinbase", lambda *a: loaded.append(load(*a)) or loaded[-1])
    monkeypatch.setattr(vbench.scene, "get_caption", lambda *a: captions.append(caption(*a)) or captions[-1])
    monkeypatch.setattr(
        vbench.scene, "compute_scene", lambda *a, **k: returned.append(compute_scene(*a, **k)) or returned[-1]
    )
    rng = np.random.default_rng(0)
    # VBench matches words as substrings of the caption: "e" is in any caption with an "e" in it
    scenes = {"alley": (9, "alley"), "a letter e": (5, "e")}
    videos = []
    for i, (prompt, (frames, words)) in enumerate(scenes.items()):
        clip = np.kron(rng.integers(0, 256, (frames, 16, 16, 3)), np.ones((1, 8, 8, 1))).astype(np.uint8)
        videos.append(
            VideoInput(
                str(write_mp4(clip, tmp_path / f"{i}.mp4", fps=FPS)),
                prompt,
                0,
                frames,
                auxiliary_info={"scene": {"scene": {"scene": words}}},
            )
        )

    started = time.perf_counter()
    scores = compute("scene", videos, device=torch.device("cpu"), workdir=tmp_path / "work")
    print(f"scene: 2 videos in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    # VBench's loader read every tensor of the fixture (it drops only the buffers it recomputes)
    ((model, msg),) = loaded
    assert msg.unexpected_keys == []
    assert all("relative_position_index" in k or "attn_mask" in k for k in msg.missing_keys)
    state = torch.load(offline / "vbench/caption_model/tag2text_swin_14m.pth", map_location="cpu")["model"]
    for key in ("visual_encoder.layers.2.blocks.17.mlp.fc2.weight", "label_embed.weight", "fc.W"):
        assert torch.equal(model.state_dict()[key], state[key].float()), key
    assert model.text_decoder.cls.predictions.bias[model.tokenizer.sep_token_id] == fixtures.SEP_BIAS

    # per video: the share of its 16 captioned frames whose caption holds every scene word
    assert len(captions) == 2 and all(len(c) == 16 for c in captions)
    for score, frame_captions, (_frames, words) in zip(scores, captions, scenes.values()):
        expected = sum(all(w in c for w in words.split(" ")) for c in frame_captions) / 16
        assert score.value == expected and 0 <= score.value <= 1 and score.weight == 16
    assert scores[1].value > 0  # the captions are words of the fixture's vocabulary
    vbench_value, _ = returned[0]
    assert spec("scene").reduce(scores) == pytest.approx(vbench_value, rel=1e-12, abs=0)
