"""What the operating system refused, as a catalogued problem with what to do.

A full disk, a folder without write permission, a read-only file system, a file
or folder the user cannot read: none of these is a bug of govstats, and each is
told as one located line (exit code 2), never as an internal error (issue 20).
"""

from __future__ import annotations

import errno
from pathlib import Path

from govstats.core.problems import GovstatsError, Problem

__all__ = ["os_error", "os_problem", "system_problem"]

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def os_problem(
    exc: OSError, path: str | Path | None = None, writing: bool = False
) -> Problem:
    """The problem for ``exc``, raised while reading (or ``writing``) ``path``.

    ``disk-full`` for a full disk or quota, ``output-unwritable`` for anything else
    that stops a write (permissions, a read-only file system), ``input-unreadable``
    for what stops a read. The file named is ``path`` (what the user knows, not a
    temporary file), else the one the system names.
    """
    file = path if path is not None else exc.filename
    where = "" if file is None else str(file)
    found = exc.strerror or type(exc).__name__
    if exc.errno in _FULL:
        return Problem.make("disk-full", file=where, found=found)
    code = "output-unwritable" if writing else "input-unreadable"
    return Problem.make(code, file=where, found=found)


def os_error(
    exc: OSError, path: str | Path | None = None, writing: bool = False
) -> GovstatsError:
    """:func:`os_problem` as the exception to raise."""
    return GovstatsError(os_problem(exc, path, writing))


def system_problem(exc: OSError) -> Problem | None:
    """The problem for an error met anywhere that can only be the system's: a
    full disk (``disk-full``) or a read-only file system (``output-unwritable``),
    naming the file the system names; None for any other error."""
    if exc.errno in _FULL or exc.errno == errno.EROFS:
        return os_problem(exc, exc.filename, writing=True)
    return None
