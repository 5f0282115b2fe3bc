"""The tiny checkpoint: real on-disk layout, deterministic build, and the prompt-template tokenizer guard."""

from __future__ import annotations

import hashlib
import json

import pytest

from skyreels.recipe import PROMPT_TEMPLATE


def test_layout_matches_the_real_repos(tiny_root):
    base = tiny_root / "HunyuanVideo"
    index = json.loads((base / "model_index.json").read_text())
    assert index["tokenizer"] == ["transformers", "LlamaTokenizerFast"]
    assert index["tokenizer_2"] == ["transformers", "CLIPTokenizer"]
    for component in ("transformer", "vae", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "scheduler"):
        assert (base / component).is_dir(), component
    assert (base / "tokenizer_2" / "vocab.json").exists() and (base / "tokenizer_2" / "merges.txt").exists()
    for name in ("SkyReels-V1-Hunyuan-T2V", "SkyReels-V1-Hunyuan-I2V"):  # weights at the repo root
        assert (tiny_root / name / "config.json").exists()
        assert (tiny_root / name / "diffusion_pytorch_model.safetensors").exists()
    llama = json.loads((base / "text_encoder" / "config.json").read_text())
    assert llama["architectures"] == ["LlamaModel"] and llama["num_hidden_layers"] >= 3
    clip = json.loads((base / "text_encoder_2" / "config.json").read_text())
    assert clip["architectures"] == ["CLIPTextModel"]
    sched = json.loads((base / "scheduler" / "scheduler_config.json").read_text())
    assert sched["_class_name"] == "FlowMatchEulerDiscreteScheduler" and sched["shift"] == 7.0


def test_build_is_deterministic(tiny_root, tmp_path):
    from skyreels.tiny import build_tiny_checkpoint

    build_tiny_checkpoint(tmp_path / "again")
    files = sorted(p.relative_to(tiny_root) for p in tiny_root.rglob("*") if p.is_file() and p.name != ".complete")
    assert len(files) > 20
    for rel in files:
        assert (
            hashlib.sha256((tiny_root / rel).read_bytes()).digest()
            == hashlib.sha256((tmp_path / "again" / rel).read_bytes()).digest()
        ), rel


def test_template_is_diffusers_template():
    from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_skyreels_image2video import (
        DEFAULT_PROMPT_TEMPLATE as I2V_TEMPLATE,
    )
    from diffusers.pipelines.hunyuan_video.pipeline_hunyuan_video import DEFAULT_PROMPT_TEMPLATE

    assert PROMPT_TEMPLATE == DEFAULT_PROMPT_TEMPLATE == I2V_TEMPLATE


def test_template_prefix_is_exactly_crop_start_tokens(t2v):
    tok = t2v.pipe.tokenizer
    prefix = PROMPT_TEMPLATE["template"].split("{}")[0]
    assert len(tok(prefix).input_ids) == PROMPT_TEMPLATE["crop_start"] == 95


def test_pipeline_keeps_only_prompt_tokens_after_crop(t2v):
    """Through diffusers' own encoding: the kept mask covers exactly the prompt's tokens plus <|eot_id|>."""
    pipe, prompt = t2v.pipe, "FPS-24, A red fox runs across a snowy field"
    _, mask = pipe._get_llama_prompt_embeds(prompt, PROMPT_TEMPLATE, device="cpu", max_sequence_length=64)
    n_prompt = len(pipe.tokenizer(prompt, add_special_tokens=False).input_ids)
    assert int(mask.sum()) == n_prompt + 1
    ids = pipe.tokenizer(PROMPT_TEMPLATE["template"].format(prompt)).input_ids[95:]
    assert pipe.tokenizer.decode(ids) == prompt + "<|eot_id|>"


def test_guard_refuses_a_rebuilt_tokenizer(t2v):
    """A Llama tokenizer with a sentencepiece-style pre-tokenizer (the transformers>=5 rebuild) is refused."""
    from tokenizers import pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from skyreels.tokenizer_guard import TokenizerMismatchError, check_template_crop

    good = t2v.pipe.tokenizer
    check_template_crop(good, PROMPT_TEMPLATE)
    backend = type(good.backend_tokenizer).from_str(good.backend_tokenizer.to_str())
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    broken = PreTrainedTokenizerFast(tokenizer_object=backend, bos_token="<|begin_of_text|>")
    with pytest.raises(TokenizerMismatchError, match="crop_start=95"):
        check_template_crop(broken, PROMPT_TEMPLATE)
