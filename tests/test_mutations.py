"""Property: whatever a clerk (or a script) does to the cells of a valid workbook,
validate returns a result, every problem points at a sheet and cell that exist, and
a workbook without errors compiles (issue 6)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell

from govstats.actions import compile_year, validate_workbooks
from tests.hostile import valid_workbook

BASE = valid_workbook()
SHEETS = openpyxl.load_workbook(io.BytesIO(BASE)).sheetnames

# What a cell can be made to hold: numbers of every kind, text a clerk types,
# formulas, dates, booleans, errors, nothing.
values = st.one_of(
    st.none(),
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(
        st.characters(exclude_categories=("Cs", "Cc")),  # openpyxl cannot write them
        max_size=20,
    ),
    st.sampled_from(
        [" 22 ", "２２", "1,234", "22件", "=1+1", '=HYPERLINK("x")', "#DIV/0!", "0"]
    ),
    st.sampled_from(["sq.received", "zd.total", "sq.bogus", "代码", "本年"]),
)
sheet = st.integers(min_value=0, max_value=len(SHEETS) - 1)
row = st.integers(min_value=1, max_value=25)
mutation = st.one_of(
    st.tuples(st.just("set"), sheet, row, st.integers(1, 6), values),
    st.tuples(st.just("insert_rows"), sheet, row, st.integers(1, 3)),
    st.tuples(st.just("delete_rows"), sheet, row, st.integers(1, 3)),
    st.tuples(st.just("insert_cols"), sheet, st.integers(1, 6), st.integers(1, 2)),
)


def mutate(changes: list[tuple]) -> openpyxl.Workbook:
    wb = openpyxl.load_workbook(io.BytesIO(BASE))
    for change in changes:
        ws = wb[SHEETS[change[1]]]
        if change[0] == "set":
            cell = ws.cell(change[2], change[3])
            if not isinstance(cell, MergedCell):  # openpyxl cannot write into one
                cell.value = change[4]
        else:
            getattr(ws, change[0])(change[2], change[3])
    return wb


# Each example saves a workbook and may compile it (~0.4 s): half the profile's
# examples (25 with `dev`, 100 with `ci`) keep the suite fast.
@settings(max_examples=max(10, settings.default.max_examples // 2))
@given(st.lists(mutation, max_size=6))
def test_validate_always_answers_and_problems_point_at_real_cells(changes):
    wb = mutate(changes)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "inputs" / "2017" / "U01.xlsx"
        path.parent.mkdir(parents=True)
        wb.save(path)
        result = validate_workbooks([path], year=2017)  # never raises
        for p in result.report.problems:
            if p.sheet:
                assert p.sheet in wb.sheetnames, p
            if p.cell:
                ws = wb[p.sheet]
                assert p.row is not None and p.column is not None
                assert 1 <= p.row <= ws.max_row and 1 <= p.column <= ws.max_column, p
        if result.report.valid:
            # A workbook without errors compiles (a roster of it alone).
            (path.parent / "units.csv").write_text(
                "单位代码,单位名称,层级,类别\nU01,测试局,市本级,市政府\n",
                encoding="utf-8",
            )
            compiled = compile_year(2017, root / "inputs", root / "outputs")
            assert compiled.compiled, compiled.report.to_dict("en")
