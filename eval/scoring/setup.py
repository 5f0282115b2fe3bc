"""Everything the score stage settles before any worker starts: where VBench's weights are (built as
random fixtures for the tiny default), that they are all there (preflight), and the scorer id of each
dimension (VBench version + weight hashes + preprocessing), which keys the stored scores.

temporal_flickering also gets the id of the ``static_filter`` pseudo-dimension, whose stored flags
choose its T2V videos (``eval.scoring.static_filter``); the filter's RAFT file is checked and built
only when ``static_filter`` itself is among the dimensions (the score stage adds it for T2V)."""
from __future__ import annotations

import functools
import importlib.metadata
import os
from pathlib import Path

from eval.atomic import sha256_file
from eval.plan import canonical_json, sha256_hex
from eval.scoring.static_filter import FILTERED, STATIC_FILTER
from skyreels.cache import cache_dir

PREPROCESSING = "vbench_standard;read_frame=false"


def weights_roots(scoring) -> tuple[Path, Path]:
    """(``VBENCH_CACHE_DIR``, ``TORCH_HOME``) for this scoring config."""
    if scoring.get("fixtures"):
        base = cache_dir() / "vbench-fixtures"
        return base / "vbench", base / "torch"
    vbench = scoring.get("vbench_cache_dir") or os.environ.get("VBENCH_CACHE_DIR") or "~/.cache/vbench"
    torch_home = scoring.get("torch_home") or os.environ.get("TORCH_HOME") or "~/.cache/torch"
    return Path(vbench).expanduser(), Path(torch_home).expanduser()


@functools.lru_cache(maxsize=None)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def file_digest(file, roots) -> str:
    """A weight file's identity: its fixture hash, its published sha256, or (once per process) its own hash."""
    from eval.scoring.weights import fixture_manifest, is_fixture

    path = file.path(roots)
    if is_fixture(file, roots):
        return "fixture:" + fixture_manifest(roots.of(file.root))[file.relpath]["sha256"]
    if file.sha256 and len(file.sha256) == 64:
        return file.sha256
    if not path.is_file():
        return "missing"
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime_ns)


def prepare_scoring(scoring, dimensions: list[str], generator_cfg: dict, *, check: bool = True) -> tuple[dict, dict]:
    """Returns (the workers' config, {dimension: scorer id}). Raises naming every missing file or module."""
    from eval.scoring.fixtures import fixture_hf_home
    from eval.scoring.weights import VBENCH_HF_HOME, Roots, preflight, required_files

    vbench_dir, torch_home = weights_roots(scoring)
    env = {"VBENCH_CACHE_DIR": str(vbench_dir), "TORCH_HOME": str(torch_home)}
    # fixtures: scene reads bert-base-uncased (a stand-in) from the fixtures' own Hugging Face home, offline;
    # not HF_HOME itself, which later jobs of this process (generators) would inherit. Otherwise the jobs' own.
    hf_home = fixture_hf_home(vbench_dir) if scoring.get("fixtures") else None
    if hf_home is not None:
        env[VBENCH_HF_HOME] = str(hf_home)
    else:
        os.environ.pop(VBENCH_HF_HOME, None)
    os.environ.update(env)  # for in-process workers; SLURM workers inherit it, and set it again
    roots = Roots(vbench_dir, torch_home / "hub")
    if scoring.get("fixtures") and check:
        from eval.scoring.fixtures import build_fixtures

        preflight(dimensions, roots, files_too=False)  # missing code first: no fixture can stand in for it
        # the static filter reads dynamic_degree's RAFT file, so dynamic_degree's fixture stands in for it
        build_fixtures(["dynamic_degree" if d == STATIC_FILTER else d for d in dimensions], vbench_dir, torch_home)
    if check:
        preflight(dimensions, roots, hf_home=hf_home)
    version = importlib.metadata.version("vbench")
    scorers, weights = {}, {}
    for dim in dict.fromkeys([*dimensions, *([STATIC_FILTER] if FILTERED in dimensions else [])]):
        files = {f.relpath: file_digest(f, roots) for f in required_files([dim])}
        if dim in dimensions:
            weights[dim] = files
        scorers[dim] = sha256_hex(canonical_json([version, PREPROCESSING, files]))[:16]
    config = {
        "device": scoring.get("device"),
        "fps": generator_cfg.get("fps") or generator_cfg.get("expect_fps"),
        "env": env,
        "scorers": scorers,
        "provenance": {"scoring": {"vbench": version, "preprocessing": PREPROCESSING,
                                   "fixtures": bool(scoring.get("fixtures")), "weights": weights}},
    }
    return config, scorers
