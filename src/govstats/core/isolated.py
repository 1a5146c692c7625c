"""Work on many files in worker processes, so that one file that crashes its
reader costs that file alone (issue 20).

The readers of workbooks are native code (calamine, in Rust): a hostile file can
make one abort the whole process (a panic, an allocation of 32 GB refused), which no
``except`` can catch. :func:`run_isolated` hands the files to a pool of processes in
order; when a worker dies (``BrokenProcessPool``), the results received so far are
kept, the files of the first batch not received are each done again alone, in a
process of their own (a file that kills that one too gets ``crashed(item)``), and
the pool is started afresh for the rest. Each pool that breaks moves the work on by
at least one batch, so the work always ends, and the results come in input order.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future
    from multiprocessing.context import BaseContext

__all__ = ["run_isolated"]

A = TypeVar("A")
R = TypeVar("R")


def run_isolated(
    items: Sequence[A],
    work: Callable[[list[A]], list[R]],
    crashed: Callable[[A], R],
    *,
    jobs: int,
    chunk: int,
    context: BaseContext,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[R]:
    """``work`` over ``items`` in batches of ``chunk``, by ``jobs`` processes.

    :param work: a function a process can be given (defined at module level, or a
        ``functools.partial`` of one) that returns one result per item of its batch.
    :param crashed: the result for an item whose process died even when alone.
    :param meanwhile: called once, while the first pool works.
    """
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    def pool(n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            n, mp_context=context, initializer=initializer, initargs=initargs
        )

    done = 0
    while done < len(items):
        rest = items[done:]
        broken = False
        with pool(max(1, min(jobs, -(-len(rest) // chunk)))) as executor:
            pending: collections.deque[Future[list[R]]] = collections.deque(
                executor.submit(work, list(rest[i : i + chunk]))
                for i in range(0, len(rest), chunk)
            )
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            try:
                while pending:
                    results = pending[0].result()
                    pending.popleft()
                    done += len(results)
                    yield from results
            except BrokenProcessPool:
                broken = True
                for future in pending:
                    future.cancel()
        if broken:
            # The file that killed a worker is in one of the batches then being
            # worked on; the first of them is done again, a file at a time.
            for item in items[done : done + chunk]:
                yield _alone(item, work, crashed, pool)
                done += 1


def _alone(
    item: A,
    work: Callable[[list[A]], list[R]],
    crashed: Callable[[A], R],
    pool: Callable[[int], Any],
) -> R:
    from concurrent.futures.process import BrokenProcessPool

    with pool(1) as executor:
        try:
            (result,) = executor.submit(work, [item]).result()
        except BrokenProcessPool:
            return crashed(item)
    return result  # type: ignore[no-any-return]
