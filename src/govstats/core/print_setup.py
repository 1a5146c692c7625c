"""How a generated workbook's sheets print (issue 16, point 13).

Without a print setup a spreadsheet prints at 100 % on portrait A4, its columns
spread over as many pages as they need: tables.xlsx of the demo printed on 46
pages, a table's right-hand columns on pages of their own. Every sheet here is
fitted to the width of one page (as many pages down as its rows need), turned to
landscape when its columns are wider than a portrait page holds, and repeats its
header rows at the top of each page.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LANDSCAPE_FROM", "PORTRAIT_WIDTH", "print_setup", "sheet_width"]

# The column widths (in Excel's character units) that portrait A4 holds at 100 %
# between margins of 1.5 cm: 18 cm of 1.9 mm characters. A sheet that would print
# smaller than 5/6 of its size on a portrait page prints landscape, which holds
# about 1.45 times as much.
PORTRAIT_WIDTH = 95
LANDSCAPE_FROM = PORTRAIT_WIDTH * 6 // 5
_DEFAULT_WIDTH = 8.43  # Excel's width of a column never sized
_MARGIN_INCHES = 0.6


def sheet_width(ws: Any) -> float:
    """The sheet's used columns' widths added up, in character units."""
    from govstats.core.locations import column_letter

    total = 0.0
    for col in range(1, ws.max_column + 1):
        dim = ws.column_dimensions.get(column_letter(col))
        width = dim.width if dim is not None and dim.width else _DEFAULT_WIDTH
        total += 0 if dim is not None and dim.hidden else width
    return total


def print_setup(ws: Any, title_rows: int = 0) -> None:
    """Fit the sheet to one page wide on A4, landscape when wide, and repeat
    its first ``title_rows`` rows at the top of every page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    wide = sheet_width(ws) > LANDSCAPE_FROM
    setup.orientation = ws.ORIENTATION_LANDSCAPE if wide else ws.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as the rows need
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    margins = ws.page_margins
    margins.left = margins.right = _MARGIN_INCHES
    margins.top = margins.bottom = _MARGIN_INCHES + 0.1
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = f"1:{title_rows}"
