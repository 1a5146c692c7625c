"""The package inspection: a sheet scanned whole says what the streaming scan says.

Parts of up to 1 MiB are inflated whole, parsed by expat without a handler per
element, and their extent read off the bytes by regular expressions (issue 5:
speed). That may only ever stand for the element-by-element scan, never differ
from it: a fake tag in a comment, an attribute or CDATA must not count, a real one
hidden by odd syntax must not be missed. Each case is scanned both ways and the
outcomes (refusal, or every field of the scan) must be equal.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from govstats.core.limits import DEFAULT_LIMITS, Limits
from govstats.core.locations import column_letter
from govstats.core.problems import GovstatsError
from govstats.read import package
from tests.hostile import valid_workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def workbook(*sheets: bytes) -> bytes:
    """A minimal xlsx package holding these sheet parts (Sheet1, Sheet2, …)."""
    names = range(1, len(sheets) + 1)
    book = "".join(
        f'<sheet name="Sheet{i}" sheetId="{i}" r:id="rId{i}"/>' for i in names
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Target="worksheets/sheet{i}.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet"/>'
        for i in names
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"/>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><sheets>{book}</sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships">{rels}</Relationships>',
        )
        for i, sheet in zip(names, sheets, strict=True):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", sheet)
    return out.getvalue()


def sheet(rows: str, decl: str = DECL, root: str = "") -> bytes:
    """A sheet part with these rows (``root`` a prefix for its own elements)."""
    return (
        f'{decl}<{root}worksheet xmlns="{MAIN}" xmlns:x="{MAIN}" xmlns:y="urn:y">'
        f"<{root}sheetData>{rows}</{root}sheetData></{root}worksheet>"
    ).encode()


# The memory of the scans of this module's tests, as one run keeps one: parts and
# layouts scanned by a test are known to the next (no_parts_known starts afresh).
MEMORY = [package.ScanMemory()]


def outcome(
    data: bytes,
    limits: Limits = DEFAULT_LIMITS,
    streaming: bool = False,
    memory: package.ScanMemory | None = None,
) -> Any:
    """The scan (with the module's memory unless one is given), or the refusal's
    code and texts."""
    try:
        return package.scan_package(
            data, "u.xlsx", "xlsx", limits, memory or MEMORY[0], streaming
        )
    except GovstatsError as exc:
        return exc.problem.code, exc.problem.found, exc.problem.expected


@contextmanager
def counting(scanner: str) -> Iterator[list[str]]:
    """The names of the parts ``package.<scanner>`` scanned, meanwhile."""
    names: list[str] = []
    real = getattr(package, scanner)

    def spy(data: bytes, e: Any, path: str, scan: Any, *more: Any) -> Any:
        names.append(e.name)
        return real(data, e, path, scan, *more)

    with mock.patch.object(package, scanner, spy):
        yield names


def both_ways(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, list[str]]:
    """The outcome, checked equal to the reference scan (every part streamed, no
    memory), and the parts that were rescanned."""
    with counting("_scan_streaming") as rescanned:
        whole = outcome(data, limits)
    # the second time, the parts scanned whole the first time are known
    again = outcome(data, limits)
    try:
        reference = package.scan_package(data, "u.xlsx", "xlsx", limits, None, True)
    except GovstatsError as exc:
        reference = exc.problem.code, exc.problem.found, exc.problem.expected
    assert whole == again == reference
    return whole, rescanned


def extent(result: Any, name: str = "Sheet1") -> tuple[int, int, int, bool]:
    assert isinstance(result, package.PackageScan), result
    e = result.sheets[name]
    return e.rows, e.columns, e.cells, e.too_large


# Explicit cases


def test_an_ordinary_workbook_is_never_scanned_twice():
    result, rescanned = both_ways(valid_workbook())
    assert rescanned == []
    assert result.written == result.cells > 100


def test_a_sheet_read_off_its_bytes_has_the_streaming_extent():
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="2"/></row>'
        '<row r="3"><c r="C3"><f>A1</f><v>1</v></c><c r="E3" s="1"/></row>'
        '<row r="4"><c r="b4" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    result, rescanned = both_ways(workbook(sheet(rows)))
    assert rescanned == []
    # E3 holds no value: the extent ends at C, as calamine's does.
    assert extent(result) == (4, 3, 5, False)


@pytest.mark.parametrize(
    ("formula", "links"),
    [
        ("A1+1", False),
        ("[1]Sheet1!A1", True),
        ("cmd|'/c calc'!A0", True),
        ("cmd&#124;'/c calc'!A0", True),  # a character reference may be either
    ],
)
def test_a_sheet_that_may_link_outside_is_told_either_way(formula, links):
    rows = f'<row r="1"><c r="A1"><f>{formula}</f><v>1</v></c></row>'
    result, _ = both_ways(workbook(sheet(rows)))
    assert result.sheets["Sheet1"].links is links


def test_a_sheet_read_by_its_layout_is_looked_at_for_links():
    memory = package.ScanMemory()

    def scan(formula: str) -> Any:
        rows = f'<row r="1"><c r="A1"><f>{formula}</f><v>1</v></c></row>'
        return outcome(workbook(sheet(rows)), memory=memory)

    assert scan("A1+1").sheets["Sheet1"].links is False
    with counting("_scan_whole") as parsed:
        # the same tags, another text: read off the layout, not parsed
        assert scan("[1]S!A1").sheets["Sheet1"].links is True
    assert "xl/worksheets/sheet1.xml" not in parsed


LINKS = '<row r="1"><c r="A1" t="inlineStr"><is><t>{label}</t></is></c>{formula}</row>'


@pytest.mark.parametrize(
    ("first", "then", "links"),
    [
        # only a label changed: the formulas, and so the links, are the layout's
        (("甲", "[1]S!A1"), ("乙局", "[1]S!A1"), True),
        (("甲", "A1+1"), ("乙局", "A1+1"), False),
        # a formula changed: looked at again
        (("甲", "[1]S!A1"), ("甲", "A1+2"), False),
        (("甲", "A1+1"), ("甲", "cmd&#124;'/c calc'!A0"), True),
    ],
)
@pytest.mark.parametrize(
    "tag",
    [
        '<c r="B1"><f>{}</f><v>1</v></c>',
        '<c r="B1"><x:f t="shared" si="0">{}</x:f></c>',
    ],
)
def test_links_of_a_sheet_read_by_its_layout(first, then, links, tag):
    def part(label: str, formula: str) -> bytes:
        return sheet(LINKS.format(label=label, formula=tag.format(formula)))

    result, parsed = _layout_outcome(part(*first), part(*then))
    assert parsed == []  # read by the layout
    assert result.sheets["Sheet1"].links is links


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # a fake r inside another attribute's value, a ">" in a value
        (
            '<row r="1"><c foo=\' r="XFD1048576"\' t="a>b" r="B1"><v>1</v></c></row>',
            (1, 2, 1, False),
        ),
        # prefixed elements, single quotes, spaces around "=", r not first
        (
            "<x:row spans='1:2' r = '2'><y:c s='1'\n r\t=\t'C2'><y:v>1</y:v></y:c>"
            "</x:row>",
            (2, 3, 1, False),
        ),
        # a prefixed r is another attribute; the cell's own r is the plain one
        (
            '<row r="1"><c y:r="XFD1048576" r="A1"><v>1</v></c></row>',
            (1, 1, 1, False),
        ),
        # an element that is not a cell, with a c and an r attribute
        (
            '<row r="1"><cell c="1" r="XFD1048576"/><c r="A1"><v>1</v></c></row>',
            (1, 1, 1, False),
        ),
        # text that reads like a tag is text
        (
            '<row r="1"><c r="A1" t="inlineStr"><is><t>&lt;c r="XFD9"&gt;'
            "</t></is></c></row>",
            (1, 1, 1, False),
        ),
    ],
)
def test_odd_but_harmless_syntax_is_read_as_the_elements_say(rows, expected):
    result, rescanned = both_ways(workbook(sheet(rows)))
    assert extent(result) == expected
    assert rescanned == []


@pytest.mark.parametrize(
    ("rows", "too_large"),
    [
        # fake tags in a comment, CDATA and a processing instruction do not count,
        # beyond the limits or within them
        ('<!-- <row r="9"><c r="XFD1048576"><v>1</v></c></row> -->', False),
        (
            '<row r="1"><c r="A1"><v>1</v></c></row><!-- <c r="B2"><v>1</v></c> -->',
            False,
        ),
        (
            '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c r="XFD1"><v>1</v>'
            "</c>]]></t></is></c></row>",
            False,
        ),
        (
            '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<c r="B2">]]></t>'
            "</is></c></row>",
            False,
        ),
        ('<?fake <c r="XFD1048576"><v>1</v></c>?>', False),
        (
            '<row r="1"><c r="A1"><v>1</v></c><?fake <c r="B2"><v>1</v></c>?></row>',
            False,
        ),
        # a real far value written in ways a careless pattern would miss
        ('<row r="1048576"><c><v>1</v></c></row>', True),
        ('<row r="1"><c r="A1"/><c><v>1</v></c></row><row><c/></row>', False),
        ('<row r="1"><c r="&#88;FD1"><v>1</v></c></row>', True),
        ('<row><c r="XFD1"><v>1</v></c></row>', True),
        ('<row r="1"><c r="XFD1"/><v>1</v></row>', True),
        ('<row r="1"><c r="XFD1" t="n"><x:v>1</x:v></c></row>', True),
    ],
)
def test_what_the_patterns_cannot_vouch_for_is_scanned_again(rows, too_large):
    result, rescanned = both_ways(workbook(sheet(rows)))
    assert rescanned == ["xl/worksheets/sheet1.xml"]
    assert extent(result)[3] is too_large


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (
            b'<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>'
            + sheet(
                '<row r="1"><c r="A1" t="inlineStr"><is><t>&a;</t></is></c></row>', ""
            ),
            "unsafe-xml",
        ),
        (sheet('<row r="1"><c r="A1B"><v>1</v></c></row>'), "file-unreadable"),
        (sheet('<row r="x"><c r="A1"><v>1</v></c></row>'), "file-unreadable"),
        (sheet('<row r="1"><c r="A1"><v>1</v></c></row>')[:-12], "file-unreadable"),
    ],
)
def test_refusals_are_the_streaming_scans(document, code):
    result, _ = both_ways(workbook(document))
    assert result[0] == code


@pytest.mark.parametrize("far", [False, True])
def test_other_encodings_are_scanned_again(far):
    # The patterns read bytes as ASCII: UTF-16 would hide every tag from them.
    ref = "XFD1" if far else "B1"
    rows = f'<row r="1"><c r="{ref}"><v>1</v></c></row>'
    utf16 = sheet(rows, '<?xml version="1.0" encoding="UTF-16"?>').decode()
    latin = sheet(rows, '<?xml version="1.0" encoding="ISO-8859-1"?>')
    for document in (b"\xff\xfe" + utf16.encode("utf-16-le"), latin):
        result, rescanned = both_ways(workbook(document))
        assert rescanned == ["xl/worksheets/sheet1.xml"]
        assert extent(result) == ((1, 16384, 1, True) if far else (1, 2, 1, False))


def test_a_workbook_at_the_cell_limits_is_scanned_again():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in (1, 2, 3))
    data = workbook(sheet(rows), sheet(rows))
    result, rescanned = both_ways(data, DEFAULT_LIMITS.replace(cells=5))
    assert result == ("workbook-too-large", "> 5 cells", "5 cells")
    assert rescanned == ["xl/worksheets/sheet2.xml"]
    result, rescanned = both_ways(
        workbook(sheet(rows)), DEFAULT_LIMITS.replace(sheet_rows=2)
    )
    assert extent(result) == (3, 1, 3, True)
    assert rescanned == ["xl/worksheets/sheet1.xml"]


# Property: random sheets, scanned both ways, say the same. A sheet is written as
# Excel writes it, plus a few oddities: harmless ones the patterns must read right
# (prefixes; quotes, spacing and attribute order), and ones that must be scanned
# again (cells and rows without r or with a bad one, character references,
# comments, CDATA and instructions holding tags, other encodings, broken XML).
# Small limits put values beyond them often. Fake r text is everywhere.

ODDITIES = ("prefix", "syntax", "refs", "rows", "junk", "values", "encoding", "broken")


def _pick(draw: Any, odd: bool, plain: list[Any], unusual: list[Any]) -> Any:
    return draw(st.sampled_from(plain + unusual if odd else plain))


def _attribute(draw: Any, name: str, value: str, odd: frozenset[str]) -> str:
    quote = _pick(draw, "syntax" in odd, ['"'], ["'"])
    space = _pick(draw, "syntax" in odd, [""], ["", " ", "\n "])
    value = value.replace(quote, "'" if quote == '"' else '"')  # r="…" or r='…'
    return f" {name}{space}={space}{quote}{value}{quote}"


def _attributes(
    draw: Any, r: str | None, others: list[tuple[str, str]], odd: frozenset[str]
) -> str:
    """The attributes, r first as Excel writes it, or anywhere."""
    attributes = [_attribute(draw, name, value, odd) for name, value in others]
    if r is not None:
        at = draw(st.integers(0, len(attributes))) if "syntax" in odd else 0
        attributes.insert(at, _attribute(draw, "r", r, odd))
    return "".join(attributes)


_FAKES = [("s", "1"), ("t", "n"), ("foo", 'r="XFD1048576"'), ("bar", "a>b/")]
_FAKES += [("y:r", "XFD7"), ("rr", "C3")]
_VALUES = ["", "", "<v>1</v>", "<is><t>x</t></is>", "<f>1</f><v>2</v>", "<f>1</f>"]
_VALUES += ['<is><t>&lt;c r="XFD2"&gt;</t></is>']


@st.composite
def cells(draw: Any, row: int, width: int, odd: frozenset[str]) -> str:
    column = draw(st.integers(1, width))
    row = draw(st.sampled_from([row, row, row + 1, 0]))
    letters = column_letter(column)
    ref = _pick(
        draw,
        "refs" in odd,
        [f"{letters}{row}"] * 4 + [f"{letters.lower()}{row:03d}"],
        [None, f"&#{ord(letters[0])};{letters[1:]}{row}", "", "A", "1", "A1B"]
        + ["ABCDEFGH1", "A 1", "A\u0661"],
    )
    fakes = draw(st.lists(st.sampled_from(_FAKES), unique=True, max_size=3))
    value = _pick(
        draw,
        "values" in odd,
        _VALUES + ["<x:v>2</x:v>"] * ("prefix" in odd),
        ['<is><t><![CDATA[<c r="XFD1"><v>1</v></c>]]></t></is>']
        + ['<is><t><![CDATA[<c r="B1"><v>1</v></c><row r="2">]]></t></is>']
        # a cell inside the cell
        + ['<f><c r="A1"/></f><v>2</v>', '<x><c r="B2"></c></x><v>1</v>'],
    )
    prefix = _pick(draw, "prefix" in odd, [""], ["", "x:", "y:"])
    tag = f"{prefix}c{_attributes(draw, ref, fakes, odd)}"
    cell = f"<{tag}>{value}</{prefix}c>" if value else f"<{tag}/>"
    # A value after a cell closes still belongs to it, as the streaming scan reads.
    return cell + _pick(draw, "prefix" in odd, ["", "", "<v>3</v>"], ["<y:is/>"])


@st.composite
def rows(draw: Any, height: int, width: int, odd: frozenset[str]) -> str:
    row = draw(st.integers(1, height))
    r = _pick(
        draw,
        "rows" in odd,
        [str(row)] * 3,
        [None, "", "x", "1.5", "\u0661", "12345678901", f"&#{ord(str(row)[0])};"],
    )
    spans = [("spans", "1:3")] if draw(st.booleans()) else []
    prefix = _pick(draw, "prefix" in odd, [""], ["", "x:"])
    body = "".join(draw(st.lists(cells(row, width, odd), max_size=5)))
    junk = _pick(
        draw,
        "junk" in odd,
        ["", '<other c="1" r="XFD5"><v>1</v></other>'],
        ['<!-- <row r="1048576"><c r="XFD1"><v>1</v></c></row> -->']
        + ['<?fake <c r="XFD1048576"><v>1</v></c>?>', '<!-- <c r="B2"><v>1</v></c> -->']
        + ['<?fake <x:c r="C3"><v>1</v></x:c>?>'],
    )
    tag = f"{prefix}row{_attributes(draw, r, spans, odd)}"
    return f"<{tag}>{body}</{prefix}row>{junk}"


@st.composite
def sheet_parts(draw: Any) -> tuple[bytes, frozenset[str]]:
    odd = frozenset(draw(st.sets(st.sampled_from(ODDITIES), max_size=3)))
    decl = _pick(
        draw,
        "encoding" in odd,
        ["", DECL, "\ufeff" + DECL],
        [
            "<?xml version='1.0' encoding='ISO-8859-1'?>",
            "\ufeff<?xml version='1.0' encoding='UTF-16'?>",
        ],
    )
    # the limits in the test are 20 rows, 8 columns
    height = draw(st.sampled_from([20, 20, 20, 22, 1048576]))
    width = draw(st.sampled_from([8, 8, 8, 9, 16384]))
    lines = draw(st.lists(rows(height, width, odd), max_size=6))
    root = _pick(draw, "prefix" in odd, [""], ["x:"])
    text = sheet("".join(lines), decl, root).decode()
    if "broken" in odd:
        text = text[: draw(st.integers(0, len(text)))]
    if "ISO-8859-1" in decl:
        return text.encode("latin-1", "xmlcharrefreplace"), odd
    if "UTF-16" in decl:
        return text.encode("utf-16-le"), odd
    return text.encode(), odd


@settings(max_examples=settings.default.max_examples * 4)
@given(
    st.lists(sheet_parts(), min_size=1, max_size=2),
    st.sampled_from([12, 40, 10_000]),
)
def test_a_sheet_scanned_whole_says_what_the_streaming_scan_says(documents, limit):
    limits = Limits(sheet_rows=20, sheet_columns=8, cells=limit)
    result, rescanned = both_ways(workbook(*(d for d, _ in documents)), limits)
    for i, (_, odd) in enumerate(documents, start=1):
        if f"xl/worksheets/sheet{i}.xml" not in rescanned:
            event(f"scanned whole: {'excel' if not odd else ', '.join(sorted(odd))}")
    event("refused" if isinstance(result, tuple) else "scanned")


# Parts known from an earlier workbook


def test_parts_met_before_in_the_same_bytes_are_not_parsed_again():
    first = valid_workbook("U01", "测试局")
    second = valid_workbook("U02", "另一局")
    memory = package.ScanMemory()
    package.scan_package(first, "a.xlsx", "xlsx", memory=memory)
    with (
        counting("_scan_whole") as parsed,
        mock.patch.dict(memory.layouts, clear=True),
    ):
        result = package.scan_package(second, "b.xlsx", "xlsx", memory=memory)
    # theme, styles and the like are the template's bytes; the identification
    # sheet names the unit, so it is parsed again (but for its layout, see below)
    assert "xl/theme/theme1.xml" not in parsed
    assert "xl/styles.xml" not in parsed
    assert "xl/worksheets/sheet1.xml" in parsed
    assert package.scan_package(second, "b.xlsx", "xlsx") == result


def test_a_known_part_is_checked_again_against_the_limits():
    rows = '<row r="1"><c r="A1"><v>1</v></c><c r="F9"><v>2</v></c></row>'
    data = workbook(sheet(rows))
    assert extent(outcome(data)) == (9, 6, 2, False)
    for limits, expected in [
        ({"sheet_rows": 8}, (9, 6, 2, True)),
        ({"sheet_columns": 5}, (9, 6, 2, True)),
    ]:
        result, _ = both_ways(data, DEFAULT_LIMITS.replace(**limits))
        assert extent(result) == expected
    refused, _ = both_ways(data, DEFAULT_LIMITS.replace(cells=1))
    assert refused[0] == "workbook-too-large"


def test_a_part_of_known_name_size_and_crc_but_other_bytes_is_scanned():
    """Only the very same packed bytes stand for a part scanned before."""
    safe = sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
    assert extent(outcome(workbook(safe))) == (1, 1, 1, False)
    # stored, not deflated: other packed bytes, the same inflated part
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in zipfile.ZipFile(io.BytesIO(workbook(safe))).infolist():
            zf.writestr(
                info.filename, zipfile.ZipFile(io.BytesIO(workbook(safe))).read(info)
            )
    with (
        counting("_scan_whole") as parsed,
        mock.patch.dict(MEMORY[0].layouts, clear=True),
    ):
        assert extent(outcome(out.getvalue())) == (1, 1, 1, False)
    assert "xl/worksheets/sheet1.xml" in parsed
    hostile = sheet(
        '<row r="1"><c r="A1"><v>1</v></c></row>',
        decl='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>',
    )
    assert outcome(workbook(hostile))[0] == "unsafe-xml"


def test_known_parts_are_bounded_by_their_bytes():
    memory = package.ScanMemory(known_bytes=3000)
    for code in ("U01", "U02", "U03"):
        package.scan_package(
            valid_workbook(code, "局"), "u.xlsx", "xlsx", memory=memory
        )
        kept = sum(len(key[4]) for key in memory.known)
        assert kept == memory.known_bytes <= 3000
    assert memory.known


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c r="A1"><v>1</v></c><c r="F9"><f><c r="A2"/></f><v>5</v></c></row>',
        '<row r="1"><c r="F9" a="/>"><f><c r="A2"/></f><v>5</v></c></row>',
        '<row r="1"><c r="F9"><c r="A2"></c><v>5</v></c></row>',
        '<row r="1"><x:c r="F9"><x:f><x:c r="A2"/></x:f><x:v>5</x:v></x:c></row>',
        '<row r="1"><c r="F9"><x><c r="A2"/></x><v>5</v></c></row>',
    ],
)
def test_a_cell_inside_a_cell_refuses_the_file(rows):
    """calamine gives the outer cell the value after the inner one: the extent
    would be the inner cell's, the value where the outer one says."""
    refused, rescanned = both_ways(workbook(sheet(rows)))
    assert refused[:2] == (
        "file-unreadable",
        "xl/worksheets/sheet1.xml: <c> inside <c> (A2)",
    )
    assert rescanned == ["xl/worksheets/sheet1.xml"]


def test_cells_side_by_side_are_not_nested():
    rows = '<row r="1"><c r="A1"/><c r="B1" a="/>"><v>1</v></c><c r="C1"></c></row>'
    result, rescanned = both_ways(workbook(sheet(rows)))
    assert extent(result) == (1, 2, 3, False)
    assert rescanned == []


def test_an_xlsx_is_read_by_local_names_as_calamine_reads_it():
    """A prefix bound to no namespace does not refuse an .xlsx (calamine reads
    elements by their local names, and so does the scan): z:c is a cell."""
    rows = '<row r="1"><z:c r="B1"><z:v>1</z:v></z:c></row>'
    result, _ = both_ways(workbook(sheet(rows)))
    assert extent(result) == (1, 2, 1, False)


def _deflated(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


_PART = sheet('<row r="1"><c r="A1"><v>1</v></c></row>')


@pytest.mark.parametrize(
    ("raw", "size", "crc", "method", "code"),
    [
        (_deflated(_PART), len(_PART), zlib.crc32(_PART), 8, None),
        (_PART, len(_PART), zlib.crc32(_PART), 0, None),
        (_deflated(_PART) + b"trailing", len(_PART), zlib.crc32(_PART), 8, None),
        (_deflated(_PART), len(_PART) - 1, zlib.crc32(_PART), 8, "zip-bomb"),
        (_deflated(_PART), len(_PART) + 1, zlib.crc32(_PART), 8, "zip-bomb"),
        (_deflated(_PART), len(_PART), zlib.crc32(_PART) ^ 1, 8, "file-unreadable"),
        (_deflated(_PART)[:-4], len(_PART), zlib.crc32(_PART), 8, "file-unreadable"),
        (b"\xff" * 40, len(_PART), zlib.crc32(_PART), 8, "file-unreadable"),
        (_PART, len(_PART) - 1, zlib.crc32(_PART), 0, "zip-bomb"),
    ],
)
def test_a_small_part_inflated_in_one_call_is_checked_as_streamed(
    raw, size, crc, method, code
):
    """Sizes, CRC and deflate stream of a small part: inflated in one call, it is
    refused (by the streaming scan) exactly where it would be chunk by chunk."""
    from tests.hostile import raw_zip

    members = [
        (name, _deflated(content), len(content), zlib.crc32(content), 8)
        for name, content in zipfile_parts(workbook(sheet(""))).items()
        if name != "xl/worksheets/sheet1.xml"
    ]
    data = raw_zip([*members, ("xl/worksheets/sheet1.xml", raw, size, crc, method)])
    result, _ = both_ways(data)
    if code is None:
        assert extent(result) == (1, 1, 1, False)
    else:
        assert result[0] == code


def zipfile_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# Sheets that differ only in their text from one scanned before (_Layout)


@contextmanager
def no_parts_known() -> Iterator[None]:
    """Neither parts nor layouts remembered from other tests."""
    kept = MEMORY[0]
    MEMORY[0] = package.ScanMemory()
    try:
        yield
    finally:
        MEMORY[0] = kept


def _layout_outcome(
    first: bytes, then: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[Any, list[str]]:
    """The scan of the sheet part ``then`` right after the part ``first`` (which
    it may be read by), checked equal to the streaming scan; and whether it was
    parsed whole."""
    with no_parts_known():
        outcome(workbook(first))
        with counting("_scan_whole") as parsed:
            result, _ = both_ways(workbook(then), limits)
    return result, [name for name in parsed if name.endswith("sheet1.xml")]


ROWS = '<row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c><c r="C2"><v>1</v></c></row>'


@pytest.mark.parametrize(
    "text",
    [
        "乙局",
        "12345",
        "a > b",
        "  spaced  ",
        "\t",
        "x\r\ny",
        "\u3000全角",
        # references as lxml (and so openpyxl) writes text: each stands for a
        # character XML allows
        "&amp;&lt;&gt;&quot;&apos;",
        "&#88;&#x4E59;&#23616;&#13;",
        "&#x10FFFF;&#xFFFD;&#9;",
    ],
)
def test_a_sheet_differing_only_in_text_is_read_by_its_layout(text):
    then = ROWS.replace("甲", text).replace("<v>1<", "<v>987654<")
    result, parsed = _layout_outcome(sheet(ROWS), sheet(then))
    assert extent(result) == (2, 3, 2, False)
    assert parsed == []


@pytest.mark.parametrize(
    ("then", "expected"),
    [
        # a reference to no character XML allows, an entity no DTD declares, a
        # bare "&", a control character, "]]>", not UTF-8: scanned, and refused
        # or read as the streaming scan says
        (ROWS.replace("甲", "&#0;"), "file-unreadable"),
        (ROWS.replace("甲", "&#xD800;"), "file-unreadable"),
        (ROWS.replace("甲", "&#65534;"), "file-unreadable"),
        (ROWS.replace("甲", "&#x110000;"), "file-unreadable"),
        (ROWS.replace("甲", "&#0000000000065;"), (2, 3, 2, False)),
        (ROWS.replace("甲", "&nbsp;"), "file-unreadable"),
        (ROWS.replace("甲", "a & b"), "file-unreadable"),
        (ROWS.replace("甲", "&#88"), "file-unreadable"),
        (ROWS.replace("甲", "\x01"), "file-unreadable"),
        (ROWS.replace("甲", "]]>"), "file-unreadable"),
        (ROWS.replace("甲", "\udcff"), "file-unreadable"),
        # other tags: another extent
        (ROWS.replace('r="C2"', 'r="D2"'), (2, 4, 2, False)),
        (ROWS.replace("<v>1</v>", ""), (1, 1, 2, False)),
    ],
)
def test_a_sheet_not_only_differing_in_text_is_scanned(then, expected):
    if "\udcff" in then:  # a byte that is not UTF-8
        part = sheet(ROWS).replace("甲".encode(), b"\xff")
    else:
        part = sheet(then)
    result, parsed = _layout_outcome(sheet(ROWS), part)
    assert "xl/worksheets/sheet1.xml" in parsed
    if isinstance(expected, str):
        assert result[0] == expected
    else:
        assert extent(result) == expected


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (sheet(ROWS), sheet(ROWS) + b"junk"),
        (sheet(ROWS).replace(b"?><", b"?>\n<"), sheet(ROWS).replace(b"?><", b"?>x<")),
        (sheet(ROWS), sheet(ROWS).replace(b"?><", b"?>x<")),
        (sheet(ROWS) + b"\n", sheet(ROWS) + b"x\n"),
    ],
)
def test_text_outside_the_root_element_is_not_read_by_a_layout(first, then):
    """Text before or after the root element is not well-formed: such a sheet is
    scanned, and refused, even where the layout's pattern takes it for text."""
    refused, parsed = _layout_outcome(first, then)
    assert "xl/worksheets/sheet1.xml" in parsed
    assert refused[0] == "file-unreadable"


def test_a_sheet_with_a_gt_in_an_attribute_is_no_layout():
    """Where ">" may stand in an attribute's value, taking text out could take
    part of a tag: such a sheet is never a layout (another r could hide there)."""
    first = '<row r="1"><c r="A1" a="x>y"><v>1</v></c></row>'
    then = '<row r="1"><c r="A1" a="x>z" r2="1"><v>1</v></c></row>'
    result, parsed = _layout_outcome(sheet(first), sheet(then))
    assert parsed == ["xl/worksheets/sheet1.xml"]
    assert extent(result) == (1, 1, 1, False)


def test_a_layout_is_checked_against_the_limits():
    then = ROWS.replace("<v>1<", "<v>2<")
    with no_parts_known():
        outcome(workbook(sheet(ROWS)))
        result, _ = both_ways(
            workbook(sheet(then)), DEFAULT_LIMITS.replace(sheet_columns=2)
        )
    assert extent(result) == (2, 3, 2, True)


def _other_text(document: bytes) -> bytes:
    """The document with other numbers and words where it holds text."""
    document = re.sub(rb"<v>([0-9]+)</v>", rb"<v>\g<1>7</v>", document)
    return re.sub(rb"<t>([^<]*)</t>", "<t>变\\1</t>".encode(), document)


@settings(max_examples=settings.default.max_examples * 2)
@given(sheet_parts(), st.sampled_from([12, 40, 10_000]))
def test_a_sheet_read_by_its_layout_says_what_the_streaming_scan_says(part, limit):
    document, _ = part
    limits = Limits(sheet_rows=20, sheet_columns=8, cells=limit)
    _, parsed = _layout_outcome(document, _other_text(document), limits)
    event("read by its layout" if not parsed else "scanned")


def test_workbooks_scanned_in_threads_get_what_they_get_alone():
    """The known parts and layouts are shared by threads: each scan is the one
    it would be on its own."""
    from concurrent.futures import ThreadPoolExecutor

    books = [valid_workbook(f"U{i:02d}", f"第{i}局") for i in range(12)] * 3
    with no_parts_known():
        alone = [outcome(book) for book in books]
    with no_parts_known(), ThreadPoolExecutor(4) as pool:
        assert list(pool.map(outcome, books)) == alone


def test_without_a_memory_nothing_is_remembered_between_scans():
    # Issue 13: no module state. Two scans without a memory each parse every
    # part; with one, the second parses only what differs.
    book = valid_workbook("U01", "测试局")
    with counting("_scan_whole") as plain:
        package.scan_package(book, "a.xlsx", "xlsx")
        package.scan_package(book, "a.xlsx", "xlsx")
    memory = package.ScanMemory()
    with counting("_scan_whole") as remembered:
        package.scan_package(book, "a.xlsx", "xlsx", memory=memory)
        package.scan_package(book, "a.xlsx", "xlsx", memory=memory)
    assert len(plain) == 2 * len(remembered) > 0


@pytest.mark.parametrize("streaming", [False, True])
def test_a_scan_leaves_no_parser_for_the_garbage_collector(streaming):
    """A part's parser goes with the scan, not at the next collection: a worker
    reading hundreds of workbooks between two (rare) collections held every
    parser's buffers (issue 18)."""
    import gc

    data = valid_workbook()
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        package.scan_package(data, "u.xlsx", "xlsx", DEFAULT_LIMITS, None, streaming)
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert "xmlparser" not in left
    assert "_Xml" not in left
