"""VBench's text-to-video suite, read from ``VBench_full_info.json``.

The file lists 946 entries (``prompt_en`` plus a ``dimension`` list). Entries that share a
prompt become one item holding the union of their dimensions (944 items), because VBench
names videos by prompt: one set of videos serves every dimension of that prompt. Their
``auxiliary_info`` (what color, scene, ... look for), merged likewise, is kept in ``item.meta``.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from eval.errors import SuiteError
from eval.records import Suite, SuiteItem
from eval.suites.locations import item_meta
from eval.suites.naming import stable_id
from eval.suites.vbench_json import entry_fields, read_entries

FULL_INFO_NAME = "VBench_full_info.json"
FLICKERING = "temporal_flickering"


def packaged_full_info() -> Path | None:
    """``vbench/VBench_full_info.json`` of the installed vbench package, found without
    importing it (its ``__init__`` loads torch); ``None`` when vbench is not installed."""
    spec = find_spec("vbench")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / FULL_INFO_NAME
        if candidate.is_file():
            return candidate
    return None


def load_vbench_t2v(path: str | None = None, samples: int = 5, flickering_samples: int = 25) -> Suite:
    """VBench T2V: one item per unique prompt, id ``stable_id(prompt)``.

    ``samples`` videos per prompt, ``flickering_samples`` for prompts of the
    ``temporal_flickering`` dimension (VBench's static filter later keeps 5 static ones).
    ``path`` defaults to the file shipped in the installed vbench package.
    """
    source = Path(path) if path else packaged_full_info()
    if source is None:
        raise SuiteError(
            f"{FULL_INFO_NAME} not found: the vbench package is not installed; "
            f"fix: set suite.path=/path/to/{FULL_INFO_NAME} (it is vbench/"
            f"{FULL_INFO_NAME} in the VBench repository), or install vbench "
            "(scripts/setup.sh)"
        )
    entries = read_entries(source, "VBench prompt list", f"fix: set suite.path to VBench's {FULL_INFO_NAME}")
    first_index: dict[str, int] = {}
    dimensions: dict[str, list[str]] = {}
    auxiliary: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        prompt, dims = entry_fields(entry, f"{source}[{index}]", {"prompt_en": str, "dimension": list})
        first_index.setdefault(prompt, index)
        merged = dimensions.setdefault(prompt, [])
        merged.extend(d for d in dims if d not in merged)
        auxiliary.setdefault(prompt, {}).update(entry.get("auxiliary_info", {}))
    items = tuple(
        SuiteItem(
            id=stable_id(prompt),
            prompt=prompt,
            dimensions=tuple(dims),
            samples=flickering_samples if FLICKERING in dims else samples,
            meta=item_meta(
                f"{source}[{first_index[prompt]}]",
                **({"auxiliary_info": auxiliary[prompt]} if auxiliary[prompt] else {}),
            ),
        )
        for prompt, dims in dimensions.items()
    )
    return Suite(name="vbench_t2v", task="t2v", items=items, source=str(source), benchmark="vbench")
