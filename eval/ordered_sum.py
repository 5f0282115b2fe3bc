"""Float sums that give the same bits on every supported Python.

Python 3.12's ``sum()`` of floats compensates rounding (Neumaier summation, "What's New In Python 3.12"), so the
same scores summed on 3.11 and 3.12 differ in the last bits. Aggregates here add left to right in double
precision, as 3.11's ``sum()`` and VBench's own ``+=`` loops do, on both.
"""

from __future__ import annotations

from collections.abc import Iterable


def ordered_sum(values: Iterable[float]) -> float:
    """``values`` added left to right in double precision (0.0 for none)."""
    total = 0.0
    for value in values:
        total += value
    return total
