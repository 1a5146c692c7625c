"""Locating figures: the shortcuts taken for speed (issue 5) answer as the long way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govstats import workbook
from govstats.formats import list_formats, load_format
from govstats.io.excel import RawSheet, RawWorkbook
from govstats.workbook import normalize

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
def test_the_targets_of_a_header_are_those_of_each_row(format_id):
    # Worked out once per header layout: every code gets the cells it got row by row.
    fmt = load_format(format_id)
    plan = workbook._plan(fmt)
    codes = {row for t in fmt.tables for row, _ in t.cells} | set(fmt.indicators)
    codes |= {"", "zz.unknown", "total", "代码"}
    for table in fmt.tables:
        layouts = [{4: ""}, {4: "", 5: ""}]
        layouts += [
            {5 + i: c.code for i, c in enumerate(b.columns)} for b in table.blocks
        ]
        for values in layouts:
            header = workbook._Header(row=3, code_col=2, values=values, remark_col=None)
            targets = workbook._header_targets(plan, table, header, fmt)
            for code in codes:
                expected = workbook._row_targets(code, header, table, fmt)
                assert list(targets.get(code, ())) == expected


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
    from govstats.io.excel import read_workbook
    from govstats.template import build_template

    fmt = load_format("gk2021")
    path = tmp_path / "u.xlsx"
    build_template(fmt, 2025, "U01", "测试局").save(path)
    raw = read_workbook(path)
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
