"""Run one command; print its wall clock, CPU time, peak memory and exit code as JSON.

Start this wrapper as a fresh process for every measurement: its
``RUSAGE_CHILDREN`` then covers the one command it ran (and whatever that command
waited for), so ``ru_maxrss`` is that run's peak resident memory and not the
largest of all runs so far. With several processes (govstats reads many workbooks
with a pool of workers) it is the largest single process's peak, so the wrapper
also samples the resident memory of the whole process tree every few
milliseconds and reports the largest sum it saw (``tree_peak_bytes``; pages shared
by forked workers are counted once per process, so it errs high).

Usage::

    python benchmarks/measure.py [--cwd DIR] -- COMMAND [ARG...]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_EVERY = 0.005  # seconds


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", encoding="ascii") as fh:
                total += int(fh.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # it ended meanwhile
    return total


def main(argv: list[str]) -> int:
    cwd = None
    if argv[:1] == ["--cwd"]:
        cwd, argv = argv[1], argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(SAMPLE_EVERY)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    json.dump(
        {
            "seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_bytes": usage.ru_maxrss * 1024,  # ru_maxrss is in KiB on Linux
            "tree_peak_bytes": max(peak, usage.ru_maxrss * 1024),
            "returncode": proc.returncode,
            "stderr": stderr.decode("utf-8", "replace")[-2000:],
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
