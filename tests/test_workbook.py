"""Locating figures: the shortcuts taken for speed (issue 5) answer as the long way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govstats.formats import Format, list_formats, load_format
from govstats.publish.template_xlsx import build_template
from govstats.read import workbook
from govstats.read.excel import RawSheet, RawWorkbook, read_workbook
from govstats.read.workbook import normalize


def _template(folder: Path, fmt: Format, year: int) -> Path:
    """The template of a unit, every figure 1."""
    path = folder / f"{fmt.id}.xlsx"
    values = dict.fromkeys(fmt.indicators, 1)
    build_template(fmt, year, "U01", "测试局", values).save(path)
    return path


# Cells as calamine and openpyxl give them, and text that normalizes to a label
# without being it (spaces, full-width letters).
CELLS = st.one_of(
    st.sampled_from(["代码", " 代 码", "代码\u3000", "ｔｒｕｅ", "1", "１", "", "nan"]),
    st.text(max_size=4),
    st.floats(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@given(
    st.lists(CELLS, max_size=6),
    st.sampled_from(["代码", "1", "True", "nan", "", "2017-01-01"]),
)
def test_a_row_holds_a_label_when_a_cell_normalizes_to_it(line, text):
    skips = workbook._ASCII_TEXT_TYPES if not text.isascii() else frozenset()
    expected = any(normalize(v) == text for v in line)
    assert workbook._holds(line, text, skips) == expected


@pytest.mark.parametrize("format_id", list_formats())
def test_cells_found_once_per_header_layout_are_those_of_each_row(format_id, tmp_path):
    # The cells of a row code are worked out once per layout of header and
    # format (issue 5): a workbook read again gives the same, and what is kept
    # is what each row would find.
    fmt = load_format(format_id)
    raw = read_workbook(_template(tmp_path, fmt, fmt.first_year))
    workbook._PLANS.pop(fmt, None)
    first = workbook.load_unit_from_raw(raw, fmt)
    again = workbook.load_unit_from_raw(raw, fmt)
    assert first.cells == again.cells and first.problems == again.problems
    assert len(first.cells) == len(fmt.indicators)
    plan = workbook._plan(fmt)
    for (table_id, values), targets in plan.targets.items():
        table = next(t for t in fmt.tables if t.id == table_id)
        header = workbook._Header(
            row=1, code_col=1, values=dict(values), remark_col=None
        )
        for code, cells in targets.items():
            assert list(cells) == workbook._row_targets(code, header, table, fmt)


def test_a_header_with_a_numeric_code_label_is_found_in_a_number_cell():
    # Cells of numbers are not normalized to look for a label in Chinese; a label
    # made of digits is still found in one.
    fmt = load_format("gk2008")
    fmt = replace(fmt, columns={**fmt.columns, "code": "1"})
    table = fmt.tables[0]
    ind = table.indicators[0]
    grid = [["名称", 1.0, "本年"], [ind.label, ind.code, 3.0]]
    sheets = {table.sheet: RawSheet(name=table.sheet, index=0, visible=True, grid=grid)}
    unit = workbook.load_unit_from_raw(RawWorkbook(Path("x.xlsx"), sheets), fmt)
    assert unit.cells[ind.code].value == 3


def test_a_missing_matrix_row_is_one_problem_and_a_missing_column_one_a_cell(
    tmp_path,
):
    # Every figure present is checked at once (issue 5); what is missing is still
    # said as before: a whole matrix row once, a cell of a row once per cell.
    fmt = load_format("gk2021")
    raw = read_workbook(_template(tmp_path, fmt, 2025))
    table = fmt.tables[1]
    grid = raw.sheets[table.sheet].grid
    grid[:] = [line for line in grid if "new" not in line]
    header = next(line for line in grid if "natural" in line)
    header[header.index("natural")] = ""
    unit = workbook.load_unit_from_raw(raw, fmt)
    missing = [
        (p.indicator, p.sheet) for p in unit.problems if p.code == "code-missing"
    ]
    rows = [r.code for r in table.blocks[0].rows if r.code != "new"]
    cells = [table.cells[(r, "natural")].code for r in rows]
    assert missing == [("new", table.sheet)] + [(c, table.sheet) for c in cells]
    assert len(unit.cells) == len(fmt.indicators) - 7 - len(cells)


# Issue 16, point 5: figures outside the cells the format reads


def test_inserted_row_with_a_figure_is_warned(make_workbook):
    from govstats.actions import validate_workbooks

    T3 = "表3 依申请公开情况"

    def edit(wb):
        ws = wb[T3]
        ws.insert_rows(9)
        ws.cell(9, 1, "电子邮件申请")
        ws.cell(9, 4, 3)

    report = validate_workbooks([make_workbook(edit=edit)], year=2017).report
    assert report.valid
    assert report.flatten(["code", "severity", "sheet", "cell", "found"]) == [
        ["value-unread", "warning", T3, "D9", "3"]
    ]
    assert report.problems[0].message() == (
        f"{T3}!D9中的“3”不在格式读取的单元格内（如自行插入的行或列），未计入任何指标。"
        "请把数字并入格式中对应的行，删除自行插入的行或列（需要说明的写在“说明”列）。"
    )


def test_inserted_column_and_figure_text_are_warned(make_workbook):
    from govstats.actions import validate_workbooks

    T1 = "表1 主动公开政府信息情况"

    def edit(wb):
        ws = wb[T1]
        ws.insert_cols(5)  # between 本年 and 说明
        ws.cell(3, 5, "上年")
        ws.cell(4, 5, 20000)
        ws.cell(5, 5, "12件")
        ws.cell(20, 2, "合计 5")  # text that is no figure: left alone

    report = validate_workbooks([make_workbook(edit=edit)], year=2017).report
    assert report.flatten(["code", "cell", "found"]) == [
        ["value-unread", "E4", "20000"],
        ["value-unread", "E5", "12件"],
    ]


def test_template_and_its_sums_have_no_stray_value(tmp_path):
    from govstats.actions import make_template, validate_workbooks

    for year in (2017, 2020, 2025):
        path = make_template(year, tmp_path / f"{year}.xlsx", "U01", "测试局")
        codes = [p.code for p in validate_workbooks([path], year=year).report.problems]
        assert "value-unread" not in codes
