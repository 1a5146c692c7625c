"""Writing workbooks (govstats.core.output): rows added as XML text (issue 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font

from govstats.core.output import _ROWS_PER_CHUNK, CELL_TEXT_MAX, put, workbook_bytes

ROOT = Path(__file__).parents[1]
ROWS = [
    ("U1", "某局 & <办公室>", "", 12, 1124.5, None, "  leading", "trailing "),
    ("U2", "=SUM(A1)", "   ", -3, 0.1 + 0.2, 10**15, "中文", 7),
    (None, None, None, None, None, None, None, None),  # an empty row: no <row>
    ("U4",),
    # Text XML cannot carry, and text too long for a cell: cleaned as put() does.
    ("U5", "bad\x01name\ufffe", "x" * (CELL_TEXT_MAX + 5)),
    ("U6", "a\r\nb\tc", " \U0001f600 ", "\ufffd\u00e9\"'", 0, -0.0, 2.0**60),
    # Integers around where "%.16g" stops writing every digit.
    ("U7", 2**53 - 1, 2**53, -(2**53), 2**53 + 1, 10**16 - 1, 10**20, 10**15),
]


def book(with_rows: bool, rows=ROWS):
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("明细")
    for c, head in enumerate(("代码", "名称", "x", "n"), start=1):
        put(ws, 1, c, head).font = Font(bold=True)
    ws.freeze_panes = "A2"
    wb.create_sheet("其他")["A1"] = 1
    if with_rows:
        for r, row in enumerate(rows, start=2):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    put(ws, r, c, value)
    return wb


def test_rows_added_as_text_are_the_bytes_openpyxl_writes():
    assert workbook_bytes(book(False), rows={"明细": ROWS}) == workbook_bytes(
        book(True)
    )


def test_rows_compressed_in_pieces_are_the_bytes_openpyxl_writes():
    # Many rows go into the zip a few hundred at a time, never joined (issue 5:
    # the memory of 10,000 units); zlib gives the bytes of compressing them at once.
    rows = [(f"U{i}", f"单位{i}", i * 7919 % 1000, i / 4) for i in range(1, 1301)]
    assert _ROWS_PER_CHUNK < len(rows)
    assert workbook_bytes(book(False), rows={"明细": rows}) == workbook_bytes(
        book(True, rows)
    )


def test_rows_made_as_they_are_written_are_the_bytes_openpyxl_writes():
    # The units sheet's rows are made as they are written (issue 18): never a
    # list of them all, and each made once.
    from govstats.core.output import MadeRows

    rows = [(f"U{i}", f"单位{i}", i * 7919 % 1000, i / 4) for i in range(1, 1301)]
    made: list[int] = []

    def make():
        for row in rows:
            made.append(1)
            yield row

    lazily = MadeRows(len(rows), 4, make)
    assert workbook_bytes(book(False), rows={"明细": lazily}) == workbook_bytes(
        book(True, rows)
    )
    assert len(made) == len(rows)


def test_no_rows_leaves_the_sheet_as_it_was():
    assert workbook_bytes(book(False), rows={"明细": []}) == workbook_bytes(book(False))


def test_values_that_are_no_plain_cell_are_refused():
    with pytest.raises(TypeError):
        workbook_bytes(book(False), rows={"明细": [(True,)]})


def test_rows_match_the_standard_library_writer_too():
    # openpyxl writes with lxml when it is installed (python-docx brings it) and
    # with the standard library's writer otherwise, whose bytes differ.
    code = (
        "from tests.test_output import ROWS, book; "
        "from govstats.core.output import workbook_bytes; "
        "assert workbook_bytes(book(False), rows={'明细': ROWS}) == "
        "workbook_bytes(book(True))"
    )
    env = {**os.environ, "OPENPYXL_LXML": "False"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
