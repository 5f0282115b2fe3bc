"""Refuse a Llama tokenizer that mis-tokenizes the HunyuanVideo prompt template.

With transformers >= 5, the tokenizer diffusers loads as ``LlamaTokenizerFast`` is rebuilt with a wrong
pre-tokenizer: the template no longer tokenizes to ``crop_start`` tokens, so template tokens leak into
(or prompt tokens are cut from) the text embedding after the crop, silently.
"""

from __future__ import annotations

PROBE_PROMPT = "FPS-24, A red fox runs across a snowy field at dawn, camera panning left."


class TokenizerMismatchError(RuntimeError):
    """The tokens left after the template crop are not the prompt's."""


def check_template_crop(tokenizer, template: dict, prompt: str = PROBE_PROMPT) -> None:
    """Raise unless ``template`` formatted with ``prompt`` and cropped at ``crop_start`` is exactly the prompt's
    tokens."""
    crop_start = template["crop_start"]
    full = tokenizer(template["template"].format(prompt)).input_ids
    suffix = template["template"].split("{}", 1)[1]
    expected = (
        tokenizer(prompt, add_special_tokens=False).input_ids + tokenizer(suffix, add_special_tokens=False).input_ids
    )
    got = full[crop_start:]
    if got != expected:
        shown = tokenizer.convert_ids_to_tokens(got[:8])
        raise TokenizerMismatchError(
            f"Llama tokenizer {type(tokenizer).__name__} does not tokenize the prompt template to "
            f"crop_start={crop_start} tokens ({len(full) - len(expected)} before the prompt; first kept tokens "
            f"{shown}). Prompts would be silently mis-encoded. Use transformers<5 (pinned in pyproject.toml) "
            "or load the tokenizer as PreTrainedTokenizerFast from tokenizer.json"
        )
