"""VBench-I2V's image-to-video suite: ``vbench2_i2v_full_info.json`` plus the image crops.

The JSON lists 1118 (prompt, image) pairs over 355 images, each with its dimensions; the
images are read from ``<data_dir>/crop/<ratio>/<image_name>``, with ``ratio`` the VBench-I2V
crop closest to the generator's aspect (``ratio_for``). ``python -m eval.suites.fetch
vbench_i2v --dest DIR`` downloads both.
"""

from __future__ import annotations

import math
from pathlib import Path

from eval.errors import SuiteError
from eval.records import Suite, SuiteItem
from eval.suites.locations import item_meta
from eval.suites.naming import stable_id
from eval.suites.vbench_json import entry_fields, read_entries
from videogen.cache import cache_dir

# The crops in crop.zip: 1-1, 8-5, 7-4, 16-9 (vbench2_beta_i2v/README.md) and 3-2 (VBench 6446112)
RATIOS = {"1-1": 1.0, "3-2": 3 / 2, "8-5": 8 / 5, "7-4": 7 / 4, "16-9": 16 / 9}
VBENCH_COMMIT = "45e79ec14e69a2187202c675d2dbce1a71843d53"
I2V_JSON_NAME = "vbench2_i2v_full_info.json"
I2V_JSON_URL = f"https://raw.githubusercontent.com/Vchitect/VBench/{VBENCH_COMMIT}/vbench2_beta_i2v/{I2V_JSON_NAME}"
I2V_DRIVE_FOLDER = "https://drive.google.com/drive/folders/1fdOZKQ7HWZtgutCKKA7CMzOhMFUGv4Zx"


def default_data_dir() -> Path:
    """``cache_dir()/vbench_i2v``: where ``fetch`` puts the data unless told otherwise."""
    return cache_dir() / "vbench_i2v"


def json_download_help(data_dir: Path) -> str:
    """Where to download the VBench-I2V JSON from, and where to put it."""
    return f"download {I2V_JSON_URL} (VBench repo, vbench2_beta_i2v/{I2V_JSON_NAME}) to {data_dir / I2V_JSON_NAME}"


def crops_download_help(data_dir: Path) -> str:
    """Where to download the VBench-I2V crops from, and where to put them."""
    return (
        f"download crop.zip from the VBench-I2V Google Drive folder {I2V_DRIVE_FOLDER} "
        f"(linked in VBench's vbench2_beta_i2v/README.md) and unzip it into {data_dir}, "
        f"so that {data_dir}/crop/<ratio>/<image_name> exist"
    )


def fetch_help(data_dir: Path, by_hand: str) -> str:
    """The fetch command for ``data_dir``, or the manual steps ``by_hand``."""
    return (
        f"run `python -m eval.suites.fetch vbench_i2v --dest {data_dir}` (the crops need "
        f"`pip install gdown`), or by hand: {by_hand}"
    )


def ratio_for(width: int, height: int) -> str:
    """The VBench-I2V crop ratio (``1-1``, ``3-2``, ``8-5``, ``7-4``, ``16-9``) closest to
    ``width:height``, by ``|log(aspect / ratio)|``: 960x544 (1.765) gets ``16-9`` (1.778)
    rather than ``7-4`` (1.75), 720x480 gets ``3-2``. The crops are landscape only, so portrait
    sizes get ``1-1``."""
    if width <= 0 or height <= 0:
        raise SuiteError(f"ratio_for({width}, {height}): width and height must be positive")
    return min(RATIOS, key=lambda ratio: abs(math.log(width / height / RATIOS[ratio])))


def load_vbench_i2v(
    data_dir: str | None = None,
    path: str | None = None,
    image_root: str | None = None,
    ratio: str = "16-9",
    samples: int = 5,
) -> Suite:
    """VBench-I2V: one item per JSON entry, id ``stable_id(prompt, image_name)``, ``samples``
    videos each.

    ``data_dir`` (default ``default_data_dir()``) holds ``vbench2_i2v_full_info.json`` and
    ``crop/<ratio>/``; ``path`` and ``image_root`` override those two locations.
    """
    if ratio not in RATIOS:
        raise SuiteError(
            f"VBench-I2V has no {ratio!r} crops; set suite.ratio to one of "
            f"{', '.join(RATIOS)} (eval.suites.vbench_i2v.ratio_for(width, height) "
            "picks the closest to the generator's size)"
        )
    data = Path(data_dir) if data_dir else default_data_dir()
    source = Path(path) if path else data / I2V_JSON_NAME
    entries = read_entries(
        source,
        "VBench-I2V prompt list",
        f"fix: {fetch_help(data, json_download_help(data))}, or set suite.path to the file",
    )
    fields = {"prompt_en": str, "dimension": list, "image_type": str, "image_name": str}
    rows = [entry_fields(entry, f"{source}[{i}]", fields) for i, entry in enumerate(entries)]
    root = (Path(image_root) if image_root else data / "crop" / ratio).resolve()
    if not any((root / image_name).is_file() for *_, image_name in rows):
        raise SuiteError(
            f"VBench-I2V {ratio} crops not found: {root} holds none of the "
            f"suite's images; fix: {fetch_help(data, crops_download_help(data))}, "
            f"or set suite.image_root to a folder holding the {ratio} crops"
        )
    items = tuple(
        SuiteItem(
            id=stable_id(prompt, image_name),
            prompt=prompt,
            samples=samples,
            image=str(root / image_name),
            dimensions=tuple(dims),
            meta=item_meta(f"{source}[{i}]", image_type=image_type),
        )
        for i, (prompt, dims, image_type, image_name) in enumerate(rows)
    )
    return Suite(name="vbench_i2v", task="i2v", items=items, source=str(source), benchmark="vbench_i2v")
