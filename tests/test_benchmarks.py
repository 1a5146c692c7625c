"""The benchmark code (benchmarks/) keeps working: its synthetic units are valid.

Numbers are never asserted here; ``make bench`` measures them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from govstats.actions import compile_year, validate_workbooks
from govstats.formats import load_format
from tests.libreoffice import soffice

BENCH = Path(__file__).parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    """A module of benchmarks/ imported from its path (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    return load("generate")


def test_generated_units_are_valid_and_compile(generate, tmp_path):
    inputs = generate.dataset(3, jobs=1, root=tmp_path, log=False)
    folder = inputs / "2017"
    result = validate_workbooks([folder], year=2017, roster=folder / "units.csv")
    assert result.report.problems == []
    assert [u.unit_code for u in result.units] == ["S000000", "S000001", "S000002"]
    compiled = compile_year(2017, inputs, tmp_path / "outputs")
    assert compiled.compiled and compiled.report.problems == []


def test_generated_sets_are_cached_and_share_workbooks(generate, tmp_path):
    small = generate.dataset(2, jobs=1, root=tmp_path, log=False) / "2017"
    larger = generate.dataset(3, jobs=1, root=tmp_path, log=False) / "2017"
    # A unit's workbook depends on its index only: sets link one pool of files.
    name = "S000001.xlsx"
    assert (small / name).stat().st_ino == (larger / name).stat().st_ino
    assert (
        (larger / "units.csv")
        .read_text(encoding="utf-8")
        .startswith((small / "units.csv").read_text(encoding="utf-8"))
    )
    again = generate.dataset(2, jobs=1, root=tmp_path, log=False)
    assert again / "2017" == small


def test_figures_pass_every_rule_for_many_units(generate):
    # Cheaper than workbooks: the figures alone, checked against each rule kind.
    fmt = load_format("gk2008")
    for index in range(300):
        v = generate.unit_figures(index, fmt)
        assert set(v) == set(fmt.codes)
        for rule in fmt.rules:
            p = rule.params
            if rule.kind == "sum":
                assert v[p["total"]] == sum(v[c] for c in p["parts"]), rule.id
            elif rule.kind == "le":  # part and whole are lists of codes
                part = sum(v[c] for c in p["part"])
                assert part <= sum(v[c] for c in p["whole"]), rule.id
            elif rule.kind == "ge":
                assert v[p["a"]] >= v[p["b"]], rule.id
            elif rule.kind == "change" and v[p["base"]]:
                assert abs(v[p["value"]] - v[p["base"]]) <= p["limit"] * v[p["base"]]
            elif rule.kind == "single_part" and v[p["total"]] > p["min"]:
                assert sum(1 for c in p["parts"] if v[c]) > 1, (index, rule.id)


def measure(code: str, *options: str) -> dict[str, Any]:
    """What benchmarks/measure.py reports of ``python -c code``."""
    out = subprocess.run(
        [sys.executable, str(BENCH / "measure.py"), *options, "--"]
        + [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_measure_reports_time_memory_and_exit_code():
    # A parent that waits while its child holds 60 MB: the largest process is
    # the child; all processes together hold the parent too.
    child = "x = bytearray(60_000_000); import time; time.sleep(0.3)"
    parent = (
        f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    )
    run = measure(parent)
    assert "tree_pss_bytes" not in run  # only with --pss: reading it takes time
    assert run["returncode"] == 0
    assert 0.3 < run["seconds"] < 60
    assert run["peak_bytes"] > 60_000_000
    assert run["tree_peak_bytes"] > run["peak_bytes"]


def test_measure_counts_pages_a_forked_child_shares_once():
    # A parent holding 80 MB forks a child that only waits: added up, the resident
    # sizes count the 80 MB twice; the proportional set sizes count them once.
    code = (
        "import os, time; x = bytearray(80_000_000); x[::4096] = b'1' * len(x[::4096]);"
        " pid = os.fork(); time.sleep(0.4);"
        " os._exit(0) if pid == 0 else os.waitpid(pid, 0)"
    )
    run = measure(code, "--pss")
    assert run["tree_peak_bytes"] > 160_000_000
    assert run["peak_bytes"] <= run["tree_pss_bytes"] < 120_000_000


def test_report_states_verdicts_and_slope():
    run = load("run")
    case = run.Case  # a report from made-up runs: the arithmetic, not the numbers
    results = [
        run.Result(case("help", "help", [], 1), [0.1], [10**7]),
        run.Result(case("pandera", "pandera", [], 1), [0.5], [10**8]),
        run.Result(case("validate", "validate", [], 1), [0.55], [10**8]),
        run.Result(case("frictionless", "frictionless", [], 1), [0.7], [10**8]),
        run.Result(case("compile-1000", "c1000", [], 1), [1.5], [2 * 10**8]),
        run.Result(case("compile-10000", "c10000", [], 1), [10.5], [3 * 10**8]),
        run.Result(case("naive", "naive", ["--limit", "1000"], 1), [15.0], [10**8]),
    ]
    verdicts = {check: met for check, _v, _t, met in run.verdicts(run.by_key(results))}
    assert all(verdicts.values()) and len(verdicts) == 7
    [slope] = run.slopes(run.by_key(results))
    assert "**1.00 ms**" in slope and "**11.1 kB**" in slope
    assert "under 5 kB a unit, is **not met**" in slope


def test_varied_units_share_no_part_yet_compile_to_the_same_figures(generate, tmp_path):
    """The varied set: every XML part of every workbook its own, the figures the
    plain set's (compiled, the figures are equal)."""
    import zipfile

    plain = generate.dataset(3, jobs=1, root=tmp_path, log=False)
    varied = generate.varied(3, root=tmp_path)
    parts = []
    for name in ("S000001.xlsx", "S000002.xlsx"):
        with zipfile.ZipFile(varied / "2017" / name) as zf:
            parts.append({n: zf.read(n) for n in zf.namelist() if n.endswith(".xml")})
    assert parts[0].keys() == parts[1].keys()
    assert all(parts[0][n] != parts[1][n] for n in parts[0])
    a = compile_year(2017, plain, tmp_path / "a")
    b = compile_year(2017, varied, tmp_path / "b")
    assert a.compiled and b.compiled
    assert a.figures is not None and b.figures is not None
    assert a.figures.city == b.figures.city
    assert a.figures.units == b.figures.units


def test_units_filled_in_by_substitution_are_the_generated_units(generate, tmp_path):
    """The filled set (the template made once, each unit's figures put into its
    XML): other bytes, the same units and figures as the plain set's."""
    plain = generate.dataset(12, jobs=1, root=tmp_path, log=False)
    filled = generate.filled(12, tmp_path / "filled")
    for name in ["units.csv", *(f"S{i:06d}.xlsx" for i in range(12))]:
        assert (filled / "2017" / name).is_file()
    roster = (plain / "2017" / "units.csv").read_bytes()
    assert (filled / "2017" / "units.csv").read_bytes() == roster
    one = "S000011.xlsx"
    assert (plain / "2017" / one).read_bytes() != (filled / "2017" / one).read_bytes()
    a = compile_year(2017, plain, tmp_path / "a")
    b = compile_year(2017, filled, tmp_path / "b")
    assert a.compiled and b.compiled and b.report.problems == []
    assert a.figures is not None and b.figures is not None
    assert a.figures.sums == b.figures.sums
    assert a.figures.units == b.figures.units
    for name in ("report.md", "tables.xlsx", "summary.xlsx"):
        assert (a.outputs / name).read_bytes() == (b.outputs / name).read_bytes()


def test_serve_latency_section_says_whether_the_targets_are_met():
    # issue 15: results.md's row for govstats serve (numbers made up here)
    serve = load("serve_latency")
    fast = serve.lines(
        {"runs": 200, "median": 0.05, "p95": 0.07, "max": 0.09,
         "hostile_files": 52, "hostile_max": 0.4, "hostile_slowest": "zip-bomb"}
    )  # fmt: skip
    assert (
        "| `POST /api/validate`, one.xlsx | 200 | 50 ms | 70 ms | 90 ms"
        in "\n".join(fast)
    )
    assert [line.endswith("| yes |") for line in fast if "POST" in line] == [True] * 2
    slow = serve.lines(
        {"runs": 200, "median": 0.2, "p95": 0.35, "max": 0.5,
         "hostile_files": 52, "hostile_max": 2.5, "hostile_slowest": "zip-bomb"}
    )  # fmt: skip
    assert [line.endswith("| **no** |") for line in slow if "POST" in line] == [
        True
    ] * 2


def test_the_intake_sites_section_is_put_into_results_md_once():
    run = load("run")
    text = "# Benchmarks\n\n## Cost per extra unit\n\nx\n\n## How\n\n- y\n"
    site = ("## Intake site (issue 15)", "", "| row |", "")
    once = run.with_site(text, site)
    assert once == (
        "# Benchmarks\n\n## Cost per extra unit\n\nx\n\n"
        "## Intake site (issue 15)\n\n| row |\n\n## How\n\n- y\n"
    )
    assert run.with_site(once, site) == once
    assert "| new |" in run.with_site(once, ("## Intake site", "", "| new |", ""))


@soffice
def test_units_saved_again_by_libreoffice_compile_to_the_same_figures(
    generate, tmp_path
):
    """The LibreOffice set: each workbook written by LibreOffice Calc, not by
    openpyxl, yet the figures the plain set's."""
    import zipfile

    plain = generate.dataset(2, jobs=1, root=tmp_path, log=False)
    resaved = generate.resaved(2, root=tmp_path)
    assert sorted(p.name for p in (resaved / "2017").iterdir()) == [
        ".complete",
        "S000000.xlsx",
        "S000001.xlsx",
        "units.csv",
    ]
    with zipfile.ZipFile(resaved / "2017" / "S000001.xlsx") as zf:
        assert b"LibreOffice" in zf.read("docProps/app.xml")
    a = compile_year(2017, plain, tmp_path / "a")
    b = compile_year(2017, resaved, tmp_path / "b")
    assert a.compiled and b.compiled
    assert a.figures is not None and b.figures is not None
    assert a.figures.city == b.figures.city
    assert a.figures.units == b.figures.units


def made_up(run: ModuleType, key: str, seconds: float, pss: int = 10**8) -> Any:
    """A Result of one run of ``seconds``, for the report's arithmetic."""
    return run.Result(
        run.Case(key, key, ["--limit", "1000"] if key == "naive" else [], 1),
        [seconds],
        [pss],
        tree_psses=[pss],
    )


def test_issue_18s_targets_each_get_a_row_and_a_verdict():
    run = load("run")
    results = [
        made_up(run, "pandera", 0.5),
        made_up(run, "help", 0.09),  # over 80 ms
        made_up(run, "validate", 0.45),
        made_up(run, "compile-1", 0.7),  # 1.4× pandera: over 1.3×
        made_up(run, "compile-1000", 1.1, 2 * 10**8),  # 2.2×, 20× faster than naive
        made_up(run, "compile-10000", 5.0, 2.3 * 10**8),
        made_up(run, "compile-100000", 130.0, 6 * 10**8),  # over 2 min; 4.1 kB a unit
        made_up(run, "libreoffice", 1.25),  # 2.5×, 17.6×
        made_up(run, "varied", 1.5),
        made_up(run, "naive", 22.0),
        made_up(run, "audit-pdf", 1.2),
    ]
    checks = run.verdicts_18(run.by_key(results), {"p95": 0.35})
    got = {c.check: (c.measured, c.met, c.profile) for c in checks}
    assert len(checks) == 14 and len(got) == 14
    assert got["compile 100,000 units"] == ("130.00 s", False, "compile-100000")
    assert got["compile 100,000 units, peak memory (all processes, PSS)"] == (
        "600 MB", True, "",
    )  # fmt: skip
    assert got["peak memory of one unit more (between 10,000 and 100,000 units)"][
        :2
    ] == ("4.1 kB", True)
    assert got["compile 1,000 / `import pandera.pandas`"] == (
        "2.20×", True, "compile-1000",
    )  # fmt: skip
    assert got["naive read of 1,000 / compile 1,000"][:2] == ("20.0×", True)
    assert got["compile 1 / `import pandera.pandas`"][:2] == ("1.40×", False)
    assert got["validate one / `import pandera.pandas`"][:2] == ("0.90×", True)
    assert got["`govstats --help`"] == ("90 ms", False, "help")
    lo = "saved by LibreOffice: "
    assert got[lo + "compile 1,000 / `import pandera.pandas`"][:2] == ("2.50×", False)
    assert got[lo + "naive read of 1,000 / compile 1,000"][:2] == ("17.6×", False)
    # informational: no verdict's profile, the target said to be none
    varied = [c for c in checks if c.check.startswith("no two parts alike")]
    assert [(c.measured, c.profile) for c in varied] == [("3.00×", ""), ("14.7×", "")]
    assert all(c.target.startswith("none (") for c in varied)
    assert got["`POST /api/validate`, p95 (issue 15)"] == ("350 ms", False, "")
    audit = "`audit --text` of the PDF report (issue 14: one of 10 pages)"
    assert got[audit] == ("1.20 s", True, "audit-pdf")
    # Nothing measured: every row says how to measure it, and no verdict.
    none = run.verdicts_18({}, None)
    assert len(none) == 14 and all(c.met is None for c in none)
    assert all("not measured (`--only " in c.measured for c in none)
    text = run.acceptance_18(checks)
    assert text[0] == "## Acceptance (issue 18)"
    assert "| `govstats --help` | 90 ms | < 80 ms | **no** |" in text
    assert "| validate one / `import pandera.pandas` | 0.90× | ≤ 1.0× | yes |" in text
    # results.md: issue 5's section kept, issue 18's after it, the profiles last
    md = run.report(results, False, (), {"p95": 0.35}, ["## What the time goes to"])
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Machine",
        "## Results",
        "## Acceptance (issue 5)",
        "## Acceptance (issue 18)",
        "## Cost per extra unit",
        "## What the time goes to",
        "## How",
    ]
    assert "| compile 1 / `import pandera.pandas` | 1.40× | ≤ 1.3× | **no** |" in md


# Raw py-spy lines (``--format raw --subprocesses``), shortened.
MAIN = 'process 10:"python govstats compile";<module> (govstats:6);main (govstats/cli/commands.py:675)'
WORKER = 'process 10:"python govstats compile";process 11:"python govstats compile";<module> (govstats:6)'
SPY = [
    MAIN + ";_find_and_load (<frozen importlib._bootstrap>:1176);<module> (pandas/__init__.py:3) 7",
    MAIN + ";compile_year (govstats/actions.py:149);load_units (govstats/check/validate.py:161);_find_and_load (<frozen importlib._bootstrap>:1176) 2",
    MAIN + ";load_units (govstats/check/validate.py:161);check (pandera/api/base.py:90) 3",
    MAIN + ";render_outputs (govstats/pipeline.py:365);Condition.wait (threading.py:327) 1",
    WORKER + ";load_units (govstats/check/validate.py:161);run_isolated (govstats/core/isolated.py:71);_process_worker (concurrent/futures/process.py:261);read_workbook (govstats/read/excel.py:316) 5",
    WORKER + ";render_outputs (govstats/pipeline.py:365);Background.start (govstats/publish/background.py:141);tables_workbook (govstats/publish/tables_xlsx.py:103);workbook_bytes (govstats/core/output.py:118) 2",
    "not a sample",
]  # fmt: skip


def test_profile_samples_are_put_in_a_stage_and_a_process_role():
    run = load("run")
    got = [run.classify(line) for line in SPY]
    assert [(s.role, s.stage, s.samples) for s in got[:6]] == [
        ("main", "imports", 7),
        ("main", "imports", 2),  # an import inside validation is an import
        ("main", "validation", 3),
        ("main", "waiting (a lock, a pipe), sampled all the same", 1),
        ("workers", "reading workbooks", 5),
        ("output processes", "writing (workbook bytes, zip, files)", 2),
    ]
    assert got[0].leaf == "<module> (pandas/__init__.py)"
    assert got[4].leaf == "read_workbook (govstats/read/excel.py)"
    assert got[6] is None
    assert [s.process for s in got[:6]] == ["10"] * 4 + ["11"] * 2
    # The script's own frame is no import: a sample there is "other".
    assert run.classify(MAIN.rpartition(";")[0] + " 4").stage == run.OTHER_STAGE


def test_profile_summary_gives_shares_by_stage_role_and_function():
    run = load("run")
    assert run.profile_table(SPY) == [
        "| stage | main | output processes | workers | all |",
        "|---|---|---|---|---|",
        "| imports | 45% | – | – | 45% |",
        "| waiting (a lock, a pipe), sampled all the same | 5% | – | – | 5% |",
        "| writing (workbook bytes, zip, files) | – | 10% | – | 10% |",
        "| reading workbooks | – | – | 25% | 25% |",
        "| validation | 15% | – | – | 15% |",
        "| **all** | 65% | 10% | 25% | 100% |",
        "",
        "Processes sampled: main 1, output processes 1, workers 1.",
        "",
        "| function (self time) | share |",
        "|---|---|",
        "| `<module> (pandas/__init__.py)` | 35% |",
        "| `read_workbook (govstats/read/excel.py)` | 25% |",
        "| `check (pandera/api/base.py)` | 15% |",
        "| `_find_and_load (<frozen importlib._bootstrap>)` | 10% |",
        "| `workbook_bytes (govstats/core/output.py)` | 10% |",
        "| `Condition.wait (threading.py)` | 5% |",
    ]
    assert run.profile_table(["garbage"]) == ["py-spy recorded no sample."]
    assert run.profile_runs(0.08) == 10 and run.profile_runs(30.0) == 1


def test_cases_asked_for_are_the_only_ones_made():
    run = load("run")
    keys = [c.key for c in run.cases((1, 1000), True, (100_000,), ["help", "pandera"])]
    assert keys == ["help", "pandera"]  # no set generated for the others
