"""One video from the command line, with the tiny built-in checkpoint or the real SkyReels V1 weights.

python -m skyreels.generate --prompt "A cat walks on the grass" --out cat.mp4               # tiny, T2V
python -m skyreels.generate --prompt "..." --image cat.png --out cat.mp4                   # tiny, I2V
python -m skyreels.generate --weights real --prompt "..." --out cat.mp4                   # real weights
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields

from .recipe import GenerationSettings, SettingsError
from .weights import DEFAULT_BASE, TINY, WeightsError

# Small, fast defaults for the tiny checkpoint; real weights use SkyReels' recipe (544x960, 97 frames, 30 steps).
TINY_SIZE = {"height": 64, "width": 64, "num_frames": 9, "num_inference_steps": 4}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m skyreels.generate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--prompt", required=True)
    p.add_argument("--image", help="conditioning image: makes it image-to-video")
    p.add_argument("--out", required=True, help="output .mp4 path")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--weights",
        choices=("tiny", "real"),
        default="tiny",
        help="tiny: built-in random checkpoint (default); real: SkyReels V1 + HunyuanVideo",
    )
    p.add_argument("--base", help=f"base pipeline: hub id or folder (real default {DEFAULT_BASE})")
    p.add_argument("--base-revision")
    p.add_argument("--transformer", help="SkyReels transformer: hub id or folder (real default by task)")
    p.add_argument("--transformer-revision")
    p.add_argument("--device", default="auto")
    p.add_argument("--offline", action="store_true", help="never touch the network (also HF_HUB_OFFLINE=1)")
    for f in fields(GenerationSettings):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            p.add_argument(flag, type=_bool, default=None, metavar="{true,false}")
        else:
            p.add_argument(flag, type={"int": int, "float": float}.get(str(f.type), str), default=None)
    return p


def _bool(text: str) -> bool:
    if text.lower() in {"1", "true", "yes", "on"}:
        return True
    if text.lower() in {"0", "false", "no", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .pipeline import ModelSpec, SkyReelsGenerator

    task = "i2v" if args.image else "t2v"
    overrides = {f.name: getattr(args, f.name) for f in fields(GenerationSettings) if getattr(args, f.name) is not None}
    try:
        settings = GenerationSettings(**{**(TINY_SIZE if args.weights == "tiny" else {}), **overrides})
        tiny = args.weights == "tiny"
        spec = ModelSpec(
            task=task,
            base=args.base or (TINY if tiny else DEFAULT_BASE),
            base_revision=args.base_revision,
            transformer=args.transformer or (TINY if tiny else None),
            transformer_revision=args.transformer_revision,
            device=args.device,
        )
        generator = SkyReelsGenerator.load(spec, settings, offline=True if args.offline else None)
        info = generator.generate(args.prompt, seed=args.seed, out_path=args.out, image=args.image)
    except (SettingsError, WeightsError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps({**info.__dict__, "provenance": generator.describe()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
