"""Download a suite's data: ``python -m eval.suites.fetch vbench_i2v [--dest DIR]``.

For ``vbench_i2v`` it writes ``DIR/vbench2_i2v_full_info.json`` (VBench commit 45e79ec, from
GitHub) and ``DIR/crop/<ratio>/`` (``crop.zip`` from the VBench-I2V Google Drive folder, via
gdown when installed; otherwise it prints what to download by hand and exits 1). Steps
already done are skipped, and nothing appears half-written under its final name.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import urllib.request
import zipfile
from importlib.util import find_spec
from pathlib import Path

from eval.errors import SuiteError
from eval.suites.vbench_i2v import (
    I2V_JSON_NAME,
    I2V_JSON_URL,
    crops_download_help,
    default_data_dir,
    json_download_help,
)

# VBench 45e79ec, vbench2_beta_i2v/download_data.sh (the id changed in VBench 6446112, "[add] ratio 3-2")
CROPS_ZIP_DRIVE_ID = "1Y_JnYnyJ3a6QhiranoX0MQVZFcTDPekZ"


def download(url: str, target: Path) -> None:
    """``url`` to ``target``, through ``target.part`` renamed when complete."""
    partial = target.with_name(target.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
        shutil.copyfileobj(response, out)
    os.replace(partial, target)


def unpack_crops(archive: Path, dest: Path) -> None:
    """Extract ``crop.zip`` beside itself and move its ``crop/`` folder to ``dest/crop``."""
    staging = dest / ".crop-unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(staging)
    if not (staging / "crop").is_dir():
        raise SuiteError(f"{archive} holds no crop/ folder")
    os.replace(staging / "crop", dest / "crop")
    shutil.rmtree(staging)
    archive.unlink()


def fetch_vbench_i2v(dest: Path) -> bool:
    """Fetch the VBench-I2V JSON and crops into ``dest``; ``False`` when the crops need a
    manual download (instructions printed)."""
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / I2V_JSON_NAME).is_file():
        print(f"downloading {I2V_JSON_URL}")
        download(I2V_JSON_URL, dest / I2V_JSON_NAME)
    if (dest / "crop").is_dir():
        print(f"crops present in {dest / 'crop'}")
        return True
    if find_spec("gdown") is None:
        print(
            f"gdown is not installed, so the crops were not fetched: `pip install gdown` "
            f"and rerun, or by hand: {crops_download_help(dest)}"
        )
        return False
    import gdown

    archive = dest / "crop.zip"
    try:
        if gdown.download(id=CROPS_ZIP_DRIVE_ID, output=str(archive), quiet=False) is None:
            raise OSError("no file came back")
    except Exception as e:  # gdown raises its own types (quota exceeded, access denied, ...)
        print(f"gdown could not download crop.zip ({e}); by hand: {crops_download_help(dest)}")
        return False
    unpack_crops(archive, dest)
    print(f"crops unpacked into {dest / 'crop'}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.suites.fetch", description=__doc__)
    parser.add_argument("suite", choices=["vbench_i2v"])
    parser.add_argument("--dest", type=Path, default=default_data_dir(), help="folder to fill (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        return 0 if fetch_vbench_i2v(args.dest) else 1
    except (OSError, zipfile.BadZipFile, SuiteError) as e:
        print(
            f"fetch failed: {e}; by hand: {json_download_help(args.dest)}, and {crops_download_help(args.dest)}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
