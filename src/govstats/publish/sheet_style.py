"""Cell styles, protection and print setup shared by the workbooks govstats writes for clerks."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any


@functools.cache
def styles() -> Mapping[str, Any]:
    """The cell styles of a template, the same objects for every sheet and workbook.

    openpyxl keeps a workbook's styles in a dict and looks each assigned style up in
    it: an object found there as itself is a match at once, an equal one is compared
    field by field, recursively (a border's sides, their colours). Shared objects
    make summary.xlsx faster. openpyxl never changes a style it is given
    (``cell.font`` gives back a proxy that refuses changes), so sharing is safe.
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="999999")
    return {
        "title": Font(bold=True, size=14),
        "header_font": Font(bold=True),
        "small": Font(size=8, color="808080"),
        "header_fill": PatternFill("solid", fgColor="D9E1F2"),
        "input_fill": PatternFill("solid", fgColor="FFF9E5"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "center": Alignment(horizontal="center", vertical="center"),
        "wrap": Alignment(wrap_text=True, vertical="center"),
        "heading": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "unlocked": Protection(locked=False),
    }


@functools.cache
def indented(indent: int) -> Any:
    """A label's alignment: wrapped, indented ``indent`` levels (see :func:`styles`)."""
    from openpyxl.styles import Alignment

    return Alignment(indent=indent * 2, wrap_text=True)


def protect(ws: Any) -> None:
    # Protection without a password: it guards against accidents, not people.
    ws.protection.sheet = True
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def print_setup(ws: Any) -> None:
    # Landscape, every column on one page width; as many pages down as needed.
    # fitToWidth alone is ignored by Excel and LibreOffice without fitToPage.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
