"""Child processes that never outlive the process that started them.

A compile reads workbooks in worker processes and builds outputs in forked
children. Were the compile killed (``kill -9``, SIGTERM, a closed terminal), those
would otherwise go on alone: issue 20 found two workers still running 16 s after
their compile was killed. :func:`die_with_parent` is called first thing in every
child.
"""

from __future__ import annotations

import os
import signal
import threading

__all__ = ["die_with_parent"]

# How often a child without prctl looks whether its parent is still there.
_WATCH_EVERY = 0.2  # seconds


def die_with_parent(parent: int) -> None:
    """End this process as soon as ``parent`` (its parent's pid) ends.

    On Linux the kernel does it (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); elsewhere,
    or without ``ctypes``, a daemon thread checks the parent's id every 0.2 s (a
    child whose parent ended is re-parented, so ``getppid`` changes) and ends the
    process then.
    """
    if not _kernel_watch():
        thread = threading.Thread(
            target=_watch, args=(parent,), name="govstats-parent-watch", daemon=True
        )
        thread.start()
    if os.getppid() != parent:  # the parent ended before the watch took effect
        os._exit(1)


def _kernel_watch() -> bool:
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
    except ImportError:
        return False
    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0)
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY)
    os._exit(1)
