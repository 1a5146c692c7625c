"""Work done in a forked child process while the parent goes on (issue 5).

A compile ends with a tail that runs on one core: report.docx, tables.xlsx,
summary.xlsx, figures.json and the rest are each built from the compiled figures.
On two cores, the other one would idle meanwhile; :class:`Background` gives it part
of that work. A forked child starts in about a millisecond with everything the
parent has (modules, figures), so nothing but the result crosses between the two
processes: the child sends back its result (pickled) through a pipe.

It is an optimisation only, and never changes a result:

* where forking is not safe or not available (not Linux, or another thread is
  running, such as a progress display's), the work is done in the parent, when its
  result is asked for;
* when the child fails in any way (an exception, killed, out of memory), the parent
  does the work itself, so that an error is raised where it would have been without
  the child, with its traceback;
* a child whose result is never asked for (the parent failed first) is killed and
  reaped when the ``with`` block ends; a child whose parent is killed is ended by
  the kernel, and never holds the parent's files (such as the compile's lock).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["Background", "can_fork"]

A = TypeVar("A")
T = TypeVar("T")


def can_fork() -> bool:
    """Forking is safe here: on Linux, with no other thread running."""
    return (
        sys.platform == "linux"
        and hasattr(os, "fork")
        and threading.active_count() == 1
    )


class Pending(Generic[T]):
    """The result of work started by :meth:`Background.start`."""

    def __init__(
        self, work: Callable[[], T], pid: int | None = None, fd: int | None = None
    ) -> None:
        self._work = work
        self._pid = pid
        self._fd = fd

    @property
    def forked(self) -> bool:
        return self._pid is not None

    def result(self) -> T:
        """The work's result: the child's, or else the work done here and now."""
        if self._pid is None:
            return self._work()
        received = self.received()
        return received[0] if received else self._work()

    def received(self) -> tuple[T] | tuple[()]:
        """What the child sent, once it has ended: ``(result,)``, or ``()`` when it
        failed."""
        sent: list[T] = []
        try:
            assert self._fd is not None
            with os.fdopen(self._fd, "rb") as pipe:
                self._fd = None
                # Unpickled as it arrives: the pickle is never held whole beside
                # what it holds (at 10,000 units, tens of megabytes).
                with contextlib.suppress(Exception):  # a failed child sends less
                    sent.append(pickle.load(pipe))  # noqa: S301 - our own child's
        finally:
            status = self._reap()
        return (sent[0],) if status == 0 and sent else ()

    def cancel(self) -> None:
        """Stop the child, if it is still there (its result is not wanted)."""
        if self._pid is None:
            return
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._reap()

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        assert pid is not None
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status)


class Waiting(Generic[A, T]):
    """Work started by :meth:`Background.later`: a child that made itself ready
    and waits for what to work on."""

    def __init__(
        self,
        work: Callable[[A], T],
        to_child: int | None = None,
        pending: Pending[T] | None = None,
    ) -> None:
        self._work = work
        self._to_child = to_child
        self._pending = pending
        self._arg: tuple[A] | tuple[()] = ()

    @property
    def forked(self) -> bool:
        """Whether a child is there (else the work is done here, when asked)."""
        return self._pending is not None

    def send(self, arg: A) -> Waiting[A, T]:
        """Give the child what to work on (it starts at once); then ask
        :meth:`result`."""
        self._arg = (arg,)
        if self._to_child is not None:
            fd, self._to_child = self._to_child, None
            try:
                with os.fdopen(fd, "wb") as pipe:
                    pickle.dump(arg, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            except OSError:  # the child has died (a broken pipe): it sends nothing
                pass
        return self

    def result(self) -> T:
        """``work(arg)`` of the argument sent: the child's, or else done here and
        now (where no child could be forked, or the child failed)."""
        if not self._arg:
            raise RuntimeError("nothing was sent to work on")
        arg = self._arg[0]
        received = self._pending.received() if self._pending is not None else ()
        return received[0] if received else self._work(arg)

    def close(self) -> None:
        """Let the child go, if it still waits (the parent failed before it asked
        for the result); :class:`Background` then stops it."""
        if self._to_child is not None:
            os.close(self._to_child)
            self._to_child = None


class Background:
    """Start work in forked children; collect each result with ``.result()``.

    Use it as a context manager: children still running when the block ends (the
    parent failed before it asked for their results) are killed and reaped.
    """

    def __init__(self) -> None:
        self._pending: list[Pending[Any]] = []
        self._waiting: list[Waiting[Any, Any]] = []

    def __enter__(self) -> Background:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for waiting in self._waiting:
            waiting.close()
        for pending in self._pending:
            pending.cancel()

    def start(self, work: Callable[[], T], keep: tuple[int, ...] = ()) -> Pending[T]:
        """Start ``work`` in a child process (or defer it, where one cannot fork).

        :param keep: the parent's file descriptors the child keeps open (all others
            but standard I/O are closed in it).
        """
        if not can_fork():
            return Pending(work)
        read, write = os.pipe()
        parent = os.getpid()
        # The child's collections then leave what it inherits alone: visiting an
        # object writes to it, and each page written is copied (at 10,000 units,
        # tens of megabytes more). The parent's objects are unfrozen at once.
        gc.freeze()
        pid = os.fork()
        if pid:
            gc.unfreeze()
        if pid == 0:  # the child: do the work, send it, leave at once
            status = 1
            try:
                from govstats.core.processes import die_with_parent

                _leave_parents_files(keep=(write, *keep))
                die_with_parent(parent)
                result = work()
                with os.fdopen(write, "wb") as pipe:
                    pickle.dump(result, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                # No cleanup of the parent's (atexit, buffered output, temporary
                # files): the child owns none of it.
                os._exit(status)
        os.close(write)
        pending: Pending[T] = Pending(work, pid, read)
        self._pending.append(pending)
        return pending

    def later(
        self, prepare: Callable[[], object], work: Callable[[A], T]
    ) -> Waiting[A, T]:
        """Start a child that runs ``prepare`` (imports, templates: what ``work``
        will need) at once, while the parent goes on, then waits for the
        argument of ``work``, given by ``.send(arg)``; ``.result()`` then.

        Where one cannot fork, nothing is started: ``prepare`` is not run and
        ``.result()`` does the work in the parent.
        """
        if not can_fork():
            return Waiting(work)
        arg_read, arg_write = os.pipe()

        def serve() -> T:  # in the child, which has closed arg_write
            with contextlib.suppress(Exception):  # a warm-up only
                prepare()
            with os.fdopen(arg_read, "rb") as pipe:
                arg = pickle.load(pipe)  # noqa: S301 - our own parent's bytes
            return work(arg)

        pending = self.start(serve, keep=(arg_read,))
        os.close(arg_read)
        if not pending.forked:
            os.close(arg_write)
            return Waiting(work)
        waiting: Waiting[A, T] = Waiting(work, arg_write, pending)
        self._waiting.append(waiting)
        return waiting


def _leave_parents_files(keep: tuple[int, ...]) -> None:
    """Close every file the child inherited but standard I/O and ``keep``.

    The compile's lock (``outputs/.<year>.lock``) is a record lock, which a child
    never holds (:mod:`govstats.core.lock`); its file, like any other, is still
    not the child's to keep open.
    """
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, closed already
