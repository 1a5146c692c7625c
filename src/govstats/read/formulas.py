"""The formulas of value cells, looked at where a figure may not be the clerk's own.

calamine gives a formula cell's cached value, which is what a figure is read from.
Two cases need the formula itself (issues 20 and 21):

* a value cell whose formula reaches outside the workbook (an external link
  ``[1]Sheet1!A1``, a ``file://`` path, a DDE call ``cmd|'/c calc'!A0``) has a value
  that came from a file nobody submitted: it is accepted, with a warning naming the
  cell and the target (``formula-external``);
* an ``.ods`` cell with a formula and no cached value is a formula in a value cell
  (``formula-no-value``), not a blank one.

Formulas are never evaluated, and no link is ever followed. Looking costs nothing
for a workbook without such formulas: a ``.xlsx`` is only opened by openpyxl when
it has an external links part (which Excel, WPS and LibreOffice write for every
external reference) or a sheet whose bytes hold what a hand-written one needs
(``[`` or ``|``, seen by the package scan), an ``.ods`` only when its content
mentions one, an ``.xls`` only when its link tables name another workbook or a
DDE server (:mod:`govstats.read.xlsformulas`).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

__all__ = ["external_formulas", "external_target", "ods_formulas"]

# What makes a formula reach outside its workbook: an external workbook by index
# ([1]Sheet1!A1, as Excel stores it), a path or URL, a workbook named in brackets
# before a sheet ('C:\x\[a.xlsx]Sheet1'!A1, [a.xlsx]Sheet1!A1, as a formula is
# typed; not a table's column, Table1[x], which no "!" follows), a DDE call
# (app|topic!item). Each part is linear in the formula: a run of letters is tried
# from its first letter only, and at most once.
_EXTERNAL = re.compile(
    r"\[\d+\]|'?file://[^'!]*'?|'[^'\[]*+\[[^\]']++\][^']*+'!|\[[^\]\['!]+\][\w.]*!"
    r"|(?<![A-Za-z0-9_.])[A-Za-z0-9_.]++\|(?:'[^']*'|[^!]*)|\bDDE\s*\(",
    re.I,
)
# The same, in the XML of a sheet or content part (before any parsing).
_EXTERNAL_XML = re.compile(
    rb"(?:<(?:[A-Za-z_][\w.-]*:)?f\b[^>]*>|table:formula=\")[^<\"]*?"
    rb"(?:\[\d+\]|file:|\||DDE\s*\()",
    re.I,
)


def external_target(formula: str) -> str:
    """What a formula reaches outside its workbook, or ``""`` when it does not."""
    found = _EXTERNAL.search(formula)
    return found.group(0).rstrip("!") if found else ""


Cell = tuple[str, int, int]  # sheet, row, column (1-based)


def external_formulas(
    data: bytes, kind: str, cells: Iterable[Cell], may_link: bool = True
) -> dict[Cell, tuple[str, str]]:
    """The given cells whose formula reaches outside the workbook: their formula
    (``=...``) and its target (a file, or a DDE call), by cell.

    :param kind: what the workbook is (``xlsx``, ``xls``, ``ods``), by content.
    :param may_link: False when the package scan found nothing in an ``.xlsx``'s
        sheets that an external reference needs (``[``, ``|``).
    """
    wanted = set(cells)
    if not wanted:
        return {}
    books: dict[str, str] = {}
    try:
        if kind == "xlsx":
            formulas = _xlsx_formulas(data, wanted, may_link)
            if formulas:
                books = _external_books(data)
        elif kind == "ods":
            formulas = ods_formulas(data, wanted, only_external=True)
        elif kind == "xls":
            # An .xls names what a formula reaches in its link tables, not in
            # the formula's text: the BIFF reader gives both.
            from govstats.read.xlsformulas import xls_formulas

            found = xls_formulas(data, wanted, only_external=True)
            return {cell: (f.text, f.target) for cell, f in found.items()}
        else:
            return {}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError):
        return {}  # the package was checked before: a reader's quirk, not the data's
    out = {}
    for cell, formula in formulas.items():
        target = external_target(formula)
        if target:
            book = _BOOK.fullmatch(target)
            if book is not None and book.group(1) in books:
                target = books[book.group(1)]
            out[cell] = (formula, target)
    return out


def may_reach_outside(data: bytes, kind: str, may_link: bool = True) -> bool:
    """Whether a formula of the workbook may reach outside it, as far as can be
    told without parsing it: always, but for an ``.xlsx`` that has neither.

    Excel, WPS and LibreOffice write every external reference of an .xlsx (a
    linked workbook, a file, a DDE link) to an xl/externalLinks/ part, whose name
    the zip directory holds uncompressed. A formula written by hand (or by a
    tool) may reach outside without one: the package scan tells whether a sheet
    holds what such a formula needs (``may_link``). A workbook with neither
    (nearly every one) costs a search of its bytes, not a parse.
    """
    return kind != "xlsx" or may_link or b"xl/externalLinks/" in data


def _xlsx_formulas(data: bytes, wanted: set[Cell], may_link: bool) -> dict[Cell, str]:
    if not may_reach_outside(data, "xlsx", may_link):
        return {}
    import warnings

    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    out: dict[Cell, str] = {}
    try:
        sheets = {s for s, _, _ in wanted}
        for title in wb.sheetnames:
            if title not in sheets:
                continue
            for row in wb[title].iter_rows():
                for cell in row:
                    pos = (title, getattr(cell, "row", 0), getattr(cell, "column", 0))
                    if pos in wanted and cell.data_type == "f":
                        out[pos] = str(cell.value)
    finally:
        wb.close()
    return out


_TARGET = re.compile(rb'Target="([^"]*)"')
_BOOK = re.compile(r"\[(\d+)\]")


def _external_books(data: bytes) -> dict[str, str]:
    """The file each external workbook index (``[1]``) stands for, from the
    external links' relationships (``externalLink1.xml`` is ``[1]``)."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            found = re.fullmatch(
                r"xl/externalLinks/_rels/externalLink(\d+)\.xml\.rels", name
            )
            if found is None:
                continue
            target = _TARGET.search(zf.read(name)[:65536])
            if target is not None:
                out[found.group(1)] = target.group(1).decode("utf-8", "replace")
    return out


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_T = "{" + _TABLE + "}"


# Formulas kept of an .ods read whole (for the cells calamine reads as blank).
_ODS_FORMULAS_MAX = 100_000


def ods_formulas(
    data: bytes, wanted: set[Cell] | None, only_external: bool = False
) -> dict[Cell, str]:
    """The formulas of the given cells of an ``.ods`` (``of:=A1+B1`` as
    ``=A1+B1``), or of every cell (up to 100,000) when ``wanted`` is None.

    :param only_external: look only when the content mentions a formula that
        may reach outside the workbook.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        content = zf.read("content.xml")
    if only_external and not _EXTERNAL_XML.search(content):
        return {}
    from xml.etree.ElementTree import iterparse

    out: dict[Cell, str] = {}
    sheets = {s for s, _, _ in wanted} if wanted is not None else None
    sheet, row, col, depth = "", 0, 0, 0
    events: Any = iterparse(io.BytesIO(content), events=("start", "end"))
    for event, elem in events:
        tag = elem.tag
        if tag == _T + "table":
            depth += 1 if event == "start" else -1
            if event == "start" and depth == 1:
                sheet, row = elem.get(_T + "name", ""), 0
            continue
        if depth != 1 or (sheets is not None and sheet not in sheets):
            if event == "end":
                elem.clear()
            continue
        if tag == _T + "table-row":
            if event == "start":
                col = 0
            else:
                row += _repeat(elem, "number-rows-repeated")
                elem.clear()
        elif tag in (_T + "table-cell", _T + "covered-table-cell") and event == "start":
            repeat = _repeat(elem, "number-columns-repeated")
            formula = elem.get(_T + "formula")
            if formula is not None:
                text = _ods_formula_text(formula)
                for c in range(col + 1, col + 1 + min(repeat, 1024)):
                    if wanted is None or (sheet, row + 1, c) in wanted:
                        out[(sheet, row + 1, c)] = text
                if len(out) > _ODS_FORMULAS_MAX:
                    break
            col += repeat
    return out


def _ods_formula_text(formula: str) -> str:
    """``of:=A1+B1`` (a namespace prefix, then the formula) as ``=A1+B1``."""
    prefix, colon, rest = formula.partition(":")
    if colon and "=" not in prefix:
        return "=" + rest.lstrip("=")
    return formula if formula.startswith("=") else "=" + formula


def _repeat(elem: Any, name: str) -> int:
    try:
        return max(1, int(elem.get(_T + name, "1")))
    except ValueError:
        return 1
