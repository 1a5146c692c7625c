"""Shared fixtures: workbooks built in code, golden-file comparison."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the golden files from the current output (review the diff!).",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with ``tests/golden/<name>`` byte for byte (or rewrite it)."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}: run pytest --update-golden"
        assert actual == path.read_text(encoding="utf-8")

    return check


def consistent_values() -> dict[str, int | Decimal]:
    """Figures for one unit that satisfy every rule of gk2008."""
    v: dict[str, int | Decimal] = {
        "zd.policy": 5,
        "zd.plan": 2,
        "zd.org": 1,
        "zd.notice": 10,
        "zd.personnel": 4,
        "zd.interaction": 7,
        "zd.news": 30,
        "zd.portal_visits": Decimal("12.5"),
        "zd.gazette_issues": 0,
        "xw.city_office": 0,
        "xw.city_office_heads": 0,
        "xw.own": 2,
        "sq.ch.in_person": 3,
        "sq.ch.fax": 0,
        "sq.ch.online": 8,
        "sq.ch.letter": 1,
        "sq.out.already_public": 2,
        "sq.out.granted": 5,
        "sq.out.partial": 1,
        "sq.out.other": 3,
        "sq.deny.state_secret": 0,
        "sq.deny.trade_secret": 0,
        "sq.deny.privacy": 1,
        "sq.deny.other_law": 0,
        "sq.deny.not_gov_info": 0,
        "sf.fees": Decimal("0"),
        "fy.reconsideration": 1,
        "fy.litigation": 1,
        "fy.litigation_upheld": 1,
        "fy.complaints": 0,
    }
    v["zd.total"] = sum(
        v[k]
        for k in (
            "zd.policy",
            "zd.plan",
            "zd.org",
            "zd.notice",
            "zd.personnel",
            "zd.interaction",
            "zd.news",
        )
    )
    v["sq.received"] = 12
    v["sq.out.denied"] = 1
    v["sq.answered"] = 12
    return v


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """Build a gk2008 workbook from the template, with values and edits.

    ``make_workbook(name, values=..., edit=fn)``: ``values`` by code replace the
    consistent defaults; ``edit(wb)`` may change the openpyxl workbook further.
    """
    from govstats.core.output import write_workbook
    from govstats.formats import load_format
    from govstats.publish.template_xlsx import build_template

    fmt = load_format("gk2008")

    def make(
        name: str = "unit.xlsx",
        values: dict[str, Any] | None = None,
        edit: Callable[[Any], None] | None = None,
        year: int = 2017,
        unit_code: str = "U01",
        unit_name: str = "测试局",
    ) -> Path:
        wb = build_template(
            fmt,
            year,
            unit_code,
            unit_name,
            values={**consistent_values(), **(values or {})},
        )
        if edit is not None:
            edit(wb)
        path = tmp_path / name
        write_workbook(wb, path)
        return path

    return make


def set_value(wb: Any, code: str, value: Any) -> str:
    """Set the value cell of ``code`` (found by code, as a clerk's edit would be)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_col=2, max_col=2):
            cell = row[0]
            if cell.value == code:
                target = ws.cell(cell.row, 4)
                target.value = value
                return f"{ws.title}!{target.coordinate}"
    raise KeyError(code)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


# Compiled years, shared by the tests that only read outputs (compiling is slow).


@pytest.fixture(scope="session")
def compiled_2017(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """outputs/2017 of the shipped demo inputs (gk2008), compiled once."""
    import shutil

    from govstats.actions import compile_year

    root = tmp_path_factory.mktemp("seed")
    shutil.copytree(ROOT / "inputs" / "2017", root / "inputs" / "2017")
    result = compile_year(2017, root / "inputs", root / "outputs")
    assert result.compiled and not result.partial
    assert result.report.stats["warnings"] == 0
    return root / "outputs" / "2017"


@pytest.fixture(scope="session")
def compiled_2025(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """outputs/2025 of three synthetic gk2021 units (tests/gk2021_data.py)."""
    from govstats.actions import compile_year
    from tests.test_compile_gk2021 import write_year

    root = tmp_path_factory.mktemp("gk2021")
    write_year(root, 2025)
    result = compile_year(2025, root / "inputs", root / "outputs")
    assert result.compiled and not result.partial
    return root / "outputs" / "2025"
