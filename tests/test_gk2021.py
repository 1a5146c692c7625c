"""gk2021 (the national format): template, validation of the table rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from govstats.actions import make_template, validate_workbooks
from govstats.cli import app
from govstats.core.output import write_workbook
from govstats.formats import format_for_year, load_format
from govstats.publish.template_xlsx import build_template
from tests.gk2021_data import consistent_2021

runner = CliRunner()
FMT = load_format("gk2021")
T2 = "二、主动公开政府信息情况"
T3 = "三、收到和处理政府信息公开申请情况"
T4 = "四、政府信息公开行政复议、行政诉讼情况"


def cell_of(path: Path, code: str) -> str:
    """Where the template put the value of ``code`` (found by row and column code)."""
    ind = FMT.indicators[code]
    wb = openpyxl.load_workbook(path)
    ws = wb[FMT.table_of(code).sheet]
    header_row = next(
        r for r in range(1, ws.max_row + 1)
        for c in range(1, ws.max_column + 1)
        if ws.cell(r, c).value == "代码"
        and any(ws.cell(r, k).value == ind.column for k in range(c, ws.max_column + 1))
    )  # fmt: skip
    code_col = next(
        c for c in range(1, ws.max_column + 1) if ws.cell(header_row, c).value == "代码"
    )
    col = next(
        c
        for c in range(1, ws.max_column + 1)
        if ws.cell(header_row, c).value == ind.column
    )
    row = next(
        r
        for r in range(header_row, ws.max_row + 1)
        if ws.cell(r, code_col).value == ind.row
    )
    return ws.cell(row, col).coordinate


def make(tmp_path: Path, name: str = "u.xlsx", **changes: int) -> Path:
    values = consistent_2021()
    values.update({k.replace("__", "."): v for k, v in changes.items()})
    wb = build_template(FMT, 2025, "D01", "县财政局", values=values)
    path = tmp_path / name
    write_workbook(wb, path)
    return path


def test_years_pick_the_format():
    assert format_for_year(2017).id == "gk2008"
    assert format_for_year(2021).id == "gk2021"
    assert format_for_year(2025).id == "gk2021"


def test_template_lays_out_the_national_tables(tmp_path):
    path = make_template(2025, tmp_path / "t.xlsx", "D01", "县财政局")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["基本信息", T2, T3, T4, "校验", "填表说明"]
    ws = wb[T3]
    assert ws["A4"].value.startswith("（本列数据的勾稽关系为：第一项加第二项之和")
    assert [ws.cell(5, c).value for c in range(5, 12)] == [
        "自然人", "法人或其他组织", None, None, None, None, "总计",
    ]  # fmt: skip
    assert [ws.cell(6, c).value for c in range(6, 11)] == [
        "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他",
    ]  # fmt: skip
    assert "F5:J5" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A10"].value == "三、本年度办理结果"
    assert ws["B12"].value == "（三）不予公开" and ws["C12"].value == "1.属于国家秘密"
    assert cell_of(path, "t3.r.total.total") == "K31"
    assert not ws["K31"].protection.locked and ws["A31"].protection.locked
    t4 = wb[T4]
    assert t4["C4"].value == "行政复议" and t4["H4"].value == "行政诉讼"
    assert t4["H5"].value == "未经复议直接起诉" and t4["M5"].value == "复议后起诉"


def test_blank_and_consistent_workbooks_validate(tmp_path):
    blank = make_template(2025, tmp_path / "blank.xlsx", "D02", "县教育局")
    filled = make(tmp_path)
    result = validate_workbooks([blank, filled], year=2025)
    assert result.report.problems == []
    assert result.unit_values(1)["t3.new.total"] == 16
    assert str(result.unit_values(1)["zd.fees_10k_yuan"]) == "12.3456"


def problems(path: Path):
    return validate_workbooks([path], year=2025).report.flatten(
        ["code", "rule", "sheet", "cell", "indicator"]
    )


def test_row_total_not_sum_of_columns(tmp_path):
    path = make(tmp_path, t3__r__public__total=8)  # columns add up to 7
    cell = cell_of(path, "t3.r.public.total")
    assert ["total-mismatch", "T3-ROW", T3, cell, "t3.r.public.total"] in problems(path)


def test_results_do_not_add_up_to_total(tmp_path):
    # 自然人 (七)总计 says 14 and 结转 1 (so T3-ID and the row totals hold), but its
    # results add up to 13: only T3-RES breaks, in that column and in 总计.
    path = make(tmp_path, t3__r__total__natural=14, t3__r__total__total=17,
                t3__carried_out__natural=1, t3__carried_out__total=2)  # fmt: skip
    found = problems(path)
    assert found == [
        ["total-mismatch", "T3-RES", T3, cell_of(path, "t3.r.total.natural"), "t3.r.total.natural"],
        ["total-mismatch", "T3-RES", T3, cell_of(path, "t3.r.total.total"), "t3.r.total.total"],
    ]  # fmt: skip


def test_column_breaking_t3_id_spells_the_rule(tmp_path):
    path = make(tmp_path, t3__carried_out__natural=4, t3__carried_out__total=5)
    # 自然人: 12 + 3 = 15 in, 13 + 4 = 17 out; the 总计 column breaks the same way.
    result = validate_workbooks([path], year=2025)
    p = next(
        p for p in result.report.problems if p.indicator == "t3.carried_out.natural"
    )
    assert (p.code, p.rule, p.cell) == (
        "balance-mismatch",
        "T3-ID",
        cell_of(path, p.indicator),
    )
    assert p.message() == (
        "勾稽关系不成立：一、本年新收政府信息公开申请数量（自然人） 12 + "
        "二、上年结转政府信息公开申请数量（自然人） 3 = 15，但 （七）总计（自然人） 13 + "
        "四、结转下年度继续办理（自然人） 4 = 17。"
    )


def test_t4_block_total_not_its_parts(tmp_path):
    path = make(tmp_path, t4__suit_direct__total=3)
    assert problems(path) == [
        [
            "total-mismatch",
            "T4",
            T4,
            cell_of(path, "t4.suit_direct.total"),
            "t4.suit_direct.total",
        ]
    ]


def test_cli_exit_codes(tmp_path):
    good, bad = (
        make(tmp_path, "good.xlsx"),
        make(tmp_path, "bad.xlsx", t4__review__total=0),
    )
    assert runner.invoke(app, ["validate", str(good), "--year", "2025"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(bad), "--year", "2025"])
    assert result.exit_code == 1
    assert f"{T4}!G8  total-mismatch [T4] t4.review.total" in result.stdout


def test_cells_are_found_by_code_when_rows_and_columns_move(tmp_path):
    path = make(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb[T3]
    ws.protection.sheet = False
    ws.unmerge_cells("A10:A31")
    ws.move_range("A9:L9", rows=30)  # 上年结转 moved below the table
    ws.insert_cols(5)  # a blank column before 自然人
    wb.save(path)
    result = validate_workbooks([path], year=2025)
    assert result.report.problems == []
    assert result.unit_values(0)["t3.carried_in.natural"] == 3


@pytest.mark.parametrize("year", [2021, 2025])
def test_cli_template_for_new_years(tmp_path, year):
    out = tmp_path / f"{year}.xlsx"
    args = [
        "template",
        "--year",
        str(year),
        "--unit-code",
        "D1",
        "--unit-name",
        "县财政局",
    ]
    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0
    assert validate_workbooks([out]).report.valid


# gk2019: the trial format of report years 2019 and 2020.


def test_gk2019_for_2019_and_2020(tmp_path):
    fmt = format_for_year(2020)
    assert fmt.id == "gk2019" and format_for_year(2019).id == "gk2019"
    assert "t3.r.other.natural" in fmt.codes  # （六）其他处理 is one row
    assert "t3.r.other.other.natural" not in fmt.codes
    values = {
        k: v for k, v in consistent_2021().items() if not k.startswith("t3.r.other.")
    }
    for col in (
        "natural",
        "business",
        "research",
        "nonprofit",
        "legal",
        "other",
        "total",
    ):
        values[f"t3.r.other.{col}"] = consistent_2021()[f"t3.r.other.other.{col}"]
    values["zd.license.change"] = -3  # a change may be negative
    values["zd.procurement.amount_10k_yuan"] = Decimal("1520.75")
    path = tmp_path / "u2019.xlsx"
    write_workbook(build_template(fmt, 2020, "D01", "县财政局", values=values), path)
    result = validate_workbooks([path], year=2020)
    assert result.report.problems == []
    assert result.unit_values(0)["zd.license.change"] == -3
    assert str(result.unit_values(0)["zd.procurement.amount_10k_yuan"]) == "1520.75"

    values["zd.license.decisions"] = -1  # a count may not
    write_workbook(build_template(fmt, 2020, "D01", "县财政局", values=values), path)
    found = validate_workbooks([path], year=2020).report.flatten(["code", "indicator"])
    assert found == [["negative-value", "zd.license.decisions"]]
