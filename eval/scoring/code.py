"""The code VBench runs: the ``vbench`` wheel, or VBench's source tree at a pinned commit, and co-tracker's
torch.hub repo that camera_motion loads.

camera_motion needs two trees that the wheel lacks: ``vbench2_beta_i2v/third_party/cotracker`` (VBench's
source) and the hub repo ``facebookresearch/co-tracker``, which VBench loads unpinned
(``torch.hub.load("facebookresearch/co-tracker", "cotracker2")``, ``vbench2_beta_i2v/utils.py`` at 45e79ec)
although co-tracker's main has moved on to CoTracker3. We pin both: VBench at ``VBENCH_COMMIT`` and
co-tracker at ``COTRACKER_COMMIT`` (fac2798, the code VBench vendors). ``scripts/setup.sh`` clones them
into ``cache_dir()/src`` where there is internet; ``scoring.vbench_source`` / ``$SKYREELS_VBENCH_SRC`` and
``scoring.cotracker_source`` / ``$SKYREELS_COTRACKER_SRC`` point at other checkouts.

A tree is identified by a digest of its Python files (so a clone and an export of the same commit agree):
the pinned digests say "45e79ec" or "fac2798"; any other tree is recorded by its digest. The identity of
the code a dimension runs is part of its scorer id and of the provenance.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from eval.errors import HarnessError
from eval.suites.vbench_i2v import VBENCH_COMMIT
from videogen.cache import cache_dir

VBENCH_REPO = "https://github.com/Vchitect/VBench"
COTRACKER_REPO = "https://github.com/facebookresearch/co-tracker"
# co-tracker "fixed a small online processing bug", 2024-01-05: CoTracker 2.0, as vendored by VBench.
COTRACKER_COMMIT = "fac27989b31568a6a874f2e0ee00a44361a503c5"
# torch.hub's folder for "facebookresearch/co-tracker" (default branch) under $TORCH_HOME/hub.
COTRACKER_HUB = "facebookresearch_co-tracker_main"


@dataclass(frozen=True)
class CodeTree:
    """A pinned source tree: its repository, commit, the parts whose ``.py`` files identify it, and their digest."""

    name: str
    url: str
    commit: str
    parts: tuple[str, ...]
    digest: str  # tree_digest of the parts at ``commit`` (checked against ../shared/third_party by the tests)
    env: str  # the variable that points at a checkout

    @property
    def short(self) -> str:
        return self.commit[:7]

    def default_dir(self) -> Path:
        return cache_dir() / "src" / f"{self.name}-{self.short}"

    def clone_help(self, folder: Path | str | None = None) -> str:
        folder = folder or self.default_dir()
        return f"git clone {self.url} {folder} && git -C {folder} checkout {self.short}"

    def identify(self, root: Path) -> str:
        """``<name>@<short commit>`` when ``root`` holds the pinned tree, else ``<name>@tree-<digest>``."""
        digest = tree_digest(Path(root), self.parts)
        return f"{self.name}@{self.short if digest == self.digest else 'tree-' + digest[:12]}"


VBENCH = CodeTree(
    "VBench",
    VBENCH_REPO,
    VBENCH_COMMIT,
    ("vbench", "vbench2_beta_i2v"),
    "ed628bac0519bc52d7d2b94d3cde01c62af94f874f2693ee2aa70166fd24bd0c",
    "SKYREELS_VBENCH_SRC",
)
COTRACKER = CodeTree(
    "co-tracker",
    COTRACKER_REPO,
    COTRACKER_COMMIT,
    ("hubconf.py", "cotracker"),
    "1316d6529728e2d8faab03f409f2eec29bfbf27838014e9a6ea2586701fcf89c",
    "SKYREELS_COTRACKER_SRC",
)


def tree_digest(root: Path, parts) -> str:
    """sha256 over the sorted (path, sha256) of every ``.py`` file under ``root``'s ``parts``."""
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in _py_files(root, parts))
    return _digest(root, tuple(parts), stamp)


def _py_files(root: Path, parts) -> list[Path]:
    files = []
    for part in parts:
        path = root / part
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return sorted(f for f in files if "__pycache__" not in f.parts)


@functools.cache
def _digest(root: Path, parts: tuple[str, ...], stamp: tuple) -> str:
    lines = [
        f"{p.relative_to(root).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}\n"
        for p in _py_files(root, parts)
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def source_dir(tree: CodeTree, configured: str | None = None) -> Path | None:
    """The checkout of ``tree``: the setting, else its variable, else the setup's default folder if present."""
    for value in (configured, os.environ.get(tree.env)):
        if value:
            return Path(value).expanduser().resolve()
    default = tree.default_dir()
    return default if default.is_dir() else None


def use_vbench_source(folder: Path | None) -> None:
    """Put VBench's checkout first on this process's path and on ``PYTHONPATH`` (for the jobs it launches)."""
    if folder is None:
        return
    entry = str(folder)
    if entry not in sys.path:
        sys.path.insert(0, entry)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if entry not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([entry, *paths])


def package_dir(name: str) -> Path | None:
    """Folder of top-level package ``name`` as this process would import it (without importing it)."""
    spec = find_spec(name)
    return Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None


def vbench_code(module: str) -> str:
    """Which VBench code runs ``module``: ``vbench==<wheel version>`` or ``VBench@<commit or tree digest>``."""
    root = package_dir(module.split(".")[0])
    if (
        root is not None
        and (root.parent / "vbench" / "__init__.py").is_file()
        and (root.parent / "vbench2_beta_i2v").is_dir()
        and _is_source(root.parent)
    ):
        return VBENCH.identify(root.parent)
    return f"vbench=={importlib.metadata.version('vbench')}"


def _is_source(folder: Path) -> bool:
    """A source checkout, not site-packages (where the wheel's dist-info sits beside the packages)."""
    return not any(folder.glob("vbench-*.dist-info"))


def fetch(tree: CodeTree, dest: Path | None = None) -> Path:
    """Clone ``tree`` at its commit into ``dest`` (default ``tree.default_dir()``), through a temp folder beside
    it, and check that its files are the pinned ones; a folder that already holds them is kept."""
    dest = Path(dest or tree.default_dir())
    pinned = f"{tree.name}@{tree.short}"
    if dest.is_dir():
        found = tree.identify(dest)
        if found != pinned:
            raise HarnessError(f"{dest} holds {found}, not {pinned}: remove it and fetch again")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        repo = staging / "repo"
        for command in (
            ["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout", tree.url, str(repo)],
            ["git", "-C", str(repo), "checkout", "--quiet", tree.commit],
        ):
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
            if done.returncode:
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                raise HarnessError(f"could not fetch {tree.url} at {tree.short} ({last})")
        if tree.identify(repo) != pinned:
            raise HarnessError(f"{tree.url} at {tree.short} does not hold the pinned files ({tree.identify(repo)})")
        os.replace(repo, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m eval.scoring.code fetch``: VBench's source and co-tracker, pinned, into ``cache_dir()/src``."""
    parser = argparse.ArgumentParser(prog="python -m eval.scoring.code", description=main.__doc__)
    parser.add_argument("command", choices=["fetch"])
    parser.parse_args(argv)
    try:
        for tree in (VBENCH, COTRACKER):
            print(f"{tree.name} {tree.short}: {fetch(tree)}")
    except HarnessError as err:
        print(
            f"camera_motion is unavailable, so runs will be partial (no I2V score, no Total): {err}; fetch "
            f"where there is internet, or point ${VBENCH.env} and ${COTRACKER.env} at checkouts of "
            f"{VBENCH.url} at {VBENCH.short} and {COTRACKER.url} at {COTRACKER.short}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
