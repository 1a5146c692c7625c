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

One process doing the work a file at a time (a validation, a small compile) is not
worth a pool: a process pool's start (its queues, threads and modules) costs more
than the reading of a workbook. Where processes are forked, such work goes to a
plain forked child that sends each result back through a pipe as soon as it is
done (:func:`_one_child`); a crash is handled as the pool's is.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
    if jobs == 1 and context.get_start_method() == "fork":
        yield from _forked(items, work, crashed, initializer, initargs, meanwhile)
        return
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


def _forked(
    items: Sequence[A],
    work: Callable[[list[A]], list[R]],
    crashed: Callable[[A], R],
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    meanwhile: Callable[[], object] | None,
) -> Iterator[R]:
    """:func:`run_isolated` by one forked child at a time, an item at a time."""
    done = 0
    while done < len(items):
        rest = items[done:]
        for result in _one_child(rest, work, initializer, initargs, meanwhile):
            done += 1
            yield result
        meanwhile = None
        if done < len(items):  # the child died on items[done]: that one alone
            alone = list(
                _one_child(items[done : done + 1], work, initializer, initargs)
            )
            yield alone[0] if alone else crashed(items[done])
            done += 1


_RESULT, _RAISED = b"R", b"E"


def _one_child(
    items: Sequence[A],
    work: Callable[[list[A]], list[R]],
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    meanwhile: Callable[[], object] | None = None,
) -> Iterator[R]:
    """The results of ``work`` on each of ``items`` in turn, done by one forked
    child; they end early if the child dies. An exception ``work`` raises is
    raised here, as a pool would."""
    import os
    import pickle
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers
        code = 0
        try:
            os.close(read_end)
            if initializer is not None:
                initializer(*initargs)
            with os.fdopen(write_end, "wb") as out:
                for item in items:
                    payload: object
                    try:
                        tag, payload = _RESULT, work([item])[0]
                    except Exception as exc:  # noqa: BLE001 - raised in the parent
                        tag, payload = _RAISED, exc
                    data = pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
                    out.write(tag + len(data).to_bytes(8, "little") + data)
                    out.flush()
                    if tag == _RAISED:
                        break
        except BaseException:  # noqa: BLE001 - a child ends here, whatever happens
            code = 1
        os._exit(code)
    os.close(write_end)
    finished = False
    try:
        if meanwhile is not None:
            meanwhile()
        with os.fdopen(read_end, "rb") as pipe:
            for _ in items:
                head = pipe.read(9)
                if len(head) < 9:
                    break  # the child died
                size = int.from_bytes(head[1:], "little")
                data = pipe.read(size)
                if len(data) < size:
                    break
                payload = pickle.loads(data)  # noqa: S301 - our own child's bytes
                if head[:1] == _RAISED:
                    raise cast("Exception", payload)
                yield cast("R", payload)
            else:
                finished = True
    finally:
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
