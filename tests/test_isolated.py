"""govstats.core.isolated: work on items in child processes, a crash costing one item."""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os

import pytest

from govstats.core.isolated import run_isolated

pytestmark = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods(), reason="needs processes started by fork"
)


def _square_or_die(items: list[int]) -> list[tuple[int, int]]:
    out = []
    for item in items:
        if item < 0:
            os.abort()  # as a native reader's panic ends its process
        if item == 99:
            raise ValueError("a bug in the work, not a crash")
        out.append((item, os.getpid()))
    return out


def _quiet() -> None:
    # A child that aborts would print a fault's backtrace where pytest reads.
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _crashed(item: int) -> tuple[int, int]:
    return (item, -1)


def _run(items: list[int], jobs: int = 1, **kw) -> list[tuple[int, int]]:
    """``run_isolated`` of ``_square_or_die`` by forked processes, quietly."""
    return list(
        run_isolated(
            items,
            _square_or_die,
            _crashed,
            jobs=jobs,
            chunk=2 if jobs > 1 else 1,
            context=mp.get_context("fork"),
            initializer=_quiet,
            **kw,
        )
    )


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_in_order_with_each_crash_costing_its_item_alone(jobs):
    items = [1, 2, -3, 4, -5, -6, 7]
    got = _run(items, jobs)
    assert [item for item, _ in got] == items
    assert [item for item, pid in got if pid == -1] == [-3, -5, -6]
    assert all(pid not in (-1, os.getpid()) for item, pid in got if item > 0)


def test_one_child_does_every_item_when_none_crashes():
    got = _run([1, 2, 3])
    assert len({pid for _, pid in got}) == 1


def test_an_exception_of_the_work_is_raised_not_taken_for_a_crash():
    with pytest.raises(ValueError, match="a bug in the work"):
        _run([1, 99, 2])


def test_meanwhile_runs_once_while_the_child_works():
    calls = []
    got = _run([1, -2, 3], meanwhile=lambda: calls.append(1))
    assert calls == [1]
    assert [item for item, _ in got] == [1, -2, 3]
