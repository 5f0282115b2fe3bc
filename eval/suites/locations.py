"""Where an item came from (``file:line``, or ``file[index]`` for a JSON list entry).

Loaders store it in ``SuiteItem.meta`` under ``"where"`` so that every later error can point
at the line to fix.
"""

from __future__ import annotations

from typing import Any

from eval.records import SuiteItem


def item_meta(where: str, **extra: Any) -> tuple[tuple[str, Any], ...]:
    """``SuiteItem.meta`` holding ``where`` and ``extra``, sorted like ``SuiteItem.from_json``."""
    return tuple(sorted({"where": where, **extra}.items()))


def location_of(item: SuiteItem) -> str:
    """The item's ``where``, or its id when a loader recorded none."""
    return dict(item.meta).get("where", f"item {item.id!r}")
