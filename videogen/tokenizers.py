"""Real tokenizers for tiny checkpoints, trained or written offline from a few words.

The real checkpoints' tokenizers come from the hub; these have the same classes and file layouts
(``tokenizer.json`` for Llama, ``vocab.json`` + ``merges.txt`` for CLIP, ``spiece.model`` for T5/UMT5),
so the loading code is the same, with vocabularies small enough for tiny embedding tables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

# Llama 3's pre-tokenizer split pattern (byte-level BPE, as in the real HunyuanVideo tokenizer).
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def write_llama_tokenizer(folder: Path, corpus: list[str], special_tokens: Iterable[str] = ()):
    """A Llama-3-style byte-level BPE trained on ``corpus`` (e.g. a prompt template, so that the template
    tokenizes to exactly its ``crop_start``), saved as ``LlamaTokenizerFast``; returns the tokenizer."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaTokenizerFast

    bos, eos = "<|begin_of_text|>", "<|end_of_text|>"
    specials = [bos, eos, *special_tokens]
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_LLAMA3_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=2048,
            min_frequency=1,
            special_tokens=specials,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A",
        pair=f"{bos} $A {bos} $B",
        special_tokens=[(bos, tok.token_to_id(bos))],
    )
    fast = LlamaTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        pad_token=eos,
        add_bos_token=True,
        add_eos_token=False,
        padding_side="right",
        legacy=False,
        model_max_length=4096,
    )
    fast.save_pretrained(folder)
    return fast


def write_clip_tokenizer(folder: Path, words: Iterable[str]):
    """A real ``CLIPTokenizer`` from a byte-level vocab.json and merges.txt that merge ``words`` whole."""
    from transformers import CLIPTokenizer
    from transformers.models.clip.tokenization_clip import bytes_to_unicode

    alphabet = list(bytes_to_unicode().values())
    vocab = alphabet + [c + "</w>" for c in alphabet]
    merges: list[str] = []
    for word in words:
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            merge = f"{pieces[0]} {pieces[1]}"
            if merge not in merges:
                merges.append(merge)
                vocab.append(pieces[0] + pieces[1])
            pieces = [pieces[0] + pieces[1], *pieces[2:]]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    folder.mkdir(parents=True, exist_ok=True)
    vocab_file, merges_file = folder / "vocab.json", folder / "merges.txt"
    vocab_file.write_text(json.dumps({t: i for i, t in enumerate(dict.fromkeys(vocab))}, ensure_ascii=False))
    merges_file.write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    clip = CLIPTokenizer(str(vocab_file), str(merges_file), pad_token="<|endoftext|>")
    clip.save_pretrained(folder)
    return clip


def write_t5_tokenizer(folder: Path, corpus: list[str], *, vocab_size: int = 256, extra_ids: int = 0):
    """A real ``T5TokenizerFast`` (T5 and UMT5 use the same class) from a SentencePiece unigram model
    trained offline on ``corpus``, saved with its ``spiece.model``; returns the tokenizer."""
    import io

    import sentencepiece as spm
    from transformers import T5TokenizerFast

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        pad_piece="<pad>",
        eos_piece="</s>",
        unk_piece="<unk>",
        character_coverage=1.0,
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spiece.model").write_bytes(model.getvalue())
    # add_prefix_space: SentencePiece's dummy prefix ("The" -> "▁", "T", "he"), as the real T5/UMT5
    # tokenizer.json files do; without it the converted fast tokenizer drops the first "▁".
    tok = T5TokenizerFast(vocab_file=str(folder / "spiece.model"), extra_ids=extra_ids, add_prefix_space=True)
    tok.save_pretrained(folder)
    return tok
