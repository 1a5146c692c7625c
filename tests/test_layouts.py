"""Sheets read off their layout (govstats.read.layouts) read what calamine reads.

A sheet that differs from one calamine read before only in some values is read
from its text, without calamine (issue 18: reading is most of a large compile).
It may only ever stand for calamine's reading: every case here reads a first
workbook, then a second with the memory of the first, and compares the second's
sheets (every value, with its type, and the merged ranges) with calamine's
reading of it alone. Each case also says whether the second was read off its
layout, so that a fast path that silently never serves is caught too.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from govstats.read import excel
from govstats.read.excel import read_workbook
from govstats.read.layouts import shared_strings
from govstats.read.package import ScanMemory
from tests.hostile import valid_workbook
from tests.libreoffice import convert, soffice

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
STYLES = (
    f'{DECL}<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
    '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def package(rows: str, strings: list[str] | None = None, styles: str = STYLES) -> bytes:
    """An .xlsx with one sheet of these rows, shared strings (``<si>`` bodies)
    and styles (style 1 shows a date)."""
    sst = "".join(f"<si>{s}</si>" for s in strings or [])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml"'
            ' ContentType="application/xml"/><Override PartName="/xl/workbook.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{REL}/worksheet"'
            ' Target="worksheets/sheet1.xml"/><Relationship Id="rId2"'
            f' Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        zf.writestr(
            "xl/worksheets/sheet1.xml",
            f'{DECL}<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData>'
            '<mergeCells count="1"><mergeCell ref="A3:B3"/></mergeCells></worksheet>',
        )
        zf.writestr(
            "xl/sharedStrings.xml",
            f'{DECL}<sst xmlns="{MAIN}" count="{len(strings or [])}">{sst}</sst>',
        )
        zf.writestr("xl/styles.xml", styles)
    return out.getvalue()


def both(tmp_path: Path, first: bytes, then: bytes) -> bool:
    """Read ``first``, then ``then`` with the memory of the first; assert that
    ``then`` reads as calamine reads it alone; whether it was read off its layout."""
    return not read_by_calamine(tmp_path, first, then)


def read_by_calamine(tmp_path: Path, first: bytes, then: bytes) -> set[str]:
    """:func:`both`: the sheets of ``then`` that calamine read."""
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(first)
    b.write_bytes(then)
    memory = ScanMemory()
    read_workbook(a, memory=memory)
    with mock.patch.object(excel, "_read_sheet", wraps=excel._read_sheet) as spy:
        fast = read_workbook(b, memory=memory)
    alone = read_workbook(b)
    assert list(fast.sheets) == list(alone.sheets)
    for name, sheet in alone.sheets.items():
        assert _typed(fast.sheets[name].grid) == _typed(sheet.grid), name
        assert fast.sheets[name].merged == sheet.merged
        assert fast.sheets[name].visible == sheet.visible
    assert fast.problems == alone.problems
    return {call.args[1] for call in spy.call_args_list}


def _typed(grid: list[list[Any]]) -> list[list[tuple[str, str]]]:
    return [[(type(v).__name__, repr(v)) for v in line] for line in grid]


def cells(*values: str) -> str:
    """Row 1: one cell per value (markup inside <c r="A1"…>…</c>, attributes
    first, then "|" and the content); rows 2 and 3 fixed."""
    out = []
    for col, value in enumerate(values):
        attributes, _, content = value.partition("|")
        out.append(f'<c r="{chr(65 + col)}1"{attributes}>{content}</c>')
    return (
        f'<row r="1">{"".join(out)}</row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>代码</t></is></c></row>'
        '<row r="3"><c r="A3"><v>1</v></c></row>'
    )


NUMBER = "|<v>{}</v>"
INLINE = ' t="inlineStr"|<is><t>{}</t></is>'
KEPT = ' t="inlineStr"|<is><t xml:space="preserve">{}</t></is>'
FORMULA_TEXT = ' t="str"|<f>A3&amp;"x"</f><v>{}</v>'
DATE = ' s="1"|<v>{}</v>'
BOOL = ' t="b"|<v>{}</v>'


@pytest.mark.parametrize(
    ("cell", "before", "after", "off_layout"),
    [
        (NUMBER, "12", "40", True),
        (NUMBER, "12", "-0", True),
        (NUMBER, "12", "0.30000000000000004", True),
        (NUMBER, "12", "1.5E+3", True),
        (NUMBER, "12", "1e999", False),  # calamine reads inf
        (NUMBER, "12", "12 ", False),  # calamine reads the text, spaces and all
        (INLINE, "单位甲", "单位乙", True),
        (INLINE, "a", "x &amp; y &lt;&#128;&#x4E00;", True),
        (INLINE, "a", " b ", False),  # trimmed by calamine
        (INLINE, "a", "b&#13;c", True),
        (INLINE, "a", "b\r\nc", False),  # the line end normalised by calamine
        (INLINE, "a", "b_x000D_c", False),  # an escape calamine reads
        (KEPT, "a", " b ", True),
        (FORMULA_TEXT, "1x", "2x", True),
        (DATE, "43000", "43001", False),  # read as a date: never off the layout
        (BOOL, "0", "1", False),
    ],
)
def test_a_changed_cell_reads_as_calamine_reads_it(
    tmp_path, cell, before, after, off_layout
):
    first = package(cells(cell.format(before), NUMBER.format(5)))
    then = package(cells(cell.format(after), NUMBER.format(5)))
    assert both(tmp_path, first, then) is off_layout


SHARED = ' t="s"|<v>{}</v>'


@pytest.mark.parametrize(
    ("strings_before", "strings_after", "index_after", "off_layout"),
    [
        (["<t>甲</t>", "<t>乙</t>"], ["<t>甲</t>", "<t>乙</t>"], "1", True),
        (["<t>甲</t>", "<t>乙</t>"], ["<t>甲</t>", "<t>丙</t>"], "0", True),
        (["<t>甲</t>", "<t>乙</t>"], ["<t>丁</t>", "<t>乙</t>"], "0", True),
        (
            ["<t>甲</t>"],
            [
                '<r><rPr><b/><sz val="11"/></rPr><t>f</t></r><r><t xml:space="preserve"> g</t></r>'
            ],
            "0",
            True,
        ),
        (["<t>甲</t>"], ['<t>h</t><rPh sb="0" eb="1"><t>PH</t></rPh>'], "0", False),
        (["<t>甲</t>"], ["<t>d_x000D_e</t>"], "0", False),
        (["<t>甲</t>"], ["<t> 甲</t>"], "0", False),
        (["<t>甲</t>"], ['<t xml:space="preserve"> 甲</t>'], "0", True),
        (["<t>甲</t>"], ["<t>&#128;&lt;&amp;</t>"], "0", True),
        (["<t>甲</t>"], ["<t>p\r\nq</t>"], "0", False),
        (["<t>甲</t>"], [], "0", False),  # names a string that is not there
    ],
)
def test_shared_strings_read_as_calamine_reads_them(
    tmp_path, strings_before, strings_after, index_after, off_layout
):
    first = package(cells(SHARED.format(0), NUMBER.format(5)), strings_before)
    then = package(cells(SHARED.format(index_after), NUMBER.format(9)), strings_after)
    assert both(tmp_path, first, then) is off_layout


def test_a_workbook_of_other_styles_is_read_by_calamine(tmp_path):
    first = package(cells(NUMBER.format(5)))
    other = STYLES.replace('numFmtId="0"/>', 'numFmtId="14" applyNumberFormat="1"/>')
    then = package(cells(NUMBER.format(6)), styles=other)
    assert both(tmp_path, first, then) is False


@pytest.mark.parametrize(
    "row",
    [
        # the same position twice: calamine keeps one of them
        '<row r="1"><c r="A1"><v>{}</v></c><c r="A1"><v>5</v></c></row>',
        # no position of its own: calamine places it after the one before
        '<row r="1"><c r="A1"><v>5</v></c><c><v>{}</v></c></row>',
        # text straight inside a cell is no value
        '<row r="1"><c r="A1">{}</c></row>',
    ],
)
def test_cells_calamine_places_by_its_own_rules_are_read_by_it(tmp_path, row):
    first = package(row.format(5))
    then = package(row.format(7))
    assert both(tmp_path, first, then) is False


def test_an_unchanged_workbook_is_read_off_its_layout(tmp_path):
    data = package(cells(NUMBER.format(5), SHARED.format(0)), ["<t>甲</t>"])
    assert both(tmp_path, data, data) is True


def test_shared_strings_are_told_apart_only_when_exactly_so():
    def part(body: bytes) -> tuple[int, int, bytes]:
        return 0, len(body), body

    head = f'{DECL}<sst xmlns="{MAIN}">'.encode()
    assert shared_strings(part(head + b"<si><t>a</t></si><si><t>b</t></si></sst>")) == [
        b"<si><t>a</t></si>",
        b"<si><t>b</t></si>",
    ]
    assert shared_strings(part(head + b"<si><t>a</t></si><si/></sst>")) == [
        b"<si><t>a</t></si>",
        b"<si/>",
    ]
    # one inside another, or in another encoding: not told apart
    assert shared_strings(part(head + b"<si><si><t>a</t></si></si></sst>")) is None
    latin = head.replace(b"UTF-8", b"ISO-8859-1")
    assert shared_strings(part(latin + b"<si><t>a</t></si></sst>")) is None
    assert shared_strings(part(head + b"<!-- <si> --><si><t>a</t></si></sst>")) is None


def _units() -> tuple[bytes, bytes]:
    return (
        valid_workbook("U01", "测试局"),
        valid_workbook(
            "U02", "另一个单位名称很长的局", {"sq.received": 9, "sq.ch.fax": 3}
        ),
    )


def test_units_filled_in_from_the_template_are_read_off_their_layout(tmp_path):
    first, then = _units()
    assert both(tmp_path, first, then) is True


@soffice
def test_units_saved_by_libreoffice_are_read_off_their_layout(tmp_path):
    """LibreOffice keeps every string shared, rich text where a cell's font
    differs, and numbers its strings by first use: the second unit's strings
    differ from the first's, and are compared entry by entry. Only the checks'
    sheet is read by calamine: its formulas' results, empty in one unit and not
    in the other, change its markup."""
    sources = []
    for name, data in zip(("first", "then"), _units(), strict=True):
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        sources.append(path)
    saved = convert(sources, "xlsx", tmp_path / "saved")
    first, then = (p.read_bytes() for p in saved)
    assert b"sharedStrings" in then
    assert read_by_calamine(tmp_path, first, then) == {"校验"}


# A unit's tables read as a unit's before (govstats.read.workbook._read_as_before)


def _dump(unit: Any) -> Any:
    return (
        dict(unit.info),
        dict(unit.info_cells),
        [
            (code, c.sheet, c.row, c.column, repr(c.value), c.remark)
            for code, c in unit.cells.items()
        ],
        [p.to_dict("zh") for p in unit.problems],
        unit.readable,
        unit.cells.whole_numbers() is None,
    )


def read_as_before(tmp_path: Path, *workbooks: bytes) -> list[bool]:
    """Read the workbooks in turn with one memory; assert that each reads as it
    reads alone; whether each was read as a unit read before."""
    from govstats.formats import load_format
    from govstats.read import workbook

    fmt = load_format("gk2008")
    memory = ScanMemory()
    answers: list[bool] = []
    real = workbook._read_as_before

    def spy(*args: Any) -> bool:
        answers.append(real(*args))
        return answers[-1]

    out = []
    for i, data in enumerate(workbooks):
        path = tmp_path / f"u{i}.xlsx"
        path.write_bytes(data)
        answers.clear()
        with mock.patch.object(workbook, "_read_as_before", spy):
            fast = workbook.load_unit_from_raw(read_workbook(path, memory=memory), fmt)
        alone = workbook.load_unit_from_raw(read_workbook(path), fmt)
        assert _dump(fast) == _dump(alone), path.name
        out.append(answers == [True])
    return out


def _set(sheet: str, cell: str, value: Any) -> Any:
    def edit(wb: Any) -> None:
        wb[sheet][cell] = value

    return edit


T1 = "表1 主动公开政府信息情况"
T3 = "表3 依申请公开情况"


@pytest.mark.parametrize(
    ("values", "edit", "as_before"),
    [
        ({"sq.ch.online": 11, "zd.policy": 0}, None, True),
        ({"sq.ch.online": -3}, None, True),  # a negative figure is a plain number
        ({"zd.portal_visits": Decimal("13.25")}, None, False),  # not whole
        ({}, _set(T1, "A2", "填报单位：另一个局"), True),  # a title
        ({}, _set(T1, "A2", "代码"), False),  # a title that is a label
        ({}, _set(T1, "A2", "zd.policy"), False),  # or a code
        ({}, _set(T1, "A2", "12件"), False),  # or reads as a figure
        ({}, _set(T1, "B5", "zd.unknown"), False),  # a text below the header
        ({}, _set(T1, "E5", "含转载"), False),  # a remark
        ({}, _set(T3, "D5", "5件"), False),  # a figure as text
    ],
)
def test_units_read_as_before_read_as_they_read_alone(
    tmp_path, values, edit, as_before
):
    first = valid_workbook("U01", "测试局")
    second = valid_workbook("U02", "第二个局", {"sq.ch.fax": 2})
    third = valid_workbook("U03", "第三局", values, edit)
    assert read_as_before(tmp_path, first, second, third) == [False, False, as_before]
