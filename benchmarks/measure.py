"""Run one command; print its wall clock, CPU time, peak memory and exit code as JSON.

Start this wrapper as a fresh process for every measurement: its
``RUSAGE_CHILDREN`` then covers the one command it ran (and whatever that command
waited for), so ``ru_maxrss`` is that run's peak resident memory and not the
largest of all runs so far. With several processes (govstats reads many workbooks
with a pool of workers) it is the largest single process's peak, so the wrapper
also samples the resident memory of the whole process tree every few
milliseconds and reports the largest sum it saw (``tree_peak_bytes``). Summing
resident sizes counts a page that forked processes share once per process, which
errs high (a forked child shows all of its parent's memory as its own), so the
wrapper can also sum their proportional set sizes (PSS: a page shared by *k*
processes counts 1/*k* in each) every 10 ms, with ``--pss`` (``tree_pss_bytes``,
never less than ``peak_bytes``). Reading them costs about a millisecond per
400 MB, which on two cores slows the command measured: time it without ``--pss``.

Usage::

    python benchmarks/measure.py [--cwd DIR] [--pss] -- COMMAND [ARG...]
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
PSS_EVERY = 2  # samples: PSS every 10 ms, with --pss


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # it ended meanwhile
    return found


def rss(pid: int) -> int:
    """Resident bytes of one process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return 0


def pss(pid: int) -> int:
    """Proportional set size of one process in bytes (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return 0


def main(argv: list[str]) -> int:
    cwd = None
    if argv[:1] == ["--cwd"]:
        cwd, argv = argv[1], argv[2:]
    with_pss = argv[:1] == ["--pss"]
    if with_pss:
        argv = argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    peak = pss_peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def sample() -> None:
        nonlocal peak, pss_peak
        n = 0
        while proc.poll() is None:
            pids = tree(proc.pid)
            peak = max(peak, sum(rss(p) for p in pids))
            if with_pss and n % PSS_EVERY == 0:
                pss_peak = max(pss_peak, sum(pss(p) for p in pids))
            n += 1
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
            **(
                {"tree_pss_bytes": max(pss_peak, usage.ru_maxrss * 1024)}
                if with_pss
                else {}
            ),
            "returncode": proc.returncode,
            "stderr": stderr.decode("utf-8", "replace")[-2000:],
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
