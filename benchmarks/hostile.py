"""Time and memory of refusing hostile workbooks (issue 6).

Builds the corpus cases that attack time and memory (tests/hostile.py), runs
``govstats validate`` on each in a fresh subprocess and prints its wall time, peak
resident memory (the kernel's ru_maxrss of that child alone) and the problem code
it ended with, beside the valid workbook as a baseline. The acceptance bound: each
refused in under a few seconds with less than 200 MB; the largest workbook the
limits allow (one full 2000 x 200 sheet) is measured too.

    .venv/bin/python benchmarks/hostile.py
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile import (  # noqa: E402
    CASES,
    TABLE1,
    Case,
    parts,
    rewrite,
    set_rows,
    valid_workbook,
)

MEASURED = [
    "zip-bomb",
    "zip-bomb-lying-size",
    "million-rows",
    "far-cell-xfd1048576",
    "wide-16384-columns",
    "ods-repeat-bomb",
    "xls-far-cell",
    "billion-laughs-sheet",
]
BOUND_SECONDS, BOUND_MB = 5.0, 200


def full_sheets(count: int) -> bytes:
    """``count`` sheets of 2000 x 200 numbers: the most a sheet may hold."""
    from openpyxl.utils import get_column_letter

    cols = [get_column_letter(j) for j in range(1, 201)]
    rows = "".join(
        f'<row r="{i}">'
        + "".join(f'<c r="{c}{i}"><v>{i % 7}</v></c>' for c in cols)
        + "</row>"
        for i in range(1, 2001)
    )
    names = [n for n in parts(valid_workbook()) if n.startswith("xl/worksheets/")]
    sheets = [TABLE1] + [n for n in names if n != TABLE1][: count - 1]
    return rewrite({n: (lambda p: set_rows(p, rows)) for n in sheets})


def declared(path: Path) -> int:
    """The unpacked size the zip's directory claims (what a naive reader inflates)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        return 0


def run(path: Path, tmp: Path) -> tuple[float, float, int, list[str]]:
    """Wall seconds, peak RSS in MB, exit code and problem codes of one validate."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "govstats", "validate", str(path), "--format", "json"]
    report = tmp / "report.json"
    with report.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN is a running max).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    data = json.loads(report.read_text(encoding="utf-8"))
    codes = sorted({p["code"] for f in data["files"] for p in f["problems"]})
    return wall, usage.ru_maxrss / 1024, proc.returncode, codes


def main() -> int:
    cases = [c for c in CASES if c.name in MEASURED]
    baseline = Case("valid workbook (baseline)", valid_workbook, ())
    # Within the limits, the largest: one full sheet (400,000 values); and two,
    # which pass every sheet limit but not the workbook's 500,000 cells.
    largest = Case("one full sheet (allowed)", lambda: full_sheets(1), ())
    too_many = Case("two full sheets", lambda: full_sheets(2), ())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in [baseline, *cases, largest, too_many]:
            path = Path(tmp) / f"{case.name.split()[0]}-{len(rows)}{case.suffix}"
            path.write_bytes(case.build())
            wall, rss, code, codes = run(path, Path(tmp))
            rows.append(
                (case.name, path.stat().st_size, declared(path), wall, rss, code, codes)
            )
    head = f"{'case':<28} {'file':>9} {'declared':>11} {'exit':>4} {'wall s':>7} {'peak MB':>8}  problem"
    print(head)
    print("-" * len(head))
    worst = 0.0, 0.0
    for name, size, decl, wall, rss, code, codes in rows:
        print(
            f"{name:<28} {size / 1e6:>7.2f}MB {decl / 2**20:>8.1f}MiB {code:>4} "
            f"{wall:>7.2f} {rss:>8.0f}  {', '.join(codes) or '-'}"
        )
        worst = max(worst[0], wall), max(worst[1], rss)
    ok = worst[0] < BOUND_SECONDS and worst[1] < BOUND_MB
    print(
        f"\nslowest {worst[0]:.2f} s, largest {worst[1]:.0f} MB "
        f"(bound {BOUND_SECONDS:.0f} s, {BOUND_MB} MB): {'ok' if ok else 'OVER'}"
    )
    return 0 if ok else 1


# `audit --text` on hostile reports (issue 20, points 7 and 8): each is refused or
# audited within TEXT_BOUND_SECONDS_PER_MB (plus Python's start) and BOUND_MB.
TEXT_BOUND_SECONDS_PER_MB = 1.0
SEED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "seed"


def text_cases() -> list[tuple[str, Callable[[], bytes], str]]:
    """(name, builder, suffix) of every hostile report measured."""
    from tests import hostile as h

    from govstats.core.limits import DEFAULT_LIMITS

    seed_path = SEED / "zhuzhou-2017-report.clean.txt"
    seed = (
        seed_path.read_bytes()
        if seed_path.exists()
        else b"\xe5\x85\xb1527\xe4\xbb\xb6\n"
    )
    figures = len(seed.decode().split("%")) + seed.decode().count("件")
    at_figures_limit = len(seed) * max(
        DEFAULT_LIMITS.text_figures // max(figures, 1) // 2, 1
    )
    cases: list[tuple[str, Callable[[], bytes], str]] = [
        (
            f"“{unit}” x100,000",
            functools.partial(h.repeated_claim, unit, 100_000),
            ".txt",
        )
        for unit in h.REPEATED_CLAIMS.values()
    ]
    cases += [
        ("nested brackets x100,000", lambda: h.nested_brackets(100_000), ".txt"),
        (
            "50 MB of prose, no figure",
            lambda: h.text_without_figures(50_000_000),
            ".txt",
        ),
        ("50 MB report", lambda: h.report_repeated(seed, 50_000_000), ".txt"),
        (
            "2 MiB of prose (allowed)",
            lambda: h.text_without_figures(DEFAULT_LIMITS.text_bytes),
            ".txt",
        ),
        (
            "report, ~5,000 figures",
            lambda: h.report_repeated(seed, at_figures_limit),
            ".txt",
        ),
        ("1 MB random bytes", lambda: h.random_bytes(1_000_000), ".txt"),
        ("1 MB random bytes", lambda: h.random_bytes(1_000_000), ".html"),
        ("10 MB one-line HTML", lambda: h.one_line_html(10_000_000), ".html"),
        (
            "2 MiB one-line HTML (allowed)",
            lambda: h.one_line_html(DEFAULT_LIMITS.text_bytes - 4096),
            ".html",
        ),
        ("HTML “<” x2,000,000", lambda: h.html_unclosed("<", 2_000_000), ".html"),
        ("HTML “<!--” x500,000", lambda: h.html_unclosed("<!--", 500_000), ".html"),
        ("HTML “&#” x1,000,000", lambda: h.html_unclosed("&#", 1_000_000), ".html"),
        ("HTML “<![ x” x400,000", lambda: h.html_unclosed("<![ x", 400_000), ".html"),
        ("HTML “a<br>” x400,000", lambda: h.html_unclosed("a<br>", 400_000), ".html"),
        ("HTML “a b ” x500,000", lambda: h.html_unclosed("a b ", 500_000), ".html"),
        ("PDF page listed x1,000,000", lambda: h.pdf_pages_repeated(1_000_000), ".pdf"),
        ("PDF FlateDecode bomb 1 GiB", lambda: h.pdf_flate_bomb(1 << 30), ".pdf"),
        ("PDF 15M text operators", lambda: h.pdf_text_operators(15_000_000), ".pdf"),
        ("PDF 100,000 nested arrays", lambda: h.pdf_nested_arrays(100_000), ".pdf"),
        ("PDF nested object", lambda: h.pdf_nested_object(100_000), ".pdf"),
        # Issue 14: a report read from its page geometry (target < 3 s).
        ("11-page PDF report, ruled tables", report_pdf_11_pages, ".pdf"),
    ]
    return cases


def report_pdf_11_pages() -> bytes:
    """Tables 三 and 四 with ruling lines and prose, five times: eleven A4 pages."""
    from tests.gk2021_data import consistent_2021
    from tests.test_audit_documents import ruled_pdf

    return ruled_pdf(consistent_2021(), repeat=5)


def audit_run(path: Path) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds, peak RSS in MB, exit code and the stderr line of
    one audit (CPU: user and system, which a busy machine does not inflate as it
    does the wall clock)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-m", "govstats", "audit", "--text", str(path)]
    cmd += ["--format", "json", "--lang", "en"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    first = err.strip().splitlines()[0] if err.strip() else ""
    first = first.replace(f"govstats: {path}: '{path}' ", "")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), first


def build_case(index: int, path: Path) -> None:
    """Write case ``index`` to ``path`` (in a process of its own: the peak memory
    of a child counts its parent's at the fork, so the parent stays small)."""
    path.write_bytes(text_cases()[index][1]())


def main_texts() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (name, _, suffix) in enumerate(text_cases()):
            path = Path(tmp) / f"report-{index}{suffix}"
            subprocess.run(
                [sys.executable, __file__, "--build", str(index), str(path)],
                check=True,
            )
            wall, cpu, rss, code, err = audit_run(path)
            rows.append((name + suffix, path.stat().st_size, wall, cpu, rss, code, err))
            path.unlink()
    head = (
        f"{'report':<34} {'file':>9} {'exit':>4} {'wall s':>7} {'CPU s':>6} "
        f"{'peak MB':>8}  stderr"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for name, size, wall, cpu, rss, code, err in rows:
        bound = 1.0 + TEXT_BOUND_SECONDS_PER_MB * size / 1e6
        within = wall <= bound and rss < BOUND_MB and code in (0, 1, 2)
        ok = ok and within
        print(
            f"{name:<34} {size / 1e6:>7.2f}MB {code:>4} {wall:>7.2f} {cpu:>6.2f} "
            f"{rss:>8.0f}  {err[:70] or '-'}{'' if within else '  OVER'}"
        )
    print(
        f"\nbound: 1 s + {TEXT_BOUND_SECONDS_PER_MB:.0f} s per MB, {BOUND_MB} MB, "
        f"exit 0-2: {'ok' if ok else 'OVER'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build"]:
        sys.exit(build_case(int(sys.argv[2]), Path(sys.argv[3])))
    if sys.argv[1:] == ["--texts"]:
        sys.exit(main_texts())
    sys.exit(max(main(), main_texts()))
