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
