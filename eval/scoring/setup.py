"""Everything the score stage settles before any worker starts: which code VBench runs (the wheel, or its
source tree, see ``eval.scoring.code``), where VBench's weights are (built as random fixtures for the tiny
default), that they are all there (preflight), and the scorer id of each dimension (the code that runs it
+ weight hashes + preprocessing), which keys the stored scores.

A dimension also gets the id of each pseudo-dimension a benchmark chooses its videos with
(``Benchmark.filters``: temporal_flickering's ``static_filter``, whose stored flags choose its T2V videos,
``eval.scoring.static_filter``); the filter's RAFT file is checked and built
only when ``static_filter`` itself is among the dimensions (the score stage adds it for T2V)."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from eval.atomic import sha256_file
from eval.benchmarks import BENCHMARKS
from eval.plan import canonical_json, sha256_hex
from eval.scoring.code import COTRACKER, COTRACKER_HUB, VBENCH, source_dir, use_vbench_source, vbench_code
from videogen.cache import cache_dir

PREPROCESSING = "vbench_standard;read_frame=false"


def weights_roots(scoring) -> tuple[Path, Path]:
    """(``VBENCH_CACHE_DIR``, ``TORCH_HOME``) for this scoring config."""
    if scoring.get("fixtures"):
        base = cache_dir() / "vbench-fixtures"
        return base / "vbench", base / "torch"
    vbench = scoring.get("vbench_cache_dir") or os.environ.get("VBENCH_CACHE_DIR") or "~/.cache/vbench"
    torch_home = scoring.get("torch_home") or os.environ.get("TORCH_HOME") or "~/.cache/torch"
    return Path(vbench).expanduser(), Path(torch_home).expanduser()


def scoring_roots(scoring):
    """The ``Roots`` (VBench's cache, torch.hub's folder) for this scoring config."""
    from eval.scoring.weights import Roots

    vbench_dir, torch_home = weights_roots(scoring)
    return Roots(vbench_dir, torch_home / "hub")


def provide_code(scoring) -> None:
    """Put VBench's configured source tree first on the path, and give torch.hub a co-tracker folder: a link
    to the configured co-tracker checkout where there is none (an existing folder is checked, never replaced)."""
    use_vbench_source(source_dir(VBENCH, scoring.get("vbench_source")))
    checkout = source_dir(COTRACKER, scoring.get("cotracker_source"))
    hub = scoring_roots(scoring).torch_hub / COTRACKER_HUB
    if checkout is None or hub.exists() or not (checkout / "hubconf.py").is_file():
        return
    hub.parent.mkdir(parents=True, exist_ok=True)
    if hub.is_symlink():  # dangling: its checkout moved
        hub.unlink()
    try:
        hub.symlink_to(checkout, target_is_directory=True)
    except FileExistsError:  # another process linked it first
        pass


def dimension_code(dimension: str, torch_home: str | None = None) -> str:
    """The code that scores ``dimension``: VBench's (``vbench==0.1.5`` or ``VBench@45e79ec``), and for
    camera_motion also co-tracker's hub repo (``co-tracker@fac2798``), under ``torch_home`` (default $TORCH_HOME)."""
    from eval.scoring.specs import spec

    code = vbench_code(spec(dimension).module)
    if "cotracker" in spec(dimension).requires:
        home = Path(torch_home or os.environ.get("TORCH_HOME") or "~/.cache/torch").expanduser()
        hub = home / "hub" / COTRACKER_HUB
        code += " + " + (COTRACKER.identify(hub) if (hub / "hubconf.py").is_file() else f"{COTRACKER.name}@missing")
    return code


@functools.cache
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


def prepare_scoring(
    scoring, dimensions: list[str], fps: float | None = None, *, check: bool = True
) -> tuple[dict, dict]:
    """Returns (the workers' config, {dimension: scorer id}); ``fps`` is the container fps every video must have
    (``Generator.expected_video``; None: not checked). Raises naming every missing file or module."""
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
    provide_code(scoring)
    if scoring.get("fixtures") and check:
        from eval.scoring.fixtures import build_fixtures

        preflight(dimensions, roots, files_too=False)  # missing code first: no fixture can stand in for it
        build_fixtures(dimensions, vbench_dir, torch_home)
    if check:
        preflight(dimensions, roots, hf_home=hf_home)
    scorers, weights, codes = {}, {}, {}
    filters = [f for d in dimensions for b in BENCHMARKS.values() if (f := b.filter_of(d))]  # Benchmark.filters
    for dim in dict.fromkeys([*dimensions, *filters]):
        files = {f.relpath: file_digest(f, roots) for f in required_files([dim])}
        codes[dim] = dimension_code(dim, str(torch_home))
        if dim in dimensions:
            weights[dim] = files
        scorers[dim] = sha256_hex(canonical_json([_code_key(codes[dim]), PREPROCESSING, files]))[:16]
    config = {
        "device": scoring.get("device"),
        "fps": fps,
        "env": env,
        "scorers": scorers,
        "code": codes,
        "retry_failed": bool(scoring.get("retry_failed")),
        "provenance": {
            "scoring": {
                "vbench": sorted({codes[d] for d in dimensions}),
                "code": {d: codes[d] for d in dimensions},
                "preprocessing": PREPROCESSING,
                "fixtures": bool(scoring.get("fixtures")),
                "weights": weights,
            }
        },
    }
    return config, scorers


def _code_key(code: str) -> str:
    """The code's part of a scorer id: the wheel by its bare version (as ids were before source trees)."""
    return code.removeprefix("vbench==")
