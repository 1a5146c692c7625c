"""Where something is: cells by column letter and row, texts by line and column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def column_number(letters: str) -> int:
    """``A`` → 1, ``xfd`` → 16384 (ASCII letters, either case): the inverse of
    :func:`column_letter`."""
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def column_letter(col: int) -> str:
    """1 → ``A``, 28 → ``AB``."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Location:
    """Where a claim or figure is: a text position, a sheet cell or a JSON path.

    ``line`` and ``column`` are 1-based; ``column`` counts characters, not bytes.
    ``page`` is set for a PDF, whose lines are counted per page. A cell of a table
    printed in a report also has its table's number (``三``) and its row and column
    labels as printed.
    """

    file: str = ""
    line: int | None = None
    column: int | None = None
    page: int | None = None
    sheet: str = ""
    cell: str = ""
    path: str = ""
    table: str = ""
    table_row: str = ""
    table_column: str = ""

    def __str__(self) -> str:
        if self.sheet:
            return f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        if self.path:
            return self.path
        if self.line is None:
            return "-"
        where = f"{self.line}:{self.column}" if self.column else str(self.line)
        return f"p.{self.page} {where}" if self.page else where

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "page": self.page,
            "sheet": self.sheet,
            "cell": self.cell,
            "path": self.path,
            "table": self.table,
            "table_row": self.table_row,
            "table_column": self.table_column,
        }
