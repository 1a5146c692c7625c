"""A corpus of hostile and broken workbooks, built at test time (issue 6).

Each case is a function returning the bytes of one file, built from the valid
template workbook of unit ``U01`` by rewriting its zip parts, so nothing large is
committed. Bombs are made small: a deflate block of a repeated pattern is emitted
once and repeated (after a full flush each copy is a complete block), so a file of
a megabyte declares a gigabyte without a gigabyte ever being compressed.

``python -m tests.hostile FOLDER`` writes the corpus to a folder, for trying it by
hand or in ``benchmarks/hostile.py``.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Parts of the template workbook, in the order govstats.publish.template_xlsx writes them.
INFO = "xl/worksheets/sheet1.xml"  # 基本信息: B3 unit name, B4 unit code
TABLE1 = "xl/worksheets/sheet2.xml"  # 表1 主动公开政府信息情况
TABLE3 = "xl/worksheets/sheet4.xml"  # 表3 依申请公开情况: D5 sq.ch.in_person
NOTES = "xl/worksheets/sheet10.xml"  # 填表说明 (sheet9: 校验)
WORKBOOK = "xl/workbook.xml"
MIB = 1024 * 1024
FIXTURES = Path(__file__).with_name("fixtures")

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
XXE = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@dataclass(frozen=True)
class Case:
    """One file of the corpus and what govstats must say about it."""

    name: str
    build: Callable[[], bytes]
    # problem codes the file's report must hold (it may hold more)
    codes: tuple[str, ...]
    suffix: str = ".xlsx"
    # the unit code the file states, as a roster would list it
    unit_code: str = "U01"


# The valid workbook, and rewriting its parts


def valid_workbook(
    unit_code: str = "U01",
    unit_name: str = "测试局",
    values: dict[str, Any] | None = None,
    edit: Callable[[Any], None] | None = None,
) -> bytes:
    """The template of 2017 filled with consistent figures (see conftest)."""
    return _valid(unit_code, unit_name, tuple(sorted((values or {}).items())), edit)


@functools.cache
def _valid(
    unit_code: str,
    unit_name: str,
    values: tuple[tuple[str, Any], ...],
    edit: Callable[[Any], None] | None,
) -> bytes:
    from govstats.core.output import workbook_bytes
    from govstats.formats import load_format
    from govstats.publish.template_xlsx import build_template
    from tests.conftest import consistent_values

    fmt = load_format("gk2008")
    wb = build_template(
        fmt, 2017, unit_code, unit_name, values={**consistent_values(), **dict(values)}
    )
    if edit is not None:
        edit(wb)
    return workbook_bytes(wb)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(
    changes: dict[str, bytes | Callable[[bytes], bytes]],
    base: bytes | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """The valid workbook with some parts replaced (a value or a function of it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts(base or valid_workbook()).items():
            change = changes.get(name, data)
            zf.writestr(name, change(data) if callable(change) else change)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def set_cell(part: bytes, ref: str, xml: str) -> bytes:
    """Replace the cell ``ref`` of a sheet part with raw XML (any type, any value)."""
    pattern = re.compile(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(), re.S)
    new, n = pattern.subn(lambda m: xml.encode(), part, count=1)
    assert n == 1, ref
    return new


def text_cell(ref: str, text: str) -> str:
    from xml.sax.saxutils import escape

    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def set_rows(part: bytes, rows: str) -> bytes:
    return re.sub(
        rb"<sheetData>.*</sheetData>|<sheetData\s*/>",
        lambda m: b"<sheetData>" + rows.encode() + b"</sheetData>",
        part,
        flags=re.S,
    )


def with_prolog(prolog: str, entity: str) -> Callable[[bytes], bytes]:
    """Put a DTD before a part's root and use its entity in the first text."""

    def change(part: bytes) -> bytes:
        text = part.decode()
        text = re.sub(r"^<\?xml[^>]*\?>", "", text)
        text = re.sub(r"<t>[^<]*</t>", f"<t>&{entity};</t>", text, count=1)
        return (prolog + text).encode()

    return change


# Zips written by hand: members already deflated, sizes that lie


def deflate_repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> bytes:
    """The raw deflate stream of ``head + unit * times + tail``, built in O(1) work.

    ``unit`` is compressed once into a block ending in a full flush (byte aligned,
    no back-reference across it), which is then repeated ``times // k`` times.
    """
    k = 1 << max(0, ((64 * 1024) // len(unit)).bit_length() - 1)
    assert times % k == 0, (times, k)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit * k) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(unit * k) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "deflate blocks differ: cannot repeat"
    end = c.compress(tail) + c.flush()
    return start + block * (times // k - 1) + again + end


def raw_zip(members: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip of ``(name, deflated data, declared size, crc, method)`` members."""
    out = io.BytesIO()
    central = []
    for name, data, size, crc, method in members:
        offset = out.tell()
        encoded = name.encode()
        header = struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            0,
            method,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
        )
        out.write(header + encoded + data)
        central.append(
            struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    cd_offset = out.tell()
    cd = b"".join(central)
    out.write(cd)
    out.write(
        struct.pack(
            "<4sHHHHIIH",
            b"PK\x05\x06",
            0,
            0,
            len(central),
            len(central),
            len(cd),
            cd_offset,
            0,
        )
    )
    return out.getvalue()


def _members_of(data: bytes, replace: dict[str, tuple[bytes, int, int]]) -> bytes:
    """The valid workbook as a hand-written zip, some members replaced raw."""
    members = []
    for name, content in parts(data).items():
        if name in replace:
            raw, size, crc = replace[name]
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = c.compress(content) + c.flush()
            size, crc = len(content), zlib.crc32(content)
        members.append((name, raw, size, crc, 8))
    return raw_zip(members)


# The cases: files that are not workbooks


def empty_file() -> bytes:
    return b""


def text_renamed() -> bytes:
    return "单位名称,收到申请\n测试局,12\n".encode()


def xls_damaged() -> bytes:
    """A compound document header whose sector chains lead nowhere."""
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(22) + struct.pack("<HH", 9, 6)
    return head.ljust(512, b"\xff") + bytes(range(256)) * 8


def truncated_zip() -> bytes:
    data = valid_workbook()
    return data[: len(data) // 2]


def truncated_directory() -> bytes:
    return valid_workbook()[:-10]


def corrupt_zip() -> bytes:
    data = bytearray(valid_workbook())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0x5A
    return bytes(data)


def zip_not_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def password_protected() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(valid_workbook())).encrypt("secret", out)
    return out.getvalue()


def xlsm_with_macros() -> bytes:
    # An OLE-looking vbaProject.bin: never run, never parsed, only noticed.
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Attribute VB_Name = "Module1"' * 20
    return rewrite({}, extra={"xl/vbaProject.bin": vba})


# Unsafe XML


def laughs_in_sheet() -> bytes:
    return rewrite({TABLE1: with_prolog(LAUGHS, "lol9")})


def laughs_in_shared_strings() -> bytes:
    sst = (
        LAUGHS + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    return rewrite({}, extra={"xl/sharedStrings.xml": sst.encode()})


def laughs_in_workbook() -> bytes:
    def change(part: bytes) -> bytes:
        text = re.sub(r"^<\?xml[^>]*\?>", "", part.decode())
        return (LAUGHS + text.replace('name="填表说明"', 'name="&lol9;"')).encode()

    return rewrite({WORKBOOK: change})


def xxe_in_sheet() -> bytes:
    return rewrite({TABLE1: with_prolog(XXE, "xxe")})


def xxe_in_workbook() -> bytes:
    def change(part: bytes) -> bytes:
        text = re.sub(r"^<\?xml[^>]*\?>", "", part.decode())
        return (XXE + text.replace('name="填表说明"', 'name="&xxe;"')).encode()

    return rewrite({WORKBOOK: change})


def xxe_utf16() -> bytes:
    # The same DTD in UTF-16: a byte search for "<!DOCTYPE" would miss it.
    def change(part: bytes) -> bytes:
        text = with_prolog(XXE.replace("1.0", '1.0" encoding="UTF-16'), "xxe")(part)
        return text.decode().encode("utf-16")

    return rewrite({TABLE1: change})


# Bombs and sizes


def zip_bomb() -> bytes:
    """A part declaring 1 GiB of zeros (about 1 MB packed)."""
    raw = deflate_repeated(b"", b"\0" * 1024, 1024 * 1024, b"")
    return _members_of(valid_workbook(), {"xl/styles.xml": (raw, 1 << 30, 0)})


def zip_bomb_lying() -> bytes:
    """styles.xml declares its true size, but its stream inflates to 1 GiB."""
    data = valid_workbook()
    size = len(parts(data)["xl/styles.xml"])
    raw = deflate_repeated(b"", b" " * 1024, 1024 * 1024, b"")
    return _members_of(data, {"xl/styles.xml": (raw, size, 0)})


def zip_many_parts() -> bytes:
    extra = {f"xl/media/pad{i}.bin": b"x" for i in range(1500)}
    return rewrite({}, extra=extra)


def million_rows() -> bytes:
    """表1 with 1,048,576 rows (26 MiB of XML, 40 KB packed)."""
    part = parts(valid_workbook())[TABLE1]
    head, _, tail = set_rows(part, "@@").partition(b"@@")
    unit = b"<row><c><v>1</v></c></row>"
    times = 1024 * 1024
    raw = deflate_repeated(head, unit, times, tail)
    size = len(head) + len(unit) * times + len(tail)
    crc = zlib.crc32(tail, zlib.crc32(unit * times, zlib.crc32(head)))
    return _members_of(valid_workbook(), {TABLE1: (raw, size, crc)})


def rows_beyond_limit() -> bytes:
    rows = '<row r="1"><c r="A1"><v>1</v></c></row><row r="5000"><c r="A5000"><v>1</v></c></row>'
    return rewrite({TABLE1: lambda p: set_rows(p, rows)})


def row_number_superscript() -> bytes:
    """A row number that str.isdigit() takes and int() refuses."""
    rows = '<row r="\u00b2"><c r="A2"><v>1</v></c></row>'
    return rewrite({TABLE1: lambda p: set_rows(p, rows)})


def far_cell() -> bytes:
    """One value at XFD1048576: calamine alone would ask for 550 GB and abort."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    return rewrite({NOTES: lambda p: set_rows(p, rows)})


def far_cell_behind_a_near_one() -> bytes:
    """A value at XFD1048576 given to the outer of two nested cells: calamine puts
    it there, where a scan that took the inner cell for its owner saw A2."""
    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
        '<c r="XFD1048576"><f><c r="A2"/></f><v>1</v></c></row>'
    )
    return rewrite({NOTES: lambda p: set_rows(p, rows)})


def wide_columns() -> bytes:
    """16,384 columns of junk on 填表说明, a sheet the report does not use."""
    from openpyxl.utils import get_column_letter

    cells = "".join(
        f'<c r="{get_column_letter(j)}1"><v>{j}</v></c>' for j in range(1, 16385)
    )
    return rewrite({NOTES: lambda p: set_rows(p, f'<row r="1">{cells}</row>')})


def ods_repeat_bomb() -> bytes:
    """An .ods whose one cell repeats 1,048,576 × 16,384 times (17 billion cells)."""
    return _ods("1048576", "16384")


def ods_repeat_superscript() -> bytes:
    """A repeat count that str.isdigit() takes and int() refuses."""
    return _ods("1", "\u00b2")


def _ods(rows: str, columns: str) -> bytes:
    """An .ods of one table, 表1, whose one cell repeats rows × columns times."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        f'xmlns:table="{table}" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'office:version="1.2"><office:body><office:spreadsheet>'
        '<table:table table:name="表1 主动公开政府信息情况">'
        f'<table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="{columns}" '
        'office:value-type="float" office:value="1"><text:p>1</text:p>'
        "</table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        zf.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version='
            '"1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        zf.writestr("content.xml", content)
    return out.getvalue()


def sheet_part_missing() -> bytes:
    data = parts(valid_workbook())
    return rewrite({}, base=_without(data, NOTES))


def _without(data: dict[str, bytes], name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in data.items():
            if n != name:
                zf.writestr(n, d)
    return out.getvalue()


# Values a clerk (or a script) can put in a value cell: 表3!D5, sq.ch.in_person


def _value(xml: str) -> Callable[[], bytes]:
    def build() -> bytes:
        return rewrite({TABLE3: lambda p: set_cell(p, "D5", xml)})

    return build


# Identification: unit codes and names


def _info(ref: str, text: str) -> Callable[[], bytes]:
    def build() -> bytes:
        return rewrite({INFO: lambda p: set_cell(p, ref, text_cell(ref, text))})

    return build


HOSTILE_NAME = '=HYPERLINK("http://evil.invalid","点我")|*粗*<script>../../x\n# 标题'


def hostile_unit_name() -> bytes:
    return _info("B3", HOSTILE_NAME)()


# Sheets


def duplicate_sheet_name() -> bytes:
    def change(part: bytes) -> bytes:
        return part.replace(
            'name="填表说明"'.encode(), 'name="表1 主动公开政府信息情况"'.encode()
        )

    return rewrite({WORKBOOK: change})


def _copy_sheet(title: str, value: int) -> Callable[[], bytes]:
    def edit(wb: Any) -> None:
        copy = wb.copy_worksheet(wb["表3 依申请公开情况"])
        copy.title = title
        for row in copy.iter_rows(min_col=2, max_col=2):
            if row[0].value == "sq.ch.fax":
                copy.cell(row[0].row, 4).value = value

    def build() -> bytes:
        return _valid("U01", "测试局", (), edit)

    return build


CASES = [
    # not a workbook
    Case("empty-file", empty_file, ("file-unreadable",)),
    Case("text-renamed-xlsx", text_renamed, ("file-unreadable",)),
    Case("text-renamed-xls", text_renamed, ("file-unreadable",), suffix=".xls"),
    Case("xls-damaged", xls_damaged, ("file-unreadable",), suffix=".xls"),
    Case("truncated-zip", truncated_zip, ("file-unreadable",)),
    Case("truncated-directory", truncated_directory, ("file-unreadable",)),
    Case("corrupt-zip", corrupt_zip, ("file-unreadable",)),
    Case("zip-not-workbook", zip_not_workbook, ("file-unreadable",)),
    Case("sheet-part-missing", sheet_part_missing, ("file-unreadable",)),
    Case("password-protected", password_protected, ("file-encrypted",)),
    Case("xlsm-with-macros", xlsm_with_macros, ("macros-ignored",), suffix=".xlsm"),
    # unsafe XML
    Case("billion-laughs-sheet", laughs_in_sheet, ("unsafe-xml",)),
    Case("billion-laughs-shared-strings", laughs_in_shared_strings, ("unsafe-xml",)),
    Case("billion-laughs-workbook", laughs_in_workbook, ("unsafe-xml",)),
    Case("xxe-sheet", xxe_in_sheet, ("unsafe-xml",)),
    Case("xxe-workbook", xxe_in_workbook, ("unsafe-xml",)),
    Case("xxe-utf16", xxe_utf16, ("unsafe-xml",)),
    # bombs and sizes
    Case("zip-bomb", zip_bomb, ("zip-bomb",)),
    Case("zip-bomb-lying-size", zip_bomb_lying, ("zip-bomb",)),
    Case("zip-many-parts", zip_many_parts, ("zip-bomb",)),
    Case("million-rows", million_rows, ("sheet-too-large",)),
    Case("rows-beyond-limit", rows_beyond_limit, ("sheet-too-large",)),
    Case("far-cell-xfd1048576", far_cell, ("sheet-too-large",)),
    Case(
        "far-cell-behind-a-near-one", far_cell_behind_a_near_one, ("file-unreadable",)
    ),
    Case("wide-16384-columns", wide_columns, ("sheet-too-large",)),
    Case("ods-repeat-bomb", ods_repeat_bomb, ("sheet-too-large",), suffix=".ods"),
    # digits that str.isdigit() takes and int() refuses: they crashed the scan
    Case("row-number-superscript", row_number_superscript, ("file-unreadable",)),
    Case(
        "ods-repeat-superscript",
        ods_repeat_superscript,
        ("file-unreadable",),
        suffix=".ods",
    ),
    # An .xls (saved by LibreOffice: no xls writer is a dependency) of 6 KB with
    # values at A1 and IV65536: calamine alone took 1 GB opening it.
    Case(
        "xls-far-cell",
        lambda: (FIXTURES / "issue-6-xls-far-cell.xls").read_bytes(),
        ("sheet-too-large",),
        suffix=".xls",
    ),
    # An .xls saved by LibreOffice whose value cells link to another workbook
    # and call a DDE server (how it was made: tests/test_faults.py, XLS_LINKS).
    Case(
        "xls-links-and-dde",
        lambda: (FIXTURES / "issue-20-21-xls-links.xls").read_bytes(),
        ("formula-external", "formula-no-value"),
        suffix=".xls",
    ),
    # value cells
    Case(
        "value-hyperlink",
        _value('<c r="D5"><f>HYPERLINK("http://evil.invalid","3")</f></c>'),
        ("formula-no-value",),
    ),
    Case("value-formula", _value('<c r="D5"><f>1+1</f></c>'), ("formula-no-value",)),
    Case("value-formula-text", _value(text_cell("D5", "=1+1")), ("not-a-number",)),
    Case("value-dde", _value(text_cell("D5", "=cmd|' /c calc'!A1")), ("not-a-number",)),
    Case("value-long-text", _value(text_cell("D5", "很长" * 20000)), ("not-a-number",)),
    Case("value-nan", _value('<c r="D5"><v>NaN</v></c>'), ("not-a-number",)),
    Case("value-inf", _value('<c r="D5"><v>inf</v></c>'), ("not-a-number",)),
    Case("value-huge", _value('<c r="D5"><v>1e308</v></c>'), ("value-too-large",)),
    Case(
        "value-huge-text",
        _value(text_cell("D5", "9" * 40)),
        ("value-too-large",),
    ),
    Case(
        "value-date",
        _value('<c r="D5" t="d"><v>2017-03-01T00:00:00</v></c>'),
        ("not-a-number",),
    ),
    Case("value-boolean", _value('<c r="D5" t="b"><v>1</v></c>'), ("not-a-number",)),
    Case("value-error", _value('<c r="D5" t="e"><v>#DIV/0!</v></c>'), ("excel-error",)),
    # Excel writes a control character as _x001B_: valid XML, decoded by readers.
    Case(
        "value-control-chars",
        _value(text_cell("D5", "3_x001B_[2J\u202e_x0007_")),
        ("not-a-number",),
    ),
    # Raw, it is not XML at all (Excel refuses such a file too).
    Case(
        "sheet-xml-invalid-char",
        _value(text_cell("D5", "3\x1b[2J")),
        ("file-unreadable",),
    ),
    # identification
    # a year of a digit int() refuses (it crashed the read): text, as any other
    Case("year-ethiopic-digit", _info("B5", "\u1369"), ()),
    Case(
        "unit-code-traversal",
        _info("B4", "../../etc/passwd"),
        ("unit-code-invalid",),
        unit_code="../../etc/passwd",
    ),
    Case(
        "unit-code-dde",
        _info("B4", "=cmd|' /c calc'!A1"),
        ("unit-code-invalid",),
        unit_code="=cmd|' /c calc'!A1",
    ),
    Case(
        "unit-code-newline",
        _info("B4", "U01\n../x"),
        ("unit-code-invalid",),
        unit_code="U01\n../x",
    ),
    Case(
        "unit-code-control",
        _info("B4", "U01_x001B_"),
        ("unit-code-invalid",),
        unit_code="U01\x1b",
    ),
    Case("unit-name-hostile", hostile_unit_name, ()),
    # sheets
    Case("duplicate-sheet-name", duplicate_sheet_name, ("sheet-duplicate",)),
    Case(
        "sheet-name-full-width",
        _copy_sheet("表３ 依申请公开情况", 5),
        ("sheet-duplicate",),
    ),
    Case(
        "sheet-copied", _copy_sheet("表3 依申请公开情况 (2)", 5), ("sheet-duplicate",)
    ),
]


# Hostile reports for `audit --text` (issue 20, points 7 and 8). Each builder
# takes a size, so that a test doubles it cheaply and the benchmark runs it full.

REPEATED_CLAIMS = {
    "其中": "其中1件，",
    "占": "占1%",
    "enumeration": "共1件，其中1件，占1%，",
    "approximation": "约2.3万条，",
    "change": "同比增长1%，",
}


def repeated_claim(unit: str, times: int) -> bytes:
    """``unit`` repeated on one line, as UTF-8."""
    return (unit * times).encode("utf-8")


def nested_brackets(times: int) -> bytes:
    """A figure whose parenthesised parts nest ``times`` deep: 共1件（含1件（含…）。"""
    return ("共1件（含1件" * times + "）" * times).encode("utf-8")


def text_without_figures(size: int) -> bytes:
    """``size`` bytes of report prose with no figure, on lines of a paragraph."""
    line = "本机关认真贯彻落实政府信息公开条例，不断完善公开制度。\n".encode()
    return (line * (size // len(line) + 1))[:size].rsplit(b"\n", 1)[0] + b"\n"


def report_repeated(seed: bytes, size: int) -> bytes:
    """A real report repeated to ``size`` bytes."""
    return (seed * (size // len(seed) + 1))[:size].rsplit(b"\n", 1)[0] + b"\n"


def random_bytes(size: int, seed: int = 20) -> bytes:
    """``size`` bytes of noise (a binary file given a .txt or .html name)."""
    import random

    return random.Random(seed).randbytes(size)


def one_line_html(size: int) -> bytes:
    """An HTML page of ``size`` bytes with no line break: markup, figures, an
    unclosed comment and tags without an end at the end."""
    cell = "<td>共收到<b>527</b>件，其中<span>1件</span>，占1%</td>"
    row = "<tr>" + cell * 4 + "</tr>"
    head = "<!DOCTYPE html><html><body><table>"
    body = (row * (size // len(row.encode()) + 1))[: size // 3]
    tail = "</table><p>" + "<a" * 100 + "<!--" + "</" * 100
    return (head + body + tail).encode("utf-8")


def html_unclosed(unit: str, times: int) -> bytes:
    """Markup that never completes (``<``, ``</``, ``<!--``, ``&#``) repeated: the
    standard parser looks for its end again at each one."""
    return ("<html><body><p>" + unit * times).encode("utf-8")


def pdf_file(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF of ``objects`` (numbered from 1) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _pdf(
    content: bytes,
    kids: bytes = b"3 0 R",
    count: int = 1,
    extra: bytes = b"",
    box: bytes = b"[0 0 595 842]",
) -> bytes:
    """One page (object 3) showing ``content`` (object 4) in Helvetica."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
            b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>" % box,
            pdf_stream(content, extra),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def pdf_text(lines: list[str]) -> bytes:
    """A valid one-page PDF with ``lines`` of ASCII text."""
    ops = b"BT /F1 12 Tf 72 800 Td 14 TL " + b"".join(
        b"(%s) Tj T* " % line.encode("ascii") for line in lines
    )
    return _pdf(ops + b"ET")


def pdf_pages_repeated(times: int) -> bytes:
    """A page tree listing one page ``times`` times."""
    return _pdf(
        b"BT /F1 12 Tf 72 800 Td (Total 5) Tj ET", b" ".join([b"3 0 R"] * times), times
    )


def zlib_repeated(head: bytes, unit: bytes, times: int, tail: bytes) -> bytes:
    """``head + unit * times' + tail`` as a zlib stream (what /FlateDecode holds),
    ``times'`` being ``times`` rounded up to what :func:`deflate_repeated` repeats;
    its checksum is computed without the whole ever being held."""
    k = 1 << max(0, ((64 * 1024) // len(unit)).bit_length() - 1)
    times = -(-times // k) * k
    check = zlib.adler32(head)
    block = unit * k
    for _ in range(times // k):
        check = zlib.adler32(block, check)
    check = zlib.adler32(tail, check)
    raw = deflate_repeated(head, unit, times, tail)
    return b"\x78\xda" + raw + struct.pack(">I", check)


def pdf_flate_bomb(inflated: int) -> bytes:
    """A page whose content stream inflates to ``inflated`` bytes (spaces after a
    line of text): 1 GiB in about 1 MiB."""
    head = b"BT /F1 12 Tf 72 800 Td (Total 5) Tj ET\n"
    data = zlib_repeated(head, b" " * 1024, (inflated - len(head)) // 1024, b"")
    return _pdf(data, extra=b"/Filter /FlateDecode")


def pdf_text_operators(times: int) -> bytes:
    """A content stream of ``times`` text-showing operators, Flate-compressed."""
    head = b"BT /F1 12 Tf 72 800 Td "
    data = zlib_repeated(head, b"(a) Tj ", times, b"ET")
    return _pdf(data, extra=b"/Filter /FlateDecode")


def pdf_nested_arrays(depth: int) -> bytes:
    """A content stream holding an array nested ``depth`` deep."""
    ops = b"BT /F1 12 Tf 72 800 Td " + b"[" * depth + b"(a)" + b"]" * depth + b" TJ ET"
    return _pdf(zlib.compress(ops, 9), extra=b"/Filter /FlateDecode")


def pdf_nested_object(depth: int) -> bytes:
    """A page dictionary whose /MediaBox is an array nested ``depth`` deep."""
    box = b"[" * depth + b"0" + b"]" * depth
    return _pdf(b"BT /F1 12 Tf 72 800 Td (Total 5) Tj ET", box=box)


def write_corpus(folder: Path) -> list[Path]:
    """Write every case into ``folder`` (``<name><suffix>``)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for case in CASES:
        path = folder / f"{case.name}{case.suffix}"
        path.write_bytes(case.build())
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write_corpus(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")):
        print(p, p.stat().st_size)
