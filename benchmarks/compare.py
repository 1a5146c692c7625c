"""Compare two source trees of govstats on the same data, runs interleaved.

``make bench`` measures one commit against reference points; a change's own
cost is better seen against the commit before it, on the same machine at the
same moment, since this machine's speed drifts by more than the effects looked
for. Each case runs ``python -m govstats ...`` with ``PYTHONPATH`` set to each
tree in turn (A, B, A, B, ...), after one warm-up run each that is not counted,
and the report gives the median wall clock and CPU time (user + system of the
command and its children) of each.

Usage::

    python benchmarks/compare.py OLD_SRC NEW_SRC [--runs N] [-o FILE]

where OLD_SRC and NEW_SRC are the ``src`` folders of two checkouts (``git
worktree add /tmp/old <commit>``). The data sets are benchmarks/generate.py's.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - benchmarks/ is no package


def cases(out: Path) -> list[tuple[str, list[str]]]:
    one = generate.dataset(1) / str(generate.YEAR) / f"{generate.unit_code(0)}.xlsx"
    year = str(generate.YEAR)
    found = [
        ("`govstats --help`", ["--help"]),
        ("`govstats validate one.xlsx`", ["validate", str(one), "--year", year]),
    ]
    for n in (1, 100, 1000):
        found.append(
            (
                f"`govstats compile`, {n:,} units",
                [
                    "compile",
                    year,
                    "--inputs",
                    str(generate.dataset(n)),
                    "--outputs",
                    str(out / f"n{n}"),
                ],
            )
        )
    return found


def run(src: Path, argv: list[str]) -> tuple[float, float]:
    """Wall clock and CPU seconds of one ``python -m govstats`` run."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "govstats", *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def show(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument(
        "--only", help="run only the cases whose label contains this text"
    )
    args = parser.parse_args(argv)
    out = generate.DATA / "out" / "compare"
    lines = [
        f"| what | runs | {args.old} | {args.new} | new/old (wall) | CPU old | CPU new |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, command in cases(out):
        if args.only and args.only not in label:
            continue
        for src in (args.old, args.new):
            run(src, command)  # warm-up: bytecode, page cache
        times: dict[Path, list[tuple[float, float]]] = {args.old: [], args.new: []}
        for _ in range(args.runs):
            for src in (args.old, args.new):
                times[src].append(run(src, command))
        old_wall = statistics.median(t[0] for t in times[args.old])
        new_wall = statistics.median(t[0] for t in times[args.new])
        old_cpu = statistics.median(t[1] for t in times[args.old])
        new_cpu = statistics.median(t[1] for t in times[args.new])
        lines.append(
            f"| {label} | {args.runs} | {show(old_wall)} | {show(new_wall)} | "
            f"{new_wall / old_wall:.2f}× | {show(old_cpu)} | {show(new_cpu)} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
