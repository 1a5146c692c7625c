"""An exclusive lock on a file, on every system, that its holder's end releases.

Used for ``outputs/.<year>.lock`` (one compile of a year at a time). Three ways, the
first the system has:

* POSIX (Linux, macOS): a ``fcntl`` record lock (``lockf``). The kernel releases it
  when the process that took it ends, however it ends (``kill -9`` too), and a
  child process never holds it: record locks belong to a process and are not
  inherited across ``fork`` (an ``flock`` is shared with every child that inherits
  the descriptor, so a worker process outliving a killed compile kept the year
  locked, issue 20).
* Windows: ``msvcrt.locking`` on the file's first byte, released by the system
  when the process ends, and not inherited by spawned children either.
* Elsewhere (neither module can be imported): the lock file is created
  exclusively and holds the holder's process id; a lock file whose process no
  longer runs is stale and taken over, so a holder that is gone never blocks.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Locked", "exclusive"]


class Locked(Exception):
    """Another process holds the lock."""


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be) for the block.

    :raises Locked: at once, when another process holds it, or this process
        (another thread, or a block around this one).
    :raises OSError: when the lock file cannot be created or opened.
    """
    # Record locks belong to the process: taken twice by one process, the
    # second succeeds, and closing its descriptor would release the first. This
    # process's own locks are therefore kept here too.
    key = os.path.abspath(path)
    with _HELD_GUARD:
        if key in _HELD:
            raise Locked(str(path))
        _HELD.add(key)
    try:
        with _system_lock(path):
            yield
    finally:
        with _HELD_GUARD:
            _HELD.discard(key)


_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def _system_lock(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:
        fcntl = None  # type: ignore[assignment]
    if fcntl is not None:
        with _opened(path) as fd:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if isinstance(exc, BlockingIOError | PermissionError):
                    raise Locked(str(path)) from None
                raise
            yield
        return
    import importlib

    msvcrt: Any = None
    with contextlib.suppress(ImportError):
        msvcrt = importlib.import_module("msvcrt")
    if msvcrt is not None:  # pragma: no cover - Windows only
        with _opened(path) as fd:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                raise Locked(str(path)) from None
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                with contextlib.suppress(OSError):
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    with _pid_file(path.with_name(path.name + ".pid")):
        yield


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[int]:
    # Opened, never truncated: the file only names the lock; its bytes do not
    # matter. Python opens it non-inheritable (no descriptor crosses an exec).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        yield fd
    finally:
        os.close(fd)  # releases a record lock as well


@contextlib.contextmanager
def _pid_file(path: Path) -> Iterator[None]:
    """The fallback: ``path`` created exclusively, holding our process id."""
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if _holder_alive(path):
                raise Locked(str(path)) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # stale: its holder is gone
            continue
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
        return
    raise Locked(str(path))


def _holder_alive(path: Path) -> bool:
    """Whether the process named in a pid lock file still runs."""
    try:
        pid = int(path.read_text(encoding="ascii").strip() or "0")
    except (OSError, ValueError):
        # Being written by its holder right now, or not ours: taken as held.
        return True
    if pid <= 0:
        return True
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - os.kill would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
