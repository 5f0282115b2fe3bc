"""Weight resolution: local folders, hub ids in offline mode, and the errors for missing weights."""

from __future__ import annotations

import shutil

import pytest

from skyreels.weights import WeightsError, resolve_base, resolve_transformer


def test_tiny_and_local_folders_resolve(tiny_root):
    tiny = resolve_transformer("tiny", "i2v")
    assert tiny.path.endswith("SkyReels-V1-Hunyuan-I2V") and tiny.commit == "tiny-v1"
    local = resolve_base(str(tiny_root / "HunyuanVideo"))
    assert local.path == str(tiny_root / "HunyuanVideo") and local.commit is None


def test_hub_id_not_cached_offline_names_repo_and_fix(empty_hf_home):
    with pytest.raises(WeightsError) as err:
        resolve_transformer("Skywork/SkyReels-V1-Hunyuan-T2V", "t2v", revision="main")
    text = str(err.value)
    assert "Skywork/SkyReels-V1-Hunyuan-T2V@main is not in the Hugging Face cache" in text
    assert "offline mode is on" in text
    assert "huggingface-cli download Skywork/SkyReels-V1-Hunyuan-T2V --revision main" in text
    assert "generator.transformer=/path/to/folder" in text


def test_hub_id_served_from_cache_offline(empty_hf_home, tiny_root):
    """A snapshot in the HF cache layout (models--owner--name/snapshots/<commit>) loads offline, commit recorded."""
    repo = empty_hf_home / "hub" / "models--Skywork--SkyReels-V1-Hunyuan-T2V"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_root / "SkyReels-V1-Hunyuan-T2V", repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    resolved = resolve_transformer("Skywork/SkyReels-V1-Hunyuan-T2V", "t2v")
    assert resolved.commit == commit and resolved.path.endswith(commit)


def test_incomplete_local_folder_lists_missing_files(tiny_root, tmp_path):
    partial = tmp_path / "base"
    shutil.copytree(tiny_root / "HunyuanVideo", partial)
    shutil.rmtree(partial / "vae")
    (partial / "tokenizer" / "tokenizer_config.json").unlink()
    with pytest.raises(WeightsError, match="lacks vae/config.json, tokenizer/tokenizer_config.json"):
        resolve_base(str(partial))


def test_transformer_without_safetensors(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(WeightsError, match="no \\*.safetensors"):
        resolve_transformer(str(tmp_path), "t2v")


def test_nonsense_source(tmp_path):
    with pytest.raises(WeightsError, match="neither a folder nor a Hugging Face repo id"):
        resolve_base(str(tmp_path / "does" / "not" / "exist"))
