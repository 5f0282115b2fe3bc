"""Errors the harness reports as one clear line (what is wrong, and how to fix it)."""


class HarnessError(Exception):
    """A user-facing problem: ``eval.run`` prints its message and exits non-zero, no traceback."""


class SuiteError(HarnessError):
    """A suite that cannot be loaded or fails the integrity gate."""
