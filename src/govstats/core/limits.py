"""The limits every input is checked against, as one frozen object.

What a statistics workbook needs is far below every limit: the template is 20 KB
on disk and 60 KB unpacked, its sheets 40 rows by 5 columns. Anything beyond is a
damaged or hostile file, refused before the work, never after. A caller that needs
other limits (a test, a service with less memory) passes its own
``Limits(...)`` (or ``DEFAULT_LIMITS.replace(cells=...)``) to the function that
reads; nothing changes them in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_LIMITS", "MIB", "Limits"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Each field is one limit; docs/errors.md lists them with their problems."""

    #: bytes of a file on disk (workbooks, and the roster)
    file_bytes: int = 20 * MIB
    #: bytes of all parts of a workbook once unpacked, declared and inflated
    unpacked_bytes: int = 100 * MIB
    #: bytes of any one part once unpacked
    part_bytes: int = 20 * MIB
    #: unpacked/packed ratio of a part over 1 MiB (XML packs 5-15x, a bomb ~1000x)
    ratio: int = 100
    #: parts in the zip (the template has 17)
    parts: int = 1000
    #: sheets in a workbook
    sheets: int = 100
    #: rows of a sheet read: a value beyond them refuses the sheet
    sheet_rows: int = 2000
    #: columns of a sheet read: a value beyond them refuses the sheet
    sheet_columns: int = 200
    #: cells of a workbook: both the cells written in its sheets and the sum of
    #: the sheets' ranges (A1 to the farthest value), which is what readers
    #: allocate
    cells: int = 500_000
    #: workbooks in one validate or compile: a province's units (issue 18: a
    #: compile of 100,000 units peaks under 1 GB, all processes)
    files: int = 100_000
    #: cells of a workbook that --annotate copies with openpyxl (a few hundred
    #: bytes a cell in memory); a larger one gets a copy holding only the problem
    #: list
    annotate_cells: int = 200_000
    #: bytes of a published report given to ``audit --text`` as text, Markdown or
    #: HTML, and of the text a PDF holds
    text_bytes: int = 2 * MIB
    #: figures (numbers with a unit or %) a published report states
    text_figures: int = 10_000
    #: pages of a PDF, a page listed twice in its page tree counted twice
    pdf_pages: int = 1_000
    #: bytes of one PDF stream once inflated (any filter)
    pdf_stream_bytes: int = 16 * MIB
    #: bytes of all pages' content streams once inflated
    pdf_content_bytes: int = 32 * MIB
    #: text operators (Tj, TJ, ' and ") on all pages of a PDF
    pdf_text_operators: int = 50_000
    #: arrays and dictionaries of a PDF nested inside one another
    pdf_nesting: int = 64
    #: bytes of a PDF's content streams, forms and fonts once inflated that are
    #: read from the page geometry (tables by their ruling lines); a larger PDF
    #: is read as its plain text
    pdf_geometry_bytes: int = 4 * MIB

    def replace(self, **changes: Any) -> Limits:
        """A copy with some limits changed."""
        return dataclasses.replace(self, **changes)

    def items(self) -> Iterator[tuple[str, int]]:
        """Every limit by name, in declaration order."""
        for f in dataclasses.fields(self):
            yield f.name, getattr(self, f.name)


DEFAULT_LIMITS = Limits()
