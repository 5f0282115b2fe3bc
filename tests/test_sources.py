"""Every external fact the harness uses for VBench is checked against VBench's source at the pinned commit
(``../shared/third_party/``, unmodified exports): URLs, cache sub-paths, Drive ids, camera phrases, and the
tree digests that identify the pinned VBench and co-tracker code. Skipped when the folder is absent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import COTRACKER_SRC, HAVE_THIRD_PARTY, VBENCH_SRC

pytestmark = pytest.mark.skipif(not HAVE_THIRD_PARTY, reason="../shared/third_party not found beside the checkout")


def _text(*roots: Path, suffixes=(".py", ".sh", ".md", ".yaml")) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in suffixes
    )


@pytest.fixture(scope="module")
def vbench_text() -> str:
    return _text(VBENCH_SRC)


def _package_text(name: str) -> str:
    from eval.scoring.code import package_dir

    return _text(package_dir(name))


def test_pinned_trees_are_the_shared_exports():
    from eval.scoring.code import COTRACKER, VBENCH

    assert VBENCH.identify(VBENCH_SRC) == "VBench@45e79ec"
    assert COTRACKER.identify(COTRACKER_SRC) == "co-tracker@fac2798"


def test_every_weight_url_appears_in_its_source(vbench_text):
    """Each URL comes from the code that downloads it: VBench 45e79ec, co-tracker fac2798's hubconf, or the
    pinned dreamsim and openai-clip packages."""
    from eval.scoring import weights

    sources = {
        weights.COTRACKER_URL: (COTRACKER_SRC / "hubconf.py").read_text(),
        weights.DREAMSIM_URL: _package_text("dreamsim"),
        weights.BPE_URL: None,
    }
    for f in weights.FILES:
        text = sources.get(f.url, vbench_text)
        if text is None:  # ViCLIP's vocabulary: copied from the clip package, whose file is hashed instead
            assert f.sha256 and f.size
            continue
        assert f.url in text, f"{f.relpath}: {f.url} is not in its source"


def test_every_vbench_cache_path_appears_in_vbench(vbench_text):
    from eval.scoring import weights

    for f in weights.FILES:
        if f.root == "vbench" and not f.relpath.startswith(weights.DREAMSIM_DIR):
            folder, name = f.relpath.rsplit("/", 1)
            assert f"/{folder}" in vbench_text, f.relpath  # {CACHE_DIR}/<folder>
            assert f.source == "git" or name in vbench_text, f.relpath  # a clone: its files are the repo's


def test_suite_download_facts_appear_in_vbench():
    from eval.suites import fetch, vbench_i2v

    script = (VBENCH_SRC / "vbench2_beta_i2v" / "download_data.sh").read_text()
    assert f"gdown --id {fetch.CROPS_ZIP_DRIVE_ID} --output vbench2_beta_i2v/data/crop.zip" in script
    readme = (VBENCH_SRC / "vbench2_beta_i2v" / "README.md").read_text()
    assert vbench_i2v.I2V_DRIVE_FOLDER in readme
    assert (VBENCH_SRC / "vbench2_beta_i2v" / vbench_i2v.I2V_JSON_NAME).is_file()
    assert vbench_i2v.I2V_JSON_URL.endswith(f"{vbench_i2v.VBENCH_COMMIT}/vbench2_beta_i2v/{vbench_i2v.I2V_JSON_NAME}")


def test_cotracker_hub_entry_is_what_vbench_loads():
    from eval.scoring.code import COTRACKER_HUB

    utils = (VBENCH_SRC / "vbench2_beta_i2v" / "utils.py").read_text()
    assert '"repo":"facebookresearch/co-tracker"' in utils and '"model":"cotracker2"' in utils
    assert "def cotracker2(" in (COTRACKER_SRC / "hubconf.py").read_text()
    assert COTRACKER_HUB == "facebookresearch_co-tracker_main"  # torch.hub's <owner>_<repo>_<branch>


def test_camera_phrases_are_vbench_get_type():
    from eval.scoring.specs import CAMERA_PHRASES

    tree = ast.parse((VBENCH_SRC / "vbench2_beta_i2v" / "camera_motion.py").read_text())
    (get_type,) = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "get_type"]
    (mapping,) = [
        n.value for n in ast.walk(get_type) if isinstance(n, ast.Assign) and n.targets[0].id == "camera_mapping"
    ]
    assert list(ast.literal_eval(mapping).items()) == list(CAMERA_PHRASES.items())
