"""Errors the harness reports as one clear line (what is wrong, and how to fix it)."""


class HarnessError(Exception):
    """A user-facing problem: ``eval.run`` prints its message and exits non-zero, no traceback."""


class SuiteError(HarnessError):
    """A suite that cannot be loaded or fails the integrity gate."""


class UnsupportedTask(HarnessError):
    """A generator asked for a task it cannot do (a T2V-only model on an I2V suite); a sweep skips it."""


_WRITE_FIXES = {
    28: "free space on that file system (or write elsewhere), then rerun: everything already written is kept",
    122: "free space within your quota (or write elsewhere), then rerun: everything already written is kept",
    30: "that file system is read-only: write elsewhere, or remount it read-write",
    13: "make the folder writable by this user, or write elsewhere",
    1: "make the folder writable by this user, or write elsewhere",
}


class WriteError(HarnessError, OSError):
    """A file that could not be written (no space, read-only, no permission): one line naming it.

    Built as ``WriteError(errno, strerror, path)``, like ``OSError``, so it pickles across launchers."""

    def __str__(self) -> str:
        fix = _WRITE_FIXES.get(self.errno, "fix that, then rerun")
        return f"cannot write {self.filename}: {self.strerror}; {fix}"
