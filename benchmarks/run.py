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

    python benchmarks/run.py            # everything, 100,000 units included
    python benchmarks/run.py --quick    # fewer runs, no 10,000-unit set
    python benchmarks/run.py --only compile-1 pandera -o /tmp/x.md   # some cases

Where a time target of issue 18 is not met, the case is run once more under
py-spy (``--subprocesses``, which follows the forked workers) and results.md
says what its time goes to (:func:`profiles`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402 - benchmarks/ is no package
import serve_latency  # noqa: E402

BIN = Path(sys.executable).parent
SIZES = (1, 100, 1000, 10000)
NAIVE_UNITS = 1000
VARIED_UNITS = 1000
RESAVED_UNITS = 1000  # saved again by LibreOffice (generate.resaved)
FILLED = (100_000,)  # sets filled in by substitution, in a full run (issue 18)
# issue 14: "Audit of one 10-page PDF report stays under 3 s": the report of
# benchmarks/hostile.py (tests.test_audit_documents.ruled_pdf), whose repeat 5
# makes 11 A4 pages (4 makes 9; issue 14 calls that row the 10-page one).
AUDIT_PDF_REPEAT = 5
AUDIT_PDF_LIMIT = 3.0
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
COMPILE_1000_PANDERA_LIMIT = 2.3  # × `import pandera.pandas`, medians
NAIVE_SPEEDUP_18_MIN = 20.0  # naive read / compile of 1,000 units
COMPILE_1_PANDERA_LIMIT = 1.3
VALIDATE_PANDERA_LIMIT_18 = 1.0
HELP_LIMIT_18 = 0.080
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
    unavailable: str = ""  # why it cannot run here (then it does not)


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
    if case.unavailable or not Path(case.argv[0]).exists():
        result.error = (
            case.unavailable or f"`{Path(case.argv[0]).name}` is not installed"
        )
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


def one_workbook() -> Path:
    """one.xlsx: the first synthetic unit's workbook."""
    return generate.dataset(1) / str(generate.YEAR) / f"{generate.unit_code(0)}.xlsx"


def cases(
    sizes: tuple[int, ...],
    quick: bool,
    filled: tuple[int, ...] = (),
    only: Iterable[str] | None = None,
) -> list[Case]:
    """What to time; ``quick`` runs everything fewer times; ``filled``: sizes of
    compile sets made by substitution (fast to make, for 100,000 units);
    ``only``: the keys of the cases wanted (the others' sets are not made)."""
    wanted = None if only is None else set(only)

    def want(key: str) -> bool:
        return wanted is None or key in wanted

    def runs(full: int) -> int:
        return max(1, full // 3) if quick else full

    govstats = str(BIN / "govstats")
    out: list[Case] = []
    if want("help"):
        out.append(Case("help", "`govstats --help`", [govstats, "--help"], runs(20)))
    if want("speed"):
        # The machine's own speed: this virtual machine's processors run at
        # times nearly twice as slow as at others (other tenants of its host),
        # which every figure of a run shares; the ratios to the pandera import
        # share it too, and so vary less.
        out.append(
            Case(
                "speed",
                "`python -c` a loop of 10⁷ additions (the machine's speed)",
                [sys.executable, "-c", "s = 0\nfor i in range(10**7):\n    s += i"],
                runs(10),
            )
        )
    if want("pandera"):
        out.append(
            Case(
                "pandera",
                '`python -c "import pandera.pandas"`',
                [sys.executable, "-c", "import pandera.pandas"],
                runs(10),
            )
        )
    if want("validate"):
        out.append(
            Case(
                "validate",
                "`govstats validate one.xlsx`",
                [govstats, "validate", str(one_workbook())],
                runs(10),
            )
        )
    if want("frictionless"):
        frictionless = BIN / "frictionless"
        # frictionless refuses an absolute path ("not safe"): it runs beside the file.
        one = one_workbook()
        friction = [
            str(frictionless),
            "validate",
            one.name,
            "--sheet",
            FRICTIONLESS_SHEET,
        ]
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
        if want(f"compile-{n}"):
            out.append(
                Case(
                    f"compile-{n}",
                    f"`govstats compile`, {n:,} unit{'s' if n > 1 else ''}",
                    compile_argv(generate.dataset(n), f"n{n}"),
                    runs({1: 10, 100: 5, 1000: 5}.get(n, 3)),
                )
            )
    for n in filled:
        # issue 18: a province's units, made by substitution (generate.filled);
        # each run takes minutes: one, after the warm-up that measures memory
        if want(f"compile-{n}"):
            out.append(
                Case(
                    f"compile-{n}",
                    f"`govstats compile`, {n:,} units filled in by substitution",
                    compile_argv(generate.filled_set(n), f"n{n}-filled"),
                    1,
                )
            )
    if VARIED_UNITS in sizes and want("varied"):
        out.append(
            Case(
                "varied",
                f"`govstats compile`, {VARIED_UNITS:,} units, no two workbooks'"
                " parts alike",
                compile_argv(generate.varied(VARIED_UNITS), f"n{VARIED_UNITS}-varied"),
                runs(5),
            )
        )
    if RESAVED_UNITS in sizes and want("libreoffice"):
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
    if want("audit-pdf"):
        out.append(audit_case(runs(5)))
    if NAIVE_UNITS in sizes and want("naive"):
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


def audit_pdf(root: Path = generate.DATA) -> Path | None:
    """The PDF report of issue 14's benchmark row, built once into ``root``
    (None, saying why, when it cannot be built).

    It is built by the test suite's ``ruled_pdf``, run by the dev venv's Python
    (reportlab is a dev dependency, which the bench venv does not install).
    """
    path = root / "audit" / f"report-ruled-x{AUDIT_PDF_REPEAT}.pdf"
    if path.exists():
        return path
    python = ROOT / ".venv" / "bin" / "python"
    code = (
        "import sys; from tests.gk2021_data import consistent_2021;"
        " from tests.test_audit_documents import ruled_pdf;"
        " sys.stdout.buffer.write(ruled_pdf(consistent_2021(),"
        f" repeat={AUDIT_PDF_REPEAT}))"
    )
    built = subprocess.run(
        [str(python if python.exists() else sys.executable), "-c", code],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if built.returncode or not built.stdout.startswith(b"%PDF"):
        tail = built.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        print(f"the audit's PDF was not built: {' '.join(tail)}", flush=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(built.stdout)
    tmp.replace(path)
    return path


def pdf_pages(path: Path) -> int:
    """How many pages a PDF has (pdfplumber: govstats' own PDF reader)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


def audit_case(runs: int) -> Case:
    """``govstats audit --text`` of the PDF report of :func:`audit_pdf`."""
    label = "`govstats audit --text` of a PDF report"
    pdf = audit_pdf()
    if pdf is None:
        why = "not built (needs the dev venv: `make setup`)"
        return Case("audit-pdf", label, [], runs, unavailable=why)
    label = f"`govstats audit --text` of a PDF report of {pdf_pages(pdf)} pages"
    argv = [str(BIN / "govstats"), "audit", "--text", str(pdf)]
    return Case("audit-pdf", label, argv, runs)


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
        ratio = _naive_seconds(r["naive"]) / r["compile-1000"].median
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


class Verdict(NamedTuple):
    """One target of issue 18: ``met`` is None when it was not measured (then
    ``measured`` says how to measure it); ``profile`` names the case whose time
    the target judges (profiled when not met)."""

    check: str
    measured: str
    target: str
    met: bool | None
    profile: str = ""


def _not_measured(keys: str) -> str:
    return f"not measured (`--only {keys}`)"


def verdicts_18(r: dict[str, Result], site: dict[str, Any] | None) -> list[Verdict]:
    """A row for each target of issue 18 (``site``: serve_latency's figures)."""

    def ok(*keys: str) -> bool:
        return all(k in r and not r[k].error for k in keys)

    def ratio(key: str, check: str, limit: float) -> Verdict:
        target = f"≤ {limit}×"
        if not ok(key, "pandera"):
            return Verdict(check, _not_measured(f"{key} pandera"), target, None)
        value = r[key].median / r["pandera"].median
        return Verdict(check, f"{value:.2f}×", target, value <= limit, key)

    def naive(key: str, check: str) -> Verdict:
        target = f"≥ {NAIVE_SPEEDUP_18_MIN:.0f}×"
        if not ok(key, "naive"):
            return Verdict(check, _not_measured(f"{key} naive"), target, None)
        value = _naive_seconds(r["naive"]) / r[key].median
        return Verdict(
            check, f"{value:.1f}×", target, value >= NAIVE_SPEEDUP_18_MIN, key
        )

    out: list[Verdict] = []
    big = "compile-100000"  # in full runs (FILLED)
    how = _not_measured(big)
    if ok(big):
        res = r[big]
        out += [
            Verdict("compile 100,000 units", _time(res.median), "< 2 min",
                    res.median < COMPILE_100000_LIMIT, big),
            Verdict("compile 100,000 units, peak memory (all processes, PSS)",
                    _mb(res.tree_pss), "< 1 GB", res.tree_pss < MEMORY_100000_LIMIT),
        ]  # fmt: skip
    else:
        out += [
            Verdict("compile 100,000 units", how, "< 2 min", None),
            Verdict("compile 100,000 units, peak memory (all processes, PSS)", how,
                    "< 1 GB", None),
        ]  # fmt: skip
    cost = per_unit_cost(r)
    target = f"< {MEMORY_PER_UNIT_LIMIT / 1000:.0f} kB"
    if cost is None:
        two = _not_measured("compile-1000 compile-10000")
        out.append(Verdict("peak memory of one unit more", two, target, None))
    else:
        a, b, _seconds, memory, _fixed = cost
        out.append(
            Verdict(
                f"peak memory of one unit more (between {a:,} and {b:,} units)",
                f"{memory / 1000:.1f} kB",
                target,
                memory < MEMORY_PER_UNIT_LIMIT,
            )
        )
    out += [
        ratio("compile-1000", "compile 1,000 / `import pandera.pandas`",
              COMPILE_1000_PANDERA_LIMIT),
        naive("compile-1000", "naive read of 1,000 / compile 1,000"),
        ratio("compile-1", "compile 1 / `import pandera.pandas`",
              COMPILE_1_PANDERA_LIMIT),
        ratio("validate", "validate one / `import pandera.pandas`",
              VALIDATE_PANDERA_LIMIT_18),
    ]  # fmt: skip
    if ok("help"):
        t = r["help"].median
        out.append(Verdict("`govstats --help`", _time(t), "< 80 ms",
                           t < HELP_LIMIT_18, "help"))  # fmt: skip
    else:
        out.append(Verdict("`govstats --help`", _not_measured("help"), "< 80 ms", None))
    out += [
        ratio("libreoffice", "saved by LibreOffice: compile 1,000 / `import pandera.pandas`",
              COMPILE_1000_PANDERA_LIMIT),
        naive("libreoffice", "saved by LibreOffice: naive read of 1,000 / compile 1,000"),
    ]  # fmt: skip
    for row in (
        ratio("varied", "no two parts alike: compile 1,000 / `import pandera.pandas`",
              COMPILE_1000_PANDERA_LIMIT),
        naive("varied", "no two parts alike: naive read of 1,000 / compile 1,000"),
    ):  # fmt: skip
        # informational: the issue sets its targets on the LibreOffice-saved set
        out.append(
            row._replace(target=f"none ({row.target} on the others)", profile="")
        )
    if site is None:
        out.append(Verdict("`POST /api/validate`, p95 (issue 15)",
                           _not_measured("serve …"), "< 300 ms", None))  # fmt: skip
    else:
        p95 = site["p95"]
        out.append(Verdict("`POST /api/validate`, p95 (issue 15)", _time(p95),
                           "< 300 ms", p95 < serve_latency.P95_LIMIT))  # fmt: skip
    audit = "`audit --text` of the PDF report (issue 14: one of 10 pages)"
    if ok("audit-pdf"):
        t = r["audit-pdf"].median
        out.append(Verdict(audit, _time(t), "< 3 s", t < AUDIT_PDF_LIMIT, "audit-pdf"))
    else:
        out.append(Verdict(audit, _not_measured("audit-pdf"), "< 3 s", None))
    return out


def _naive_seconds(naive: Result) -> float:
    """The naive read's median for all NAIVE_UNITS workbooks (a quick run reads
    fewer and is scaled up)."""
    return naive.median * (NAIVE_UNITS / _naive_read(naive.case))


def _naive_read(case: Case) -> int:
    """How many workbooks the naive case read (its ``--limit``)."""
    return int(case.argv[case.argv.index("--limit") + 1])


def per_unit_cost(
    r: dict[str, Result],
) -> tuple[int, int, float, float, float] | None:
    """``(a, b, seconds, bytes, fixed seconds)``: the cost of one more unit
    between the two largest compile sets measured, ``a`` and ``b`` units, and
    the time extrapolated to none; None with fewer than two sets."""
    sizes = sorted(int(k.split("-")[1]) for k in r if k.startswith("compile-"))
    sizes = [n for n in sizes if not r[f"compile-{n}"].error]
    if len(sizes) < 2:
        return None
    a, b = sizes[-2], sizes[-1]
    ra, rb = r[f"compile-{a}"], r[f"compile-{b}"]
    per_unit = (rb.median - ra.median) / (b - a)
    memory = (rb.tree_pss - ra.tree_pss) / (b - a)
    return a, b, per_unit, memory, ra.median - per_unit * a


def slopes(r: dict[str, Result]) -> list[str]:
    """The cost of one more unit, between the two largest sets measured."""
    cost = per_unit_cost(r)
    if cost is None:
        return ["Not measured: it needs two compile sets (`--only compile-1000 …`)."]
    a, b, per_unit, memory, fixed = cost
    met = "met" if memory < MEMORY_PER_UNIT_LIMIT else "**not met**"
    return [
        f"Between {a:,} and {b:,} units, one more unit costs "
        f"**{per_unit * 1000:.2f} ms** and **{memory / 1000:.1f} kB** of peak memory "
        f"(medians; the fixed cost, extrapolated to 0 units, is {_time(fixed)}); "
        f"the target of issue 18, under {MEMORY_PER_UNIT_LIMIT / 1000:.0f} kB a unit,"
        f" is {met}.",
    ]


# What the time goes to, where a time target is not met: the case run once more
# under py-spy, which samples every process of the command (--subprocesses: the
# forked workers and output processes too), each PROFILE_RATE times a second;
# threads waiting (for a worker, for the disk) are not sampled (no --idle), so a
# share is one of the time processes spent running.
PROFILE_RATE = 200
PROFILE_TOP = 8
PROFILE_SECONDS = 1.0  # of samples at least, from several runs if short
# The stage of a sample is that of its innermost frame matching one of these
# (a substring of py-spy's "function (path:line)"; within a frame, the first
# row that matches), the process's first frame, its script, aside.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("imports", ("(<frozen importlib.", "<module> (")),
    (
        "waiting (a lock, a pipe), sampled all the same",
        ("wait (threading.py", "select (selectors.py", "_recv (multiprocessing/"),
    ),
    (
        "starting child processes, handing work over",
        (
            "(govstats/core/isolated.py",
            "(govstats/publish/background.py",
            "(concurrent/futures/",
            "(multiprocessing/",
        ),
    ),
    (
        "writing (workbook bytes, zip, files)",
        ("(govstats/core/output.py", "(govstats/publish/folder.py"),
    ),
    ("rendering report.md", ("(govstats/publish/report_md.py",)),
    ("rendering report.html", ("(govstats/publish/report_html.py",)),
    ("rendering report.docx", ("(govstats/publish/report_docx.py",)),
    ("rendering charts", ("(govstats/publish/charts.py",)),
    ("rendering tables.xlsx", ("(govstats/publish/tables_xlsx.py",)),
    ("rendering summary.xlsx", ("(govstats/publish/summary_xlsx.py",)),
    (
        "rendering figures.json, datapackage",
        ("(govstats/publish/figures_json.py", "(govstats/publish/datapackage.py"),
    ),
    ("rendering (shared: context, styles, templates)", ("(govstats/publish/",)),
    ("reading workbooks", ("(govstats/read/",)),
    ("validation", ("(govstats/check/",)),
    ("aggregation", ("(govstats/aggregate.py",)),
    ("audit", ("(govstats/audit/",)),
    ("command line", ("(govstats/cli/", "(typer/", "(click/")),
)
OTHER_STAGE = "other (pipeline, interpreter, libraries called from it)"
# The role of a child process, by a frame of its stack (first row that matches).
ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("output processes", ("(govstats/publish/background.py",)),
    (
        "workers",
        ("(govstats/core/isolated.py", "(concurrent/futures/", "(multiprocessing/"),
    ),
)
MAIN_ROLE = "main"
OTHER_ROLE = "other processes"


class Sample(NamedTuple):
    """One line of py-spy's raw output: a stack and how often it was seen."""

    role: str
    process: str  # its pid
    stage: str
    leaf: str  # the innermost frame without its line: "function (path)"
    samples: int


def _matches(frame: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    for name, needles in table:
        if any(n in frame for n in needles):
            return name
    return ""


def classify(line: str) -> Sample | None:
    """The role, stage and innermost function of one raw py-spy line
    (``process A:"cmd";process B:"cmd";frame;…;frame COUNT``); None for a
    line that is none."""
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = stack.split(";")
    processes = sum(1 for f in frames if f.startswith("process "))
    pid = frames[processes - 1].split()[1].partition(":")[0] if processes else "?"
    frames = frames[processes:]
    role = MAIN_ROLE
    if processes > 1:
        role = next((r for f in frames if (r := _matches(f, ROLES))), OTHER_ROLE)
    stage = next(
        (s for f in reversed(frames[1:]) if (s := _matches(f, STAGES))), OTHER_STAGE
    )
    leaf = frames[-1].rpartition(":")[0] + ")" if frames else "(no Python frame)"
    return Sample(role, pid, stage, leaf, int(count))


def _share(n: int, total: int) -> str:
    if not n:
        return "–"
    share = 100 * n / total
    return "<1%" if share < 0.5 else f"{share:.0f}%"


def profile_table(lines: Iterable[str]) -> list[str]:
    """The summary of a raw py-spy profile: samples per stage and process role,
    and the functions most often running (self time), as Markdown."""
    samples = [s for s in map(classify, lines) if s is not None]
    total = sum(s.samples for s in samples)
    if not total:
        return ["py-spy recorded no sample."]
    roles = [MAIN_ROLE, *(name for name, _ in ROLES), OTHER_ROLE]
    stages = [name for name, _ in STAGES] + [OTHER_STAGE]
    by = Counter[tuple[str, str]]()
    for s in samples:
        by[s.role, s.stage] += s.samples
    shown = [r for r in roles if any(by[r, s] for s in stages)]
    out = [
        "| stage | " + " | ".join(shown) + " | all |",
        "|---|" + "---|" * (len(shown) + 1),
    ]
    for stage in stages:
        row = [by[r, stage] for r in shown]
        if sum(row):
            cells = " | ".join(_share(n, total) for n in row)
            out.append(f"| {stage} | {cells} | {_share(sum(row), total)} |")
    cells = " | ".join(_share(sum(by[r, s] for s in stages), total) for r in shown)
    out += [f"| **all** | {cells} | 100% |", ""]
    pids = {r: len({s.process for s in samples if s.role == r}) for r in shown}
    seen = ", ".join(f"{r} {n}" for r, n in pids.items())
    out += [f"Processes sampled: {seen}.", ""]
    leaves = Counter[str]()
    for s in samples:
        leaves[s.leaf] += s.samples
    top = sorted(leaves.items(), key=lambda kv: (-kv[1], kv[0]))[:PROFILE_TOP]
    out += ["| function (self time) | share |", "|---|---|"]
    out += [f"| `{leaf}` | {_share(n, total)} |" for leaf, n in top]
    return out


def profile(case: Case, raw: Path) -> tuple[float, str]:
    """Run ``case`` once under py-spy into ``raw``: its wall clock, and an error
    (empty when it worked)."""
    spy = BIN / "py-spy"
    if not spy.exists():
        return 0.0, "py-spy is not installed"
    wait_quiet()
    start = time.perf_counter()
    out = subprocess.run(
        [str(spy), "record", "--subprocesses", "--format", "raw",
         "-r", str(PROFILE_RATE), "-o", str(raw), "--", *case.argv],
        cwd=case.cwd, env=ENV, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if out.returncode or not raw.exists():
        return seconds, f"py-spy failed: {out.stderr.strip()[-300:]}"
    return seconds, ""


def profile_runs(median: float) -> int:
    """How many profiled runs a case gets: enough for PROFILE_SECONDS of
    samples (a command of 80 ms gives 16 samples a run), at most 10."""
    return min(10, max(1, math.ceil(PROFILE_SECONDS / median)))


def profiles(r: dict[str, Result], checks: list[Verdict], folder: Path) -> list[str]:
    """A section of results.md profiling each case whose time target is not met."""
    keys = sorted({v.profile for v in checks if v.met is False and v.profile})
    keys = [k for k in keys if k in r and not r[k].error]
    if not keys:
        return []
    out = [
        "## What the time goes to (issue 18)",
        "",
        "Each case whose time target is not met, run again under py-spy"
        f" ({PROFILE_RATE} samples a second in every process of the command,"
        " forked workers and output processes included; py-spy leaves out most"
        " samples of a thread that waits, so shares are of the time processes"
        " spent running, not of the wall clock; the waits it keeps are a stage of"
        " their own; py-spy looks for new processes every 100 ms, so the"
        " first tenth of a second of a child is not sampled, and a shorter child"
        " not at all), once or, for a short command, as many times as give"
        f" {PROFILE_SECONDS:.0f} s of samples. The profiler slows the runs it"
        " samples. A sample's stage is its innermost frame's (`benchmarks/run.py`,"
        " `STAGES`; `_compile_bytecode` is the loading of cached bytecode);"
        " shares are of all the samples of the case.",
        "",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    for key in keys:
        res = r[key]
        out += [f"### {res.case.label}", ""]
        lines: list[str] = []
        walls = []
        for n in range(profile_runs(res.median)):
            raw = folder / f"{key}-{n}.txt"
            seconds, error = profile(res.case, raw)
            if error:
                break
            walls.append(seconds)
            lines += raw.read_text(encoding="utf-8").splitlines()
        if error:
            out += [error, ""]
            continue
        total = sum(s.samples for s in map(classify, lines) if s is not None)
        out += [
            f"{len(walls)} profiled run{'s' if len(walls) > 1 else ''}, median"
            f" {_time(statistics.median(walls))} (without the profiler:"
            f" {_time(res.median)}); {total:,} samples.",
            "",
            *profile_table(lines),
            "",
        ]
    return out


NOTES = [
    "- *the machine's speed* is a plain Python loop, timed as the commands are:"
    " this virtual machine's processors run at times nearly twice as slow as at"
    " others (the host's other tenants), the same for every command of a run, so"
    " that figures of two runs compare only beside it; the ratios to the pandera"
    " import, taken in the same run, vary less.",
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
    "- *100,000 units filled in by substitution* (issue 18) is the template made"
    " once and each unit's figures put into its XML (`benchmarks/generate.py`,"
    " `filled`): the same units and figures as the other sets, a hundred times"
    " faster to make. Each run takes minutes, so it has one timed run after the"
    " warm-up that measures its memory.",
    "- The PDF report the audit reads is benchmarks/hostile.py's:"
    " `tests.test_audit_documents.ruled_pdf(consistent_2021(),"
    f" repeat={AUDIT_PDF_REPEAT})`, tables 三 and 四 with ruling lines and prose"
    " broken by the margin, written by reportlab with the dev venv's Python into"
    " `benchmarks/.data/audit/`.",
    "- *What the time goes to*: the raw py-spy profiles are kept in"
    " `benchmarks/.data/profiles/` (one line a stack, every process's stack"
    " prefixed by the processes above it).",
]


def by_key(results: list[Result]) -> dict[str, Result]:
    return {res.case.key: res for res in results}


def report(
    results: list[Result],
    quick: bool,
    site: tuple[str, ...] = (),
    latency: dict[str, Any] | None = None,
    profiled: list[str] | None = None,
) -> str:
    """results.md (``site``: the intake site's section, issue 15, ``latency``
    its figures; ``profiled``: the section of :func:`profiles`)."""
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
    lines += ["", *acceptance_18(verdicts_18(r, latency)), ""]
    lines += ["## Cost per extra unit", "", *slopes(r), ""]
    lines += list(site)
    lines += profiled or []
    lines += ["## How", "", *NOTES, ""]
    return "\n".join(lines)


def acceptance_18(checks: list[Verdict]) -> list[str]:
    """The section of the targets of issue 18, as Markdown lines."""
    lines = [
        "## Acceptance (issue 18)",
        "",
        "The targets of issue 18, the ratios between medians of this run; on the"
        " LibreOffice-saved set as on the template's, the set with no two parts"
        " alike for information. `/api/validate`'s target is issue 15's (measured"
        " in *Intake site* below), the audit's issue 14's (benchmarks/hostile.py's"
        f" report: `ruled_pdf` of the tests, repeat {AUDIT_PDF_REPEAT}, the nearest"
        " to ten pages it makes). Where a time target is not met, *What the time"
        " goes to* below profiles it. –: not measured in this run.",
        "",
        "| check | measured | target | met |",
        "|---|---|---|---|",
    ]
    for check in checks:
        mark = "–" if check.met is None else ("yes" if check.met else "**no**")
        lines.append(f"| {check.check} | {check.measured} | {check.target} | {mark} |")
    return lines


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
        help="sizes of compile sets filled in by substitution (default: 100000"
        " in a full run, none with --quick or --sizes; --filled alone: none)",
    )
    parser.add_argument(
        "--no-profile",
        action="store_true",
        help="no profile of the cases whose time target is not met",
    )
    parser.add_argument(
        "--only",
        nargs="*",
        help="case keys to run: speed help pandera validate frictionless compile-N"
        " varied libreoffice audit-pdf naive serve",
    )
    parser.add_argument(
        "-o", "--output", type=Path, default=HERE / "results.md", help="report to write"
    )
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or (SIZES[:3] if args.quick else SIZES))
    # the 100,000 units in a full run only (each compile takes minutes)
    full = args.filled is None and not args.quick and not args.sizes
    filled = FILLED if full else tuple(args.filled or ())
    todo = cases(sizes, args.quick, filled, args.only)
    print(HEADER)
    results = [measure(c) for c in todo]
    site: tuple[str, ...] = ()
    latency = None
    if not args.only or "serve" in args.only:
        # issue 15: `govstats serve`'s /api/validate, warm, one request at a time
        wait_quiet()
        latency = serve_latency.measure(
            one_workbook(), generate.YEAR, 30 if args.quick else 200
        )
        site = serve_latency.lines(latency)
        print(*site, sep="\n")
    if args.only == ["serve"] and args.output.exists():
        # Only the intake site measured: its section replaces the one of the
        # last full run, whose other results stay as they were.
        text = with_site(args.output.read_text(encoding="utf-8"), site)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote the intake site's section of {args.output}")
        return 0
    profiled = None
    if not args.no_profile:
        checks = verdicts_18(by_key(results), latency)
        profiled = profiles(by_key(results), checks, generate.DATA / "profiles")
    text = report(results, args.quick, site, latency, profiled)
    args.output.write_text(text, encoding="utf-8")
    print()
    print("## Acceptance" + text.split("## Acceptance", 1)[1])
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
