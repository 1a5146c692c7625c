"""Work in a forked child (govstats.publish.background): the same result as without one."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from govstats.publish.background import Background, can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="forks on Linux only")


def where() -> int:
    return os.getpid()


@needs_fork
def test_work_runs_in_a_child_and_its_result_comes_back():
    parent = os.getpid()
    with Background() as bg:
        pending = bg.start(lambda: (where(), b"\x00" * 200_000, {"a": [1, 2]}))
        pid, data, obj = pending.result()
    assert pid != parent  # done by the child...
    assert data == b"\x00" * 200_000 and obj == {"a": [1, 2]}  # ...through the pipe


@needs_fork
def test_an_error_in_the_child_is_raised_by_the_work_done_again_here():
    calls: list[int] = []

    def work() -> int:
        calls.append(os.getpid())  # the child's append is not seen here
        raise ValueError("bad figures")

    with Background() as bg:
        pending = bg.start(work)
        with pytest.raises(ValueError, match="bad figures"):
            pending.result()
    assert calls == [os.getpid()]


@needs_fork
def test_a_child_that_dies_leaves_the_work_to_the_parent():
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            os._exit(3)  # as if killed, or out of memory
        return "done here"

    with Background() as bg:
        assert bg.start(work).result() == "done here"


@needs_fork
def test_a_child_not_waited_for_is_stopped_and_reaped():
    with pytest.raises(RuntimeError), Background() as bg:
        pending = bg.start(lambda: time.sleep(60))
        pid = pending._pid
        raise RuntimeError("the parent failed first")
    assert pid is not None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


@contextmanager
def another_thread() -> Iterator[None]:
    """Another thread running (a progress display's), which makes forking unsafe."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_without_fork_the_work_is_done_when_its_result_is_asked_for():
    with another_thread():
        assert not can_fork()
        calls: list[int] = []
        with Background() as bg:
            pending = bg.start(lambda: calls.append(where()) or "x")
            assert calls == []
            assert pending.result() == "x"
        assert calls == [os.getpid()]


def test_fork_is_used_on_linux_only():
    assert can_fork() == (sys.platform == "linux" and threading.active_count() == 1)


@needs_fork
def test_a_child_holds_none_of_the_parents_files(tmp_path):
    # The compile's lock is an flock held while any process has the file open: a
    # child must not keep it (a killed compile would block the next one).
    import fcntl

    lock = tmp_path / ".2017.lock"
    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        ready = tmp_path / "ready"
        with Background() as bg:
            pending = bg.start(lambda: (ready.touch(), time.sleep(30)))
            while not ready.exists():  # the child runs its work
                time.sleep(0.001)
            held.close()  # the parent lets go; the child, running, holds nothing
            with lock.open("a+") as again:
                fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)
            pending.cancel()


@needs_fork
def test_a_child_ends_with_its_killed_parent(tmp_path):
    import signal
    import subprocess

    code = (
        "import os, sys, time; from govstats.publish.background import Background\n"
        "with Background() as bg:\n"
        "    p = bg.start(lambda: time.sleep(30))\n"
        "    print(p._pid, flush=True); time.sleep(30)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        proc.send_signal(signal.SIGKILL)
    for _ in range(200):  # the kernel ends it at once; allow for scheduling
        try:
            with open(f"/proc/{child}/stat", encoding="ascii") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":  # ended, waiting for init to reap it
            break
        time.sleep(0.01)
    else:
        raise AssertionError("the child outlived its killed parent")


# A child that makes ready first, then waits for what to work on (Background.later)


@needs_fork
def test_a_waiting_child_prepares_then_works_on_what_it_is_sent(tmp_path):
    mark = tmp_path / "prepared"
    parent = os.getpid()

    def prepare() -> None:
        mark.write_text(str(os.getpid()))  # done before anything is sent

    with Background() as bg:
        waiting = bg.later(prepare, lambda arg: (where(), arg * 2))
        assert waiting.forked
        deadline = time.monotonic() + 10
        while not mark.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        pid, doubled = waiting.send([1, 2]).result()
    assert int(mark.read_text()) == pid != parent
    assert doubled == [1, 2, 1, 2]


@needs_fork
def test_a_waiting_child_that_fails_leaves_the_work_to_the_parent():
    parent = os.getpid()

    def work(arg: int) -> tuple[int, int]:
        if os.getpid() != parent:
            raise ValueError("in the child")
        return where(), arg + 1

    def broken_prepare() -> None:
        raise OSError("a warm-up that fails is no failure")

    with Background() as bg:
        assert bg.later(broken_prepare, work).send(41).result() == (parent, 42)
    with Background() as bg:
        dead = bg.later(lambda: os._exit(3), work)  # gone before it is sent
        time.sleep(0.2)
        assert dead.send(1).result() == (parent, 2)


@needs_fork
def test_a_waiting_child_never_sent_anything_is_stopped_and_reaped():
    with pytest.raises(RuntimeError), Background() as bg:
        waiting = bg.later(lambda: None, lambda arg: arg)
        assert waiting._pending is not None
        pid = waiting._pending._pid
        raise RuntimeError("the parent failed before the figures were ready")
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_without_fork_a_waiting_work_is_done_here_when_asked():
    with another_thread():
        prepared: list[int] = []
        with Background() as bg:
            waiting = bg.later(lambda: prepared.append(1), lambda arg: (where(), arg))
            assert not waiting.forked
            assert waiting.send("x").result() == (os.getpid(), "x")
        assert prepared == []  # a warm-up only: not needed here
