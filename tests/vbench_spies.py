"""Test helpers around VBench's own code: fail if it shells out for a download, record what it returns."""

from __future__ import annotations


class NoSubprocess:
    """Stands in for ``subprocess`` inside VBench's modules: with the fixtures present, no wget/git runs."""

    @staticmethod
    def run(command, *args, **kwargs):
        raise AssertionError(f"VBench tried to run {command}: a weight file is missing")


def spy_compute(monkeypatch, module, name: str) -> list:
    """Record what VBench's own ``compute_<name>`` returns (its aggregate first)."""
    returned, original = [], getattr(module, f"compute_{name}")

    def spy(*args, **kwargs):
        returned.append(original(*args, **kwargs))
        return returned[-1]

    monkeypatch.setattr(module, f"compute_{name}", spy)
    return returned
