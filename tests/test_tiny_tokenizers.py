"""The tokenizers tiny checkpoints are built with tokenize as the libraries they stand in for."""

from __future__ import annotations

import sentencepiece as spm

from videogen.tokenizers import write_t5_tokenizer

CORPUS = [
    "a cat walks on the grass",
    "The camera pans left",
    "镜头晃动，色调艳丽，过曝",
    "A red fox runs across a snowy field at dawn",
] * 20


def test_t5_fast_tokenizer_gives_sentencepieces_own_pieces(tmp_path):
    from transformers import AutoTokenizer

    write_t5_tokenizer(tmp_path / "tok", CORPUS)
    sp = spm.SentencePieceProcessor(model_file=str(tmp_path / "tok" / "spiece.model"))
    loaded = AutoTokenizer.from_pretrained(tmp_path / "tok")
    assert type(loaded).__name__ == "T5TokenizerFast"
    for text in ("The cat walks", "镜头晃动，A red fox", "camera  pans"):
        assert loaded.tokenize(text) == sp.encode(text, out_type=str), text
        assert loaded(text).input_ids == sp.encode(text) + [loaded.eos_token_id], text
