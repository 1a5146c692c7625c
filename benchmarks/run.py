"""``make bench``: how fast govstats is, beside reference points; writes results.md.

Every figure is the wall clock of a whole process, started afresh for each run by
``benchmarks/measure.py`` (which also reports the run's peak resident memory): a
clerk waits for the whole command, interpreter start and imports included. Each
case has one warm-up run that is not counted (it fills the page cache and writes
``.pyc`` files), then N runs; the report gives the median and the min–max.
Commands run without ``PYTHONDONTWRITEBYTECODE``, which may be set in a
developer's shell: an installed package has its bytecode compiled (pip does it),
so would the editable one after one run, and compiling govstats' modules on
every run cost 20 ms of the 0.6 s of ``govstats validate``.

The machine may be shared (other people's test suites on the same two cores), so
before each run the benchmark waits until the processors are idle; a run that had
to start on a busy machine after :data:`QUIET_WAIT` seconds is counted as
contended in the report, and CPU time (user + system) is reported beside the wall
clock as the figure that contention disturbs least.

Usage::

    python benchmarks/run.py            # everything (about ten minutes)
    python benchmarks/run.py --quick    # fewer runs, no 10,000-unit set
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - benchmarks/ is no package

BIN = Path(sys.executable).parent
SIZES = (1, 100, 1000, 10000)
NAIVE_UNITS = 1000
VARIED_UNITS = 1000
RESAVED_UNITS = 1000  # saved again by LibreOffice (generate.resaved)
FRICTIONLESS_SHEET = "表3 依申请公开情况"
FRICTIONLESS_HEADER_ROW = "3"  # the template's header row (title and unit above it)
PACKAGES = (
    "govstats",
    "pandas",
    "numpy",
    "pandera",
    "pydantic",
    "typer",
    "python-calamine",
    "openpyxl",
    "Jinja2",
    "PyYAML",
    "frictionless",
)
# Acceptance of issue 5.
HELP_LIMIT = 0.150
VALIDATE_RATIO_LIMIT = 1.2
COMPILE_1000_LIMIT = 2.0
NAIVE_SPEEDUP_MIN = 5.0
COMPILE_10000_LIMIT = 20.0
MEMORY_10000_LIMIT = 500e6
# Acceptance of issue 18 (memory: the cost of a unit more, in slopes()).
COMPILE_100000_LIMIT = 120.0
MEMORY_100000_LIMIT = 1e9
MEMORY_PER_UNIT_LIMIT = 5000
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# A run starts when the other processes use less than this share of the machine.
QUIET_BUSY = 0.15
QUIET_WAIT = 20.0  # seconds; then the run starts anyway and is marked contended


@dataclass
class Case:
    """One command to time."""

    key: str
    label: str
    argv: list[str]
    runs: int
    note: str = ""
    cwd: str | None = None


@dataclass
class Result:
    """The runs of one case."""

    case: Case
    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    tree_peaks: list[int] = field(default_factory=list)
    tree_psses: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    contended: int = 0
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> int:
        """The largest peak memory of one process over the runs, in bytes."""
        return max(self.peaks)

    @property
    def tree_peak(self) -> int:
        """The largest peak of its processes' resident sizes added up, in bytes."""
        return max(self.tree_peaks or self.peaks)

    @property
    def tree_pss(self) -> int:
        """The largest peak memory of all its processes together (PSS), in bytes."""
        return max(self.tree_psses or self.tree_peaks or self.peaks)

    def row(self) -> str:
        if self.error:
            return f"| {self.case.label} | – | – | – | – | – | – | {self.error} | – |"
        spread = f"{_time(min(self.seconds))}–{_time(max(self.seconds))}"
        cpu = _time(statistics.median(self.cpu)) if self.cpu else "–"
        return (
            f"| {self.case.label} | {len(self.seconds)} | {_time(self.median)} "
            f"| {spread} | {cpu} | {_mb(self.peak)} | {_mb(self.tree_pss)} "
            f"| {_mb(self.tree_peak)} | {self.contended} |"
        )


HEADER = (
    "| what | runs | median | min–max | CPU (median) | peak memory, largest process"
    " | peak memory, all processes (PSS) | resident sizes added up | contended |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def busy_share(interval: float = 0.25) -> float:
    """The share of all processors' time spent busy over ``interval`` seconds."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(interval)
    total1, idle1 = sample()
    total = total1 - total0
    return 1 - (idle1 - idle0) / total if total else 0.0


def wait_quiet() -> bool:
    """Wait until the machine is idle; False if it stayed busy for QUIET_WAIT s."""
    deadline = time.monotonic() + QUIET_WAIT
    while busy_share() > QUIET_BUSY:
        if time.monotonic() > deadline:
            return False
        time.sleep(1)
    return True


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _mb(size: float) -> str:
    return f"{size / 1e6:.0f} MB"


def measure(case: Case, log: bool = True) -> Result:
    """Run a case once to warm up, then ``case.runs`` times, each in a fresh wrapper.

    The warm-up run measures the memory of all the command's processes (PSS);
    the timed runs do not, since reading it slows the command on two cores.
    """
    result = Result(case)
    if not Path(case.argv[0]).exists():
        result.error = f"`{Path(case.argv[0]).name}` is not installed"
        print(result.row(), flush=True)
        return result
    for n in range(case.runs + 1):
        quiet = wait_quiet()
        where = ["--cwd", case.cwd] if case.cwd else []
        pss = [] if n else ["--pss"]
        out = subprocess.run(
            [sys.executable, str(HERE / "measure.py"), *where, *pss, "--", *case.argv],
            capture_output=True,
            check=True,
            text=True,
            env=ENV,
        )
        run = json.loads(out.stdout)
        if run["returncode"] != 0:
            result.error = f"exit {run['returncode']}: {run['stderr'].strip()[-300:]}"
            break
        if not n:  # run 0 warms up, and measures PSS
            result.tree_psses.append(run["tree_pss_bytes"])
            continue
        result.seconds.append(run["seconds"])
        result.cpu.append(run["cpu_seconds"])
        result.peaks.append(run["peak_bytes"])
        result.tree_peaks.append(run.get("tree_peak_bytes", run["peak_bytes"]))
        result.contended += not quiet
    if log:
        print(result.row(), flush=True)
    return result


def cases(
    sizes: tuple[int, ...], quick: bool, filled: tuple[int, ...] = ()
) -> list[Case]:
    """What to time; ``quick`` runs everything fewer times; ``filled``: sizes of
    compile sets made by substitution (fast to make, for 100,000 units)."""

    def runs(full: int) -> int:
        return max(1, full // 3) if quick else full

    govstats = str(BIN / "govstats")
    one = generate.dataset(1) / str(generate.YEAR) / f"{generate.unit_code(0)}.xlsx"
    out: list[Case] = [
        Case("help", "`govstats --help`", [govstats, "--help"], runs(20)),
        Case(
            "pandera",
            '`python -c "import pandera.pandas"`',
            [sys.executable, "-c", "import pandera.pandas"],
            runs(10),
        ),
        Case(
            "validate",
            "`govstats validate one.xlsx`",
            [govstats, "validate", str(one)],
            runs(10),
        ),
    ]
    frictionless = BIN / "frictionless"
    # frictionless refuses an absolute path ("not safe"): it runs beside the file.
    friction = [str(frictionless), "validate", one.name, "--sheet", FRICTIONLESS_SHEET]
    out.append(
        Case(
            "frictionless",
            "`frictionless validate` one sheet of one.xlsx",
            [*friction, "--header-rows", FRICTIONLESS_HEADER_ROW],
            runs(5),
            cwd=str(one.parent),
        )
    )

    def compile_argv(inputs: Path, outputs: str) -> list[str]:
        out_dir = generate.DATA / "out" / outputs
        year = str(generate.YEAR)
        return [
            govstats,
            "compile",
            year,
            "--inputs",
            str(inputs),
            "--outputs",
            str(out_dir),
        ]

    for n in sizes:
        out.append(
            Case(
                f"compile-{n}",
                f"`govstats compile`, {n:,} unit{'s' if n > 1 else ''}",
                compile_argv(generate.dataset(n), f"n{n}"),
                runs({1: 10, 100: 5, 1000: 5}.get(n, 3)),
            )
        )
    for n in filled:
        # issue 18: a province's units, made by substitution (generate.filled)
        out.append(
            Case(
                f"compile-{n}",
                f"`govstats compile`, {n:,} units filled in by substitution",
                compile_argv(generate.filled_set(n), f"n{n}-filled"),
                runs(3),
            )
        )
    if VARIED_UNITS in sizes:
        out.append(
            Case(
                "varied",
                f"`govstats compile`, {VARIED_UNITS:,} units, no two workbooks'"
                " parts alike",
                compile_argv(generate.varied(VARIED_UNITS), f"n{VARIED_UNITS}-varied"),
                runs(5),
            )
        )
    if RESAVED_UNITS in sizes:
        resaved = generate.resaved(RESAVED_UNITS)
        if resaved is not None:
            out.append(
                Case(
                    "libreoffice",
                    f"`govstats compile`, {RESAVED_UNITS:,} units saved again by"
                    " LibreOffice",
                    compile_argv(resaved, f"n{RESAVED_UNITS}-libreoffice"),
                    runs(5),
                )
            )
    if NAIVE_UNITS in sizes:
        folder = generate.dataset(NAIVE_UNITS) / str(generate.YEAR)
        limit = NAIVE_UNITS // 10 if quick else NAIVE_UNITS
        out.append(
            Case(
                "naive",
                f"naive `pandas.read_excel(engine='openpyxl')`, {NAIVE_UNITS:,} units",
                [
                    sys.executable,
                    str(HERE / "naive_read.py"),
                    str(folder),
                    "--limit",
                    str(limit),
                ],
                1,
                note=""
                if limit == NAIVE_UNITS
                else f"{limit} workbooks read, time ×{NAIVE_UNITS // limit}",
            )
        )
    return out


def machine() -> list[str]:
    """The machine and the versions measured, as Markdown list items."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with open("/proc/meminfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    ).stdout.strip()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores",
        f"- memory: {mem}",
        f"- system: {platform.platform()}",
        f"- Python {platform.python_version()}; " + ", ".join(versions),
        f"- govstats at commit `{commit or 'unknown'}`, "
        f"measured {dt.date.today().isoformat()}, at niceness {os.nice(0)}"
        + (
            " (the machine is shared: other users' jobs yield to it)"
            if os.nice(0) < 0
            else ""
        ),
    ]


def verdicts(r: dict[str, Result]) -> list[tuple[str, str, str, bool | None]]:
    """``(check, measured, target, met)`` for each acceptance point of issue 5."""
    out: list[tuple[str, str, str, bool | None]] = []

    def ok(*keys: str) -> bool:
        return all(k in r and not r[k].error for k in keys)

    if ok("help"):
        t = r["help"].median
        out.append(("`govstats --help`", _time(t), "< 150 ms", t < HELP_LIMIT))
    if ok("validate", "pandera"):
        ratio = r["validate"].median / r["pandera"].median
        out.append(
            (
                "validate one / `import pandera.pandas`",
                f"{ratio:.2f}×",
                f"≤ {VALIDATE_RATIO_LIMIT}×",
                ratio <= VALIDATE_RATIO_LIMIT,
            )
        )
    if ok("validate", "frictionless"):
        v, f = r["validate"], r["frictionless"]
        ratio = f.median / v.median
        close = min(f.seconds) <= max(v.seconds) and min(v.seconds) <= max(f.seconds)
        out.append(
            (
                "frictionless one sheet / validate one",
                f"{ratio:.2f}×" + (" (the runs' ranges overlap)" if close else ""),
                "> 1× (govstats faster)",
                ratio > 1,
            )
        )
    elif "frictionless" in r:
        out.append(("frictionless one sheet", r["frictionless"].error, "–", None))
    if ok("compile-1000"):
        t = r["compile-1000"].median
        out.append(("compile 1,000 units", _time(t), "< 2 s", t < COMPILE_1000_LIMIT))
    if ok("compile-1000", "naive"):
        naive = r["naive"].median * (NAIVE_UNITS / _naive_read(r["naive"].case))
        ratio = naive / r["compile-1000"].median
        out.append(
            (
                "naive read of 1,000 / compile 1,000",
                f"{ratio:.1f}×",
                f"≥ {NAIVE_SPEEDUP_MIN:.0f}×",
                ratio >= NAIVE_SPEEDUP_MIN,
            )
        )
    if ok("compile-10000"):
        res = r["compile-10000"]
        out.append(
            (
                "compile 10,000 units",
                _time(res.median),
                "< 20 s",
                res.median < COMPILE_10000_LIMIT,
            )
        )
        out.append(
            (
                "compile 10,000 units, peak memory (all processes, PSS)",
                _mb(res.tree_pss),
                "< 500 MB",
                res.tree_pss < MEMORY_10000_LIMIT,
            )
        )
    if ok("compile-100000"):
        res = r["compile-100000"]
        out.append(
            (
                "compile 100,000 units",
                _time(res.median),
                "< 2 min",
                res.median < COMPILE_100000_LIMIT,
            )
        )
        out.append(
            (
                "compile 100,000 units, peak memory (all processes, PSS)",
                _mb(res.tree_pss),
                "< 1 GB",
                res.tree_pss < MEMORY_100000_LIMIT,
            )
        )
    return out


def _naive_read(case: Case) -> int:
    """How many workbooks the naive case read (its ``--limit``)."""
    return int(case.argv[case.argv.index("--limit") + 1])


def slopes(r: dict[str, Result]) -> list[str]:
    """The cost of one more unit, between the two largest sets measured."""
    sizes = sorted(int(k.split("-")[1]) for k in r if k.startswith("compile-"))
    sizes = [n for n in sizes if not r[f"compile-{n}"].error]
    if len(sizes) < 2:
        return []
    a, b = sizes[-2], sizes[-1]
    ra, rb = r[f"compile-{a}"], r[f"compile-{b}"]
    per_unit = (rb.median - ra.median) / (b - a)
    memory = (rb.tree_pss - ra.tree_pss) / (b - a)
    fixed = ra.median - per_unit * a
    met = "met" if memory < MEMORY_PER_UNIT_LIMIT else "**not met**"
    return [
        f"Between {a:,} and {b:,} units, one more unit costs "
        f"**{per_unit * 1000:.2f} ms** and **{memory / 1000:.1f} kB** of peak memory "
        f"(medians; the fixed cost, extrapolated to 0 units, is {_time(fixed)}); "
        f"the target of issue 18, under {MEMORY_PER_UNIT_LIMIT / 1000:.0f} kB a unit,"
        f" is {met}.",
    ]


NOTES = [
    "- The benchmark venv (`.venv-bench`) holds govstats as a user installs it"
    " plus the `bench` group (frictionless, pyinstrument, py-spy), not the dev"
    " tools: pandera imports hypothesis whenever it is installed, which adds about"
    " 0.1 s to every validation and which no clerk's installation has.",
    "- Commands run with bytecode caching on (as an installed package has it),"
    " whatever `PYTHONDONTWRITEBYTECODE` says in the shell.",
    "- `one.xlsx` is the first synthetic unit. frictionless validates its sheet"
    f" `{FRICTIONLESS_SHEET}` (`--sheet`, `--header-rows {FRICTIONLESS_HEADER_ROW}`,"
    " run in the file's folder since it refuses absolute paths), and finds it valid.",
    "- The naive read is `benchmarks/naive_read.py`: `pandas.read_excel(path,"
    " sheet_name=None, engine='openpyxl')` for every workbook of the set, nothing"
    " else; its time includes importing pandas.",
    "- `govstats compile` reads the workbooks with one worker process per core"
    " from 64 workbooks on; *CPU* adds up all processes, which is why it exceeds"
    " the wall clock there.",
    "- The synthetic units are the template filled in by the same code, so their"
    " theme, styles and sheets' markup are alike, as in a year whose workbooks were"
    " all made from the template by one program; govstats then inspects a part met"
    " before once, and a sheet differing from the last only in its text without"
    " parsing it again. *no two workbooks' parts alike* is the same 1,000 units,"
    " each XML part's root element declaring a namespace of its own unit"
    " (`benchmarks/generate.py`, `varied`): every part is then inspected in full,"
    " as for workbooks saved by as many different programs.",
    "- *saved again by LibreOffice* is the same 1,000 units, each opened and saved"
    " by LibreOffice Calc (`benchmarks/generate.py`, `resaved`), as a clerk's"
    " office suite saves a filled-in template: its own styles, shared strings and"
    " markup, and document properties that carry the moment each file was saved."
    " Without LibreOffice the row is left out.",
]


def by_key(results: list[Result]) -> dict[str, Result]:
    return {res.case.key: res for res in results}


def report(results: list[Result], quick: bool, site: tuple[str, ...] = ()) -> str:
    """results.md (``site``: the intake site's section, issue 15)."""
    r = by_key(results)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run.py`); do not edit by hand.",
        "Each figure is the wall clock of a whole process started afresh"
        " (interpreter start and imports included): the median, and the min–max,"
        " over the runs after one warm-up run. Memory is the largest peak over the"
        " runs: the resident memory of the largest single process (`ru_maxrss`);"
        " the memory of all the command's processes together, as the sum of their"
        " proportional set sizes (PSS: a page that *k* processes share counts 1/*k*"
        " in each; sampled every 10 ms by `benchmarks/measure.py` in the warm-up"
        " run, since reading it slows the command, and never less than the largest"
        " process's); and their resident sizes simply added up"
        " (sampled every 5 ms), which counts a shared page once per process and so"
        " errs high: a forked process shows all its parent's pages as its own."
        " Synthetic units come from `benchmarks/generate.py`"
        f" (generator version {generate.GENERATOR_VERSION}): each unit's workbook is"
        " built by govstats' own template and holds plausible figures that pass"
        " every rule. *contended*: runs that started while other processes kept"
        " the machine busy (see `benchmarks/run.py`).",
        "",
    ]
    if quick:
        lines += ["**Quick run** (`--quick`): fewer runs; not for comparisons.", ""]
    lines += ["## Machine", "", *machine(), ""]
    lines += [
        "## Results",
        "",
        HEADER,
        *(res.row() for res in results),
        "",
    ]
    notes = [f"- {res.case.label}: {res.case.note}" for res in results if res.case.note]
    lines += [*notes, ""] if notes else []
    lines += [
        "## Acceptance (issue 5)",
        "",
        "| check | measured | target | met |",
        "|---|---|---|---|",
    ]
    for check, value, target, met in verdicts(r):
        mark = "–" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {check} | {value} | {target} | {mark} |")
    lines += ["", "## Cost per extra unit", "", *slopes(r), ""]
    lines += list(site)
    lines += ["## How", "", *NOTES, ""]
    return "\n".join(lines)


def with_site(text: str, site: tuple[str, ...]) -> str:
    """results.md with the intake site's section put in before "How", or in place
    of the one it has."""
    section = "\n".join(site)
    if "## Intake site" in text:
        head, _, rest = text.partition("## Intake site")
        return head + section + "\n## " + rest.partition("\n## ")[2]
    head, _, rest = text.partition("## How")
    return head + section + "\n## How" + rest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs, ≤ 1,000 units"
    )
    parser.add_argument("--sizes", type=int, nargs="*", help="compile set sizes")
    parser.add_argument(
        "--filled",
        type=int,
        nargs="*",
        default=[],
        help="sizes of compile sets filled in by substitution (100000)",
    )
    parser.add_argument(
        "--only", nargs="*", help="case keys to run (help, compile-1000…)"
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=HERE / "results.md", help="report to write"
    )
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or (SIZES[:3] if args.quick else SIZES))
    todo = cases(sizes, args.quick, tuple(args.filled))
    if args.only:
        todo = [c for c in todo if c.key in args.only]
    print(HEADER)
    results = [measure(c) for c in todo]
    site: tuple[str, ...] = ()
    if not args.only or "serve" in args.only:
        # issue 15: `govstats serve`'s /api/validate, warm, one request at a time
        import serve_latency

        one = generate.dataset(1) / str(generate.YEAR) / f"{generate.unit_code(0)}.xlsx"
        wait_quiet()
        site = serve_latency.lines(
            serve_latency.measure(one, generate.YEAR, 30 if args.quick else 200)
        )
        print(*site, sep="\n")
    if args.only == ["serve"] and args.output.exists():
        # Only the intake site measured: its section replaces the one of the
        # last full run, whose other results stay as they were.
        text = with_site(args.output.read_text(encoding="utf-8"), site)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote the intake site's section of {args.output}")
        return 0
    text = report(results, args.quick, site)
    args.output.write_text(text, encoding="utf-8")
    print()
    print("## Acceptance" + text.split("## Acceptance", 1)[1])
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
